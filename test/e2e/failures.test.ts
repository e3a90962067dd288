/**
 * Failed builds, for real, on localcloud: Ansible failing with
 * `onError: cleanup` and `keep`, faults during the upload, and a source
 * image carrying `signature_verified`. After each, the next `up` recovers
 * and nothing of a builder is left in the cloud.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitFor } from "@slurm-image-builder/localcloud/testing";
import { collector, startE2e, type E2e, fatBuildConfig, NO_BUILDER } from "./harness";

const NOTHING = NO_BUILDER;

describe("end to end: failed builds and recovery", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  const build = fatBuildConfig;
  const imageIds = async () =>
    (await e2e.osc.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID).sort();

  before(async () => (e2e = await startE2e("failures")));
  after(async () => e2e && (await e2e.stop()));
  afterEach(() => e2e?.cloud.faults.clear());

  it("onError: cleanup removes everything; the error names the build and shows Ansible's failure", async () => {
    const stack = await e2e.stack("cleanup", build({}, { extraVars: { fixture_fail: true } }));
    const images = await imageIds();
    await assert.rejects(stack.up({ color: "never" }), (err: Error) => {
      assert.match(err.message, /build fat failed while provisioning the builder/);
      assert.match(err.message, /fixture_fail is set: failing the build on purpose/);
      return true;
    });
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    assert.deepEqual(await imageIds(), images);

    e2e.writeConfig("cleanup", build({}, { extraVars: { fixture_fail: false } }));
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    await stack.destroy({ color: "never" });
  });

  it("onError: keep leaves the builder reachable with the printed ssh command; the next up recovers", async () => {
    const stack = await e2e.stack(
      "keep",
      build({ onError: "keep" }, { extraVars: { fixture_fail: true } }),
    );
    // Whatever happens below, the kept builder must not outlive this test.
    const cleanup = async () => {
      e2e.writeConfig("keep", build({}, { extraVars: { fixture_fail: false } }));
      await stack.destroy({ color: "never" }).catch(() => undefined);
    };
    try {
      const out = collector();
      await assert.rejects(stack.up({ color: "never", onOutput: out.onOutput }));
      const left = await e2e.cloudResources();
      assert.equal(left.servers.length, 1, `servers: ${left.servers}`);
      assert.equal(left.volumes.length, 1);
      const sshLine = out.lines.map((l) => l.trim()).find((l) => /(^|\s)ssh -o /.test(l));
      assert.ok(sshLine, `no ssh command printed:\n${out.lines.slice(-40).join("\n")}`);
      const argv = sshLine.slice(sshLine.indexOf("ssh -o")).split(" ");
      // Asynchronously: localcloud runs in this process and must keep serving.
      const { stdout } = await promisify(execFile)(argv[0], [...argv.slice(1), "hostname"]);
      assert.equal(stdout.trim(), left.servers[0]);

      e2e.writeConfig("keep", build({ onError: "keep" }, { extraVars: { fixture_fail: false } }));
      const fixed = collector();
      const result = await stack.up({ color: "never", onOutput: fixed.onOutput });
      assert.equal(result.summary.result, "succeeded");
      assert.ok(fixed.lines.some((l) => l.includes("leftovers of an earlier build found")));
      assert.deepEqual(await e2e.cloudResources(), NOTHING);
      const keyFile = argv[argv.indexOf("-i") + 1];
      assert.ok(!fs.existsSync(keyFile), `debug key ${keyFile} left behind`);
      assert.ok(!fs.existsSync(path.dirname(keyFile)));
    } finally {
      await cleanup();
    }
  });

  it("a 500 from Cinder's upload ends in a clear error, nothing leaked; a re-run succeeds", async () => {
    const stack = await e2e.stack("upload500", build());
    const images = await imageIds();
    e2e.cloud.faults.fail({
      method: "POST",
      path: "/volumes/[^/]+/action$",
      status: 500,
      times: 1,
      message: "injected upload failure",
    });
    await assert.rejects(stack.up({ color: "never" }), (err: Error) => {
      assert.match(err.message, /build fat failed after Ansible/);
      assert.match(err.message, /HTTP 500/);
      return true;
    });
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    assert.deepEqual(await imageIds(), images);
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    await stack.destroy({ color: "never" });
  });

  it("an image stuck in saving fails within imageActiveTimeoutMinutes; a re-run succeeds", async () => {
    const stack = await e2e.stack("stuck", build({ imageActiveTimeoutMinutes: 0.25 }));
    const images = await imageIds();
    e2e.cloud.faults.imageStuckSaving({ name: "^openhpc-fat-" });
    const started = Date.now();
    await assert.rejects(
      stack.up({ color: "never" }),
      /still "saving" after \d+ s \(imageActiveTimeoutMinutes\)/,
    );
    assert.ok(Date.now() - started < 5 * 60_000);
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    assert.deepEqual(await imageIds(), images, "the incomplete image was not deleted");
    e2e.cloud.faults.clear();
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    await stack.destroy({ color: "never" });
  });

  it("a source image with signature_verified: an error with the fix before anything is created, or unset when configured", async () => {
    // A source image of this project (like a site's own upload), so it may be changed.
    const volume = await e2e.osc.json<{ id: string }>([
      "volume",
      "create",
      "--image",
      e2e.cloud.baseImageId!,
      "--size",
      "1",
      "sig-src",
    ]);
    await waitFor(
      "volume available",
      async () =>
        (await e2e.osc.json<{ status: string }>(["volume", "show", volume.id])).status ===
        "available",
    );
    const upload = await e2e.osc.json<{ image_id: string }>([
      "image",
      "create",
      "--volume",
      volume.id,
      "--disk-format",
      "raw",
      "site-source",
    ]);
    const base = upload.image_id;
    await waitFor(
      "image active",
      async () =>
        (await e2e.osc.json<{ status: string }>(["image", "show", base])).status === "active",
    );
    await e2e.osc.run(["volume", "delete", volume.id]);
    await e2e.osc.run(["image", "unset", "--property", "signature_verified", base]);
    e2e.cloud.faults.signatureVerified(base);
    const withSource = (extra: Record<string, unknown> = {}) => ({
      ...build(extra),
      builds: { fat: { sourceImage: base, inventoryGroups: "fatimage" } },
    });
    const stack = await e2e.stack("signature", withSource());
    e2e.cloud.clearRequests();
    await assert.rejects(stack.up({ color: "never" }), (err: Error) => {
      assert.match(err.message, /has the property signature_verified/);
      assert.match(err.message, /openstack image unset --property signature_verified/);
      return true;
    });
    assert.deepEqual(e2e.mutatingRequests(), [], "something was created before the check");

    e2e.writeConfig("signature", withSource({ sourceImageSignatureVerified: "unset" }));
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    const props = (
      await e2e.osc.json<{ properties: Record<string, unknown> }>(["image", "show", base])
    ).properties;
    assert.equal(props.signature_verified, undefined);
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    await stack.destroy({ color: "never" });
  });
});
