/**
 * The built images as their consumer sees them: an OpenTofu configuration
 * shaped like the Slurm appliance's CI deployment (test/fixtures/opentofu)
 * looks up images by name with the real OpenStack provider, against
 * localcloud. Needs `npm run tools` (tofu and the provider mirror); fails,
 * saying so, without them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../tools/paths";
import { LocalCloud, startLocalCloud } from "@slurm-image-builder/localcloud";
import { Rest } from "@slurm-image-builder/localcloud/testing";
import { TofuError, missingTofu, tofuPlan } from "../helpers/tofu";

const CONFIG = join(repoRoot, "test", "fixtures", "opentofu");

/** Registers an image through Glance (create + a few bytes of data); returns its id. */
async function createImage(api: Rest, name: string): Promise<string> {
  const created = await api.call("POST", "/image/v2/images", {
    name,
    disk_format: "raw",
    container_format: "bare",
    os_distro: "rocky",
  });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id as string;
  const put = await api.call("PUT", `/image/v2/images/${id}/file`, undefined, {
    raw: Buffer.from(`stand-in data of ${name}\n`),
    headers: { "Content-Type": "application/octet-stream" },
  });
  assert.equal(put.status, 204, put.text);
  return id;
}

describe("OpenTofu consumer of the built images (localcloud)", function () {
  this.timeout(5 * 60_000);
  let cloud: LocalCloud;
  let dir: string;
  let env: Record<string, string>;
  let api: Rest;
  const imageName = "openhpc-RL9-consumer-test";
  let olderId: string;
  let newestId: string;

  before(async function () {
    const missing = missingTofu();
    if (missing) throw new Error(missing);
    dir = mkdtempSync(join(tmpdir(), "tofu-consumer-"));
    cloud = await startLocalCloud({
      stateDir: join(dir, "cloud"),
      port: 0,
      baseImage: false,
      transitionMs: 50,
      log: () => {},
    });
    env = {
      ...cloud.env(cloud.clouds.staging),
      // Any request off this machine (a registry, a version check) would go to
      // a proxy that refuses it; Go never proxies loopback (localcloud).
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      https_proxy: "http://127.0.0.1:9",
      http_proxy: "http://127.0.0.1:9",
    };
    api = await Rest.login(cloud);
    // Two images of the same name, as after a rebuild: most_recent picks the newer.
    olderId = await createImage(api, imageName);
    await new Promise((r) => setTimeout(r, 1100)); // created_at has one-second resolution
    newestId = await createImage(api, imageName);
  });

  after(async () => {
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function varFile(name: string, vars: Record<string, unknown>): string {
    const file = join(dir, `${name}.tfvars.json`);
    writeFileSync(file, `${JSON.stringify(vars, null, 2)}\n`);
    return file;
  }

  it("resolves cluster_image to exactly the image the build made", async () => {
    const file = varFile("match", {
      cluster_image: { compute: imageName },
      cluster_image_id: newestId,
    });
    const { resolvedImageIds, plan } = await tofuPlan({
      configDir: CONFIG,
      workDir: join(dir, "match"),
      varFile: file,
      env,
    });
    assert.notEqual(newestId, olderId);
    // `tofu init` installed the provider from the tools' mirror, offline.
    const lock = readFileSync(join(dir, "match", ".terraform.lock.hcl"), "utf8");
    assert.match(
      lock,
      /provider "registry\.opentofu\.org\/terraform-provider-openstack\/openstack"/,
    );
    assert.match(lock, /version\s+=\s+"3\.4\.0"/);
    assert.deepEqual(resolvedImageIds, { compute: newestId });
    assert.deepEqual(plan.planned_values?.outputs?.cluster_image_ids?.value, {
      compute: newestId,
    });
    // The lookup reached localcloud's Glance, and nothing was served as unknown.
    const calls = cloud.requests();
    assert.ok(
      calls.some((r) => r.method === "GET" && r.path.startsWith("/image/v2/images")),
      "no image list call",
    );
    assert.deepEqual(
      calls.filter((r) => r.unserved),
      [],
    );
  });

  it("fails the plan when no image has the name", async () => {
    const file = varFile("missing", { cluster_image: { compute: "no-such-image-anywhere" } });
    const err = await tofuPlan({
      configDir: CONFIG,
      workDir: join(dir, "missing"),
      varFile: file,
      env,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TofuError, `expected tofu plan to fail, got ${String(err)}`);
    assert.deepEqual(err.args.slice(0, 1), ["plan"]);
    assert.match(err.message, /Your query returned no results/);
  });

  it("fails the plan when the name resolves to another image than cluster_image_id", async () => {
    const file = varFile("mismatch", {
      cluster_image: { compute: imageName },
      cluster_image_id: olderId,
    });
    const err = await tofuPlan({
      configDir: CONFIG,
      workDir: join(dir, "mismatch"),
      varFile: file,
      env,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TofuError, `expected tofu plan to fail, got ${String(err)}`);
    // tofu wraps the message; the ids are uuids (no regex metacharacters).
    assert.match(
      err.message,
      new RegExp(`resolved to\\s+${newestId},\\s+not to cluster_image_id\\s+${olderId}\\.`),
    );
  });
});
