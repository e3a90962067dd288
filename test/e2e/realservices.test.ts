/**
 * This program against localcloud with the real Keystone and Glance (Debian's
 * packages, localcloud's `realServices`): one build of a fat image and an
 * extra build on it, a second `up` that changes nothing (the real Glance's
 * calls counted too), then the promotion suite (share, accept, copy, unpin,
 * retention). Skipped, saying why, when the packages are missing.
 */
import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { missingRealServices } from "@slurm-image-builder/localcloud/testing";
import { startE2e, type E2e } from "./harness";
import { promotionSuite } from "./suites/promotion";

interface ImageOut {
  imageId: string;
  imageName: string;
  sourceImageId: string;
}

const missing = missingRealServices();

describe("end to end with the real Keystone and Glance: a build and a no-op up", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  let stack: Stack;
  let first: Record<string, ImageOut>;
  const images = async () => (await stack.outputs()).images.value as Record<string, ImageOut>;

  before(async function () {
    if (missing) {
      console.warn(`skipping the real-services end-to-end tests: ${missing}`);
      this.skip();
    }
    e2e = await startE2e("realservices", { cloud: { realServices: true } });
  });
  after(async () => e2e && (await e2e.stop()));

  it("up builds a fat image and an extra build on it, both active in the real Glance", async () => {
    stack = await e2e.stack("staging", {
      flavor: "general.v1.small",
      networks: ["localcloud-net"],
      sshTimeoutMinutes: 3,
      builds: {
        fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        lustre: { sourceBuild: "fat", inventoryGroups: "lustre" },
      },
    });
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    first = await images();
    assert.deepEqual(Object.keys(first).sort(), ["fat", "lustre"]);
    assert.equal(first.lustre.sourceImageId, first.fat.imageId);
    for (const image of Object.values(first)) {
      const shown = await e2e.osc.json<{ status: string; name: string }>([
        "image",
        "show",
        image.imageId,
      ]);
      assert.equal(shown.status, "active");
      assert.equal(shown.name, image.imageName);
    }
    const groups = (await e2e.runOnImage(first.lustre.imageId, "ls /etc/fixture/groups"))
      .trim()
      .split("\n");
    assert.ok(groups.includes("lustre") && groups.includes("fatimage"), groups.join(","));
  });

  it("a second up with no change changes nothing, in the engine, Nova/Cinder/Neutron and Glance", async () => {
    e2e.cloud.clearRequests();
    const result = await stack.up({ color: "never" });
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(
      ([op]) => op !== "same",
    );
    assert.deepEqual(changes, []);
    assert.ok(
      e2e.cloud.requests().some((r) => r.service === "image"),
      "the real Glance's calls are in the request log",
    );
    assert.deepEqual(e2e.mutatingRequests(), []);
    assert.deepEqual(await images(), first);
  });
});

if (!missing) promotionSuite({ realServices: true });
