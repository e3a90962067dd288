/**
 * The preflight (README: "Preflight"), for real: `pulumi preview` of a stack
 * whose flavor, network, security group or volume type the cloud does not
 * have, or whose parallel builds the quota has no room for, fails with a
 * message naming the build, the config key, the value and what the cloud has
 * — and not one request that changes anything reaches localcloud. A network
 * given by name passes the preflight and builds.
 */
import { strict as assert } from "node:assert";
import { startE2e, type E2e, fatBuildConfig, NO_BUILDER } from "./harness";

const NS = "slurm-image-builder";

describe("end to end: preflight in pulumi preview", function () {
  this.timeout(20 * 60_000);
  let e2e: E2e;

  before(async () => (e2e = await startE2e("preflight")));
  after(async () => e2e && (await e2e.stop()));
  afterEach(() => e2e?.cloud.quotas.clear());

  /** Previews `config`; expects it to fail with `pattern` and to have changed nothing in the cloud. */
  async function failsAtPreview(name: string, config: Record<string, unknown>, pattern: RegExp) {
    const stack = await e2e.stack(name, config);
    e2e.cloud.clearRequests();
    let message = "";
    await assert.rejects(stack.preview({ color: "never" }), (err: Error) => {
      message = err.message;
      return true;
    });
    assert.match(message, /Preflight found \d+ problems? in the cloud .*; nothing was created/);
    assert.match(message, pattern);
    assert.deepEqual(e2e.mutatingRequests(), []);
    assert.ok(
      e2e.cloud.requests().some((r) => r.method === "GET"),
      "the preflight asked the cloud nothing",
    );
    return message;
  }

  it("an unknown flavor fails at preview, naming build, key and value", async () => {
    await failsAtPreview(
      "flavor",
      fatBuildConfig({ flavor: "general.v9.huge" }),
      new RegExp(
        `build fat: ${NS}:flavor = "general.v9.huge": no flavor named "general.v9.huge" is visible to this project`,
      ),
    );
  });

  it("an unknown network by name fails at preview (per-build key, list index)", async () => {
    await failsAtPreview(
      "network",
      fatBuildConfig({}, { networks: ["localcloud-net", "no-such-net"] }),
      new RegExp(
        `build fat: ${NS}:builds\\.fat\\.networks\\[1\\] = "no-such-net": no network with name "no-such-net" is visible`,
      ),
    );
  });

  it("an unknown security group fails at preview", async () => {
    await failsAtPreview(
      "secgroup",
      fatBuildConfig({ securityGroups: ["default", "builders"] }),
      new RegExp(
        `build fat: ${NS}:securityGroups\\[1\\] = "builders": no security group with name "builders" is visible`,
      ),
    );
  });

  it("an unknown volume type fails at preview, listing the cloud's types", async () => {
    await failsAtPreview(
      "voltype",
      fatBuildConfig({ volumeType: "ceph-ssd" }),
      new RegExp(
        `build fat: ${NS}:volumeType = "ceph-ssd": no volume type "ceph-ssd" is visible to this project; the cloud has: __DEFAULT__, standard`,
      ),
    );
  });

  it("parallel builds over the instance quota fail at preview; chained builds count once", async () => {
    const two = {
      ...fatBuildConfig(),
      builds: {
        a: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        b: { sourceImageName: "debian-12-localcloud", inventoryGroups: "compute" },
        c: { sourceBuild: "a", inventoryGroups: "cuda" },
      },
    };
    e2e.cloud.quotas.set(e2e.cloud.projects.staging, { instances: 1 });
    await failsAtPreview(
      "quota",
      two,
      /build a, b: slurm-image-builder:builds = "2": quota instances: the builds that would run at once \(a, b\) need 2 instances, but the project uses 0 of its quota of 1 instances, so 1 are free/,
    );
    // A chain runs one build at a time: one instance is enough.
    e2e.cloud.quotas.set(e2e.cloud.projects.staging, { instances: 1 });
    const chain = await e2e.stack("chain", {
      ...fatBuildConfig(),
      builds: {
        a: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        c: { sourceBuild: "a", inventoryGroups: "cuda" },
      },
    });
    e2e.cloud.clearRequests();
    await chain.preview({ color: "never" });
    assert.deepEqual(e2e.mutatingRequests(), []);
  });

  it("every problem at once: a pool that is not external, a source image id, a zone; the valid ones pass", async () => {
    const missing = "0badc0de-0000-4000-8000-000000000000";
    const message = await failsAtPreview(
      "several",
      {
        ...fatBuildConfig({ floatingIpNetwork: "localcloud-net", availabilityZone: "az9" }),
        builds: { fat: { sourceImage: missing, inventoryGroups: "fatimage" } },
      },
      /Preflight found 3 problems/,
    );
    assert.match(
      message,
      new RegExp(
        `build fat: ${NS}:builds\\.fat\\.sourceImage = "${missing}": no active image with id ${missing} is visible`,
      ),
    );
    assert.match(
      message,
      /build fat: slurm-image-builder:floatingIpNetwork = "localcloud-net": no external network \(floating-IP pool\) with name "localcloud-net"/,
    );
    assert.match(
      message,
      /build fat: slurm-image-builder:availabilityZone = "az9": not an availability zone of the block storage service \(builder volume\); the cloud has: nova; not an availability zone of the compute service \(builder server\); the cloud has: nova/,
    );

    const valid = await e2e.stack("valid", {
      ...fatBuildConfig({ floatingIpNetwork: "public", availabilityZone: "nova" }),
      builds: { fat: { sourceImage: e2e.cloud.baseImageId, inventoryGroups: "fatimage" } },
    });
    e2e.cloud.clearRequests();
    const preview = await valid.preview({ color: "never" });
    assert.ok((preview.changeSummary.create ?? 0) > 0, JSON.stringify(preview.changeSummary));
    assert.deepEqual(e2e.mutatingRequests(), []);
  });

  it("a network given by name (and a zone) passes the preflight and builds; then nothing needs quota", async () => {
    const stack = await e2e.stack(
      "byname",
      fatBuildConfig({ networks: ["localcloud-net"], availabilityZone: "nova" }),
    );
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    const images = (await stack.outputs()).images.value as Record<string, { imageId: string }>;
    assert.match(images.fat.imageId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await e2e.cloudResources(), NO_BUILDER);
    // The image exists: this run builds nothing, so a project without room passes.
    e2e.cloud.quotas.set(e2e.cloud.projects.staging, { instances: 0, volumes: 0 });
    e2e.cloud.clearRequests();
    const again = await stack.preview({ color: "never" });
    assert.deepEqual(
      Object.keys(again.changeSummary).filter((op) => op !== "same"),
      [],
      JSON.stringify(again.changeSummary),
    );
    assert.deepEqual(e2e.mutatingRequests(), []);
    e2e.cloud.quotas.clear();
    await stack.destroy({ color: "never" });
  });
});
