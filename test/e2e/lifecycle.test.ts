/**
 * The build lifecycle (README: "Stack workflow"), for real: `pulumi up/preview/destroy` of
 * this program through the Automation API, against localcloud, with the
 * fixture appliance. One stack, steps in order (each builds on the last).
 */
import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import { collector, startE2e, type E2e } from "./harness";

interface ImageOut {
  imageId: string;
  imageName: string;
  fingerprint: string;
  sourceImageId: string;
  build?: { ansibleWindow?: { start: number; end: number }; timings: Record<string, number> };
}

const FAT_GROUPS = ["basic_users", "builder", "compute", "control", "fatimage", "login", "openhpc"];

describe("end to end: image builds on localcloud", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  let stack: Stack;
  let config: Record<string, unknown>;
  let first: Record<string, ImageOut>;

  const images = async () => (await stack.outputs()).images.value as Record<string, ImageOut>;
  const groupsOn = async (imageId: string) =>
    (await e2e.runOnImage(imageId, "ls /etc/fixture/groups")).trim().split("\n").sort();

  before(async () => {
    e2e = await startE2e("lifecycle");
    e2e.editAppliance("builds/fat.yml", "fixture_extravar: fat-v1\n");
    config = {
      flavor: "general.v1.small",
      networks: ["localcloud-net"],
      sshTimeoutMinutes: 3,
      builds: {
        fat: {
          sourceImageName: "debian-12-localcloud",
          inventoryGroups: "fatimage",
          extraVarsFile: path.join(e2e.appliance.repoRoot, "builds/fat.yml"),
        },
        lustre: { sourceBuild: "fat", inventoryGroups: "lustre" },
        gpu: { sourceBuild: "lustre", inventoryGroups: ["cuda"] },
        other: { sourceImageName: "debian-12-localcloud", inventoryGroups: "doca" },
      },
    };
  });
  after(async () => e2e && (await e2e.stop()));

  it("bad config fails with every problem before any request reaches the cloud", async () => {
    const bad = await e2e.stack("bad", {
      networks: [],
      volumeSize: 0,
      builds: { x: { sourceBuild: "nope" }, y: { sourceImage: "a", sourceImageName: "b" } },
    });
    e2e.cloud.clearRequests();
    await assert.rejects(bad.preview(), (err: Error) => {
      for (const expected of [
        "slurm-image-builder:builds.x.sourceBuild: unknown build",
        "slurm-image-builder:builds.y: sourceImageName and sourceImage are all set",
        "slurm-image-builder:volumeSize: must be greater than 0",
      ]) {
        assert.ok(err.message.includes(expected), `missing "${expected}" in:\n${err.message}`);
      }
      return true;
    });
    assert.deepEqual(e2e.cloud.requests(), [], "a request reached the cloud");
  });

  it("up builds a fat image, a chain of two extra builds on it and an independent build", async () => {
    stack = await e2e.stack("staging", config);
    const out = collector();
    const result = await stack.up({ onOutput: out.onOutput, color: "never" });
    assert.equal(result.summary.result, "succeeded");
    first = await images();
    assert.deepEqual(Object.keys(first).sort(), ["fat", "gpu", "lustre", "other"]);
    assert.equal(first.lustre.sourceImageId, first.fat.imageId);
    assert.equal(first.gpu.sourceImageId, first.lustre.imageId);
    assert.match(first.fat.imageName, /^openhpc-fat-\d{6}-\d{4}-[0-9a-f]{8}$/);
    const outputs = await stack.outputs();
    assert.equal(outputs.cluster_image_id.value, first.fat.imageId);
    assert.deepEqual(
      outputs.cluster_image.value,
      Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.imageName])),
    );
    // Progress reached the user through both engines, as short lines.
    assert.ok(
      out.lines.some((l) => /Ansible: \d+ tasks? done \(\d+ s\), now: TASK \[/.test(l)),
      out.lines.join("\n"),
    );
    assert.ok(out.lines.some((l) => /Ansible finished for build fat: \d+ tasks in \d+ s/.test(l)));
    assert.ok(out.lines.some((l) => /builder volume ready \(\d+ s\)/.test(l)));
  });

  it("independent builds ran in parallel: their Ansible runs overlap", () => {
    const a = first.fat.build?.ansibleWindow;
    const b = first.other.build?.ansibleWindow;
    assert.ok(a && b, "no Ansible timing in the outputs");
    assert.ok(
      a.start < b.end && b.start < a.end,
      `no overlap: fat ${JSON.stringify(a)}, other ${JSON.stringify(b)}`,
    );
  });

  it("each image boots and holds exactly the changes of its groups and its ancestors", async () => {
    assert.deepEqual(await groupsOn(first.fat.imageId), FAT_GROUPS);
    assert.deepEqual(await groupsOn(first.lustre.imageId), [...FAT_GROUPS, "lustre"].sort());
    assert.deepEqual(await groupsOn(first.gpu.imageId), [...FAT_GROUPS, "cuda", "lustre"].sort());
    assert.deepEqual(await groupsOn(first.other.imageId), ["builder", "doca"]);
    const fatFacts = await e2e.runOnImage(
      first.fat.imageId,
      "cat /etc/fixture/builder_value /etc/fixture/extravars; getent passwd fixture-user | cut -d: -f1",
    );
    assert.deepEqual(fatFacts.trim().split("\n"), ["from-site", "fat-v1", "fixture-user"]);
    assert.equal(
      (await e2e.runOnImage(first.other.imageId, "getent passwd fixture-user || echo none")).trim(),
      "none",
    );
  });

  it("nothing of the builders is left; images carry provenance and the hw_* defaults", async () => {
    assert.deepEqual(await e2e.cloudResources(), {
      servers: [],
      volumes: [],
      keypairs: [],
      floatingIps: [],
      ports: [],
    });
    const props = (
      await e2e.osc.json<{ properties: Record<string, unknown> }>([
        "image",
        "show",
        first.gpu.imageId,
      ])
    ).properties;
    assert.equal(props.image_build_fingerprint, first.gpu.fingerprint);
    assert.equal(props.image_build_source_image_id, first.lustre.imageId);
    assert.equal(props.image_build_inventory_groups, "builder,cuda");
    assert.match(String(props.image_build_git_commit), /^[0-9a-f]{40}$/);
    assert.equal(props.hw_machine_type, "q35");
    assert.equal(props.hw_disk_bus, "scsi");
    assert.equal(props.hw_scsi_model, "virtio-scsi");
    assert.equal(props.os_admin_user, "rocky");
    assert.equal(props.signature_verified, undefined);
  });

  it("a second up with no change changes nothing, in the engine and in the cloud", async () => {
    e2e.cloud.clearRequests();
    const started = Date.now();
    const result = await stack.up({ color: "never" });
    const seconds = (Date.now() - started) / 1000;
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(
      ([op]) => op !== "same",
    );
    assert.deepEqual(
      changes,
      [],
      `the second up changed: ${JSON.stringify(result.summary.resourceChanges)}`,
    );
    assert.deepEqual(e2e.mutatingRequests(), []);
    process.stdout.write(`      (no-op up with 4 builds: ${seconds.toFixed(1)} s)\n`);
    assert.deepEqual(await images(), first);
  });

  it("a change to a file the fat build reads rebuilds it and its dependants only, keeping old images", async () => {
    e2e.editAppliance("builds/fat.yml", "fixture_extravar: fat-v2\n");
    const preview = await stack.preview({ diff: true, color: "never" });
    assert.equal(
      preview.changeSummary.replace,
      3,
      `preview: ${JSON.stringify(preview.changeSummary)}\n${preview.stdout}`,
    );
    assert.match(preview.stdout, /fat-image[\s\S]*extraVarsFileDigest/);
    for (const key of ["fat", "lustre", "gpu"])
      assert.match(preview.stdout, new RegExp(`${key}-image`));
    assert.doesNotMatch(preview.stdout, /other-image/);

    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.resourceChanges?.replace, 3);
    const second = await images();
    assert.equal(second.other.imageId, first.other.imageId);
    for (const key of ["fat", "lustre", "gpu"])
      assert.notEqual(second[key].imageId, first[key].imageId);
    assert.equal(second.lustre.sourceImageId, second.fat.imageId);
    const names = (await e2e.osc.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID);
    for (const key of ["fat", "lustre", "gpu"])
      assert.ok(names.includes(first[key].imageId), `old ${key} image deleted`);
    assert.equal(
      (await e2e.runOnImage(second.fat.imageId, "cat /etc/fixture/extravars")).trim(),
      "fat-v2",
    );
    assert.deepEqual(await e2e.cloudResources(), {
      servers: [],
      volumes: [],
      keypairs: [],
      floatingIps: [],
      ports: [],
    });
    first = second;
  });

  it("destroy leaves no builder and keeps the images", async () => {
    const result = await stack.destroy({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(await e2e.cloudResources(), {
      servers: [],
      volumes: [],
      keypairs: [],
      floatingIps: [],
      ports: [],
    });
    const ids = (await e2e.osc.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID);
    for (const image of Object.values(first)) assert.ok(ids.includes(image.imageId));
  });
});
