import { strict as assert } from "node:assert";
import {
  applianceImageDefaults,
  customProperties,
  finalImageProperties,
} from "../../lib/imageProperties";
import { claimedByAnother, provenanceProperties } from "../../lib/provenance";
import { imagePatchOps } from "../../lib/openstack/images";
import { BUILDER_METADATA, builderUserData } from "../../lib/cloudInit";

describe("image properties", () => {
  const provenance = {
    fingerprint: "f".repeat(32),
    gitCommit: "0123456789abcdef",
    sourceImageId: "src",
    inventoryGroups: ["doca", "cuda"],
    builtAt: new Date("2026-01-05T09:07:00Z"),
    buildKey: "RL9-cuda",
    stack: "staging",
  };

  it("sets the appliance's hw_* defaults by disk format", () => {
    assert.deepEqual(applianceImageDefaults("raw", "rocky"), {
      hw_machine_type: "q35",
      hw_architecture: "x86_64",
      hw_vif_multiqueue_enabled: "true",
      hw_firmware_type: "uefi",
      os_type: "linux",
      os_admin_user: "rocky",
      hw_scsi_model: "virtio-scsi",
      hw_disk_bus: "scsi",
    });
    const qcow = applianceImageDefaults("qcow2", "rocky");
    assert.equal(qcow.hw_disk_bus, "virtio");
    assert.equal(qcow.hw_scsi_model, undefined);
  });

  it("records provenance, which user metadata cannot override", () => {
    const props = finalImageProperties(
      "raw",
      "rocky",
      { hw_machine_type: "pc", site: "x", image_build_fingerprint: "forged" },
      provenance,
    );
    assert.equal(props.hw_machine_type, "pc");
    assert.equal(props.site, "x");
    assert.equal(props.image_build_fingerprint, provenance.fingerprint);
    assert.equal(props.image_build_inventory_groups, "builder,doca,cuda");
    assert.equal(props.image_build_git_commit, "0123456789abcdef");
    assert.equal(props.image_build_source_image_id, "src");
    assert.equal(props.image_build_time, "2026-01-05T09:07:00.000Z");
    assert.equal(
      provenanceProperties({ ...provenance, gitCommit: "" }).image_build_git_commit,
      "unknown",
    );
  });

  it("patches only what differs, adds absent keys and removes signature_verified", () => {
    const current = {
      id: "i",
      visibility: "private",
      os_type: "linux",
      hw_disk_bus: "virtio",
      signature_verified: "True",
    };
    const ops = imagePatchOps(
      current,
      { os_type: "linux", hw_disk_bus: "scsi", site: "x" },
      ["signature_verified", "absent"],
      "shared",
    );
    assert.deepEqual(ops, [
      { op: "replace", path: "/hw_disk_bus", value: "scsi" },
      { op: "add", path: "/site", value: "x" },
      { op: "remove", path: "/signature_verified" },
      { op: "replace", path: "/visibility", value: "shared" },
    ]);
    assert.deepEqual(imagePatchOps(current, { os_type: "linux" }, [], "private"), []);
  });

  it("a copy carries the image's own properties, not Glance's attributes or bookkeeping", () => {
    const image = {
      id: "i",
      name: "openhpc-fat",
      status: "active",
      visibility: "shared",
      size: 1024,
      checksum: "abc",
      os_hidden: false,
      tags: ["promoted-production"],
      hw_disk_bus: "scsi",
      image_build_fingerprint: "f",
      image_build_claim: "c",
      os_glance_importing_to_stores: "",
      os_glance_failed_import: "",
      stores: "ceph",
      site: "x",
    };
    assert.deepEqual(customProperties(image), {
      hw_disk_bus: "scsi",
      image_build_fingerprint: "f",
      site: "x",
    });
  });

  it("a replaced build keeps the image when a newer create adopted it (another claim)", () => {
    // Same fingerprint after a replace: the new create adopted the image and claimed it.
    assert.equal(claimedByAnother({ image_build_claim: "new" }, "old"), true);
    assert.equal(claimedByAnother({ image_build_claim: "new" }, undefined), true);
    // Its own image, or one from before claims existed: the resource may delete it.
    assert.equal(claimedByAnother({ image_build_claim: "old" }, "old"), false);
    assert.equal(claimedByAnother({}, "old"), false);
    assert.equal(claimedByAnother({}, undefined), false);
  });
});

describe("builder cloud-init", () => {
  it("adds the debug key as Packer's template does, and nothing otherwise", () => {
    assert.equal(builderUserData(undefined), undefined);
    assert.equal(
      builderUserData("ssh-ed25519 AAAA me@desk\n"),
      '#cloud-config\nssh_authorized_keys:\n  - "ssh-ed25519 AAAA me@desk"\n',
    );
    assert.deepEqual(BUILDER_METADATA, { ansible_init_disable: "true" });
  });
});
