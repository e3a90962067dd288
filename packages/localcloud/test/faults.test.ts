// Each injected fault reaches the client (the real `openstack` CLI, ssh) as OpenStack would report it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCloud, startLocalCloud } from "../src";
import {
  leftovers,
  listeners,
  makeKey,
  missingPrerequisites,
  Osc,
  Rest,
  ssh,
  type TestKey,
  tinyImage,
  uploadImage,
  waitFor,
} from "../src/testing";
import { openstackCli } from "./repoTools";

describe("localcloud fault injection", function () {
  this.timeout(300_000);
  let cloud: LocalCloud;
  let osc: Osc;
  let key: TestKey;
  let stateDir: string;

  before(async function () {
    const missing = missingPrerequisites();
    if (missing) {
      console.warn(`skipping localcloud fault tests: ${missing}`);
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-faults-"));
    cloud = await startLocalCloud({ stateDir, port: 0, log: () => {} });
    osc = new Osc(await openstackCli(), cloud.env());
    key = makeKey();
    await osc.run([
      "keypair",
      "create",
      "--public-key",
      join(key.dir, "id_ed25519.pub"),
      "fault-key",
    ]);
  });

  afterEach(() => cloud?.faults.clear());

  after(async function () {
    if (!cloud) return;
    await cloud.stop();
    key?.cleanup();
    const left = [...leftovers(stateDir), ...listeners(cloud.octet)];
    rmSync(stateDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  const volume = async (name: string, image = cloud.baseImageId ?? "") => {
    const v = await osc.json<{ id: string }>([
      "volume",
      "create",
      "--image",
      image,
      "--size",
      "2",
      name,
    ]);
    return v.id;
  };
  const status = async (kind: "volume" | "server" | "image", id: string) =>
    (await osc.json<{ status: string }>([kind, "show", id])).status;

  it("fails a chosen call N times with the service's error (admin endpoint)", async () => {
    const res = await fetch(`${cloud.url}/localcloud/admin/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        kind: "fail",
        method: "GET",
        path: "^/image/v2/images$",
        status: 503,
        times: 1,
      }),
    });
    assert.equal(res.status, 204);
    // openstacksdk retries a 503 (as against a real cloud): one failure is absorbed...
    cloud.clearRequests();
    assert.ok((await osc.json<unknown[]>(["image", "list"])).length >= 1);
    const calls = cloud.requests().filter((r) => r.path.startsWith("/image/v2/images"));
    assert.deepEqual(
      calls.map((r) => r.status),
      [503, 200],
    );
    // ...other errors are not retried.
    cloud.faults.fail({ method: "GET", path: "^/image/v2/images$", status: 500, times: 1 });
    assert.match(await osc.fails(["image", "list"]), /500/);
    cloud.faults.fail({
      method: "POST",
      path: "/servers$",
      status: 500,
      times: 1,
      message: "Unexpected API Error.",
    });
    const nova = await osc.fails([
      "server",
      "create",
      "--flavor",
      "m1.small",
      "--image",
      cloud.baseImageId ?? "",
      "--network",
      "localcloud-net",
      "x",
    ]);
    assert.match(nova, /Unexpected API Error\./);
    assert.match(nova, /500/);
    const statuses = cloud
      .requests()
      .filter((r) => r.method === "POST" && r.path.endsWith("/servers"));
    assert.equal(statuses.at(-1)?.status, 500);
  });

  it("adds latency", async () => {
    cloud.faults.latency({ method: "GET", path: "^/compute/v2.1/flavors", ms: 1500 });
    const t0 = Date.now();
    await osc.run(["flavor", "list"]);
    assert.ok(Date.now() - t0 >= 1500);
  });

  it("sends a volume to error", async () => {
    cloud.faults.volumeError({ name: "^doomed" });
    const id = await volume("doomed-volume");
    await waitFor("error", async () => (await status("volume", id)) === "error");
    await osc.run(["volume", "delete", id]);
  });

  it("sends a server to ERROR with a fault, as nova reports it", async () => {
    const vol = await volume("err-vol");
    await waitFor("available", async () => (await status("volume", vol)) === "available");
    cloud.faults.serverError({ name: "^doomed" });
    const err = await osc.fails([
      "server",
      "create",
      "--flavor",
      "m1.small",
      "--volume",
      vol,
      "--network",
      "localcloud-net",
      "--wait",
      "doomed-server",
    ]);
    assert.match(err, /Error creating server/i);
    const srv = await osc.json<{ status: string; fault: { message: string; code: number } }>([
      "server",
      "show",
      "doomed-server",
    ]);
    assert.equal(srv.status, "ERROR");
    assert.equal(srv.fault.code, 500);
    assert.match(srv.fault.message, /No valid host was found/);
    await osc.run(["server", "delete", "--wait", "doomed-server"]);
    await waitFor("available", async () => (await status("volume", vol)) === "available");
    await osc.run(["volume", "delete", vol]);
  });

  it("keeps an uploaded image in saving", async () => {
    const vol = await volume("stuck-vol");
    await waitFor("available", async () => (await status("volume", vol)) === "available");
    cloud.faults.imageStuckSaving({ name: "^stuck" });
    const up = await osc.json<{ image_id: string }>([
      "image",
      "create",
      "--volume",
      vol,
      "stuck-image",
    ]);
    await waitFor(
      "volume available again",
      async () => (await status("volume", vol)) === "available",
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await status("image", up.image_id), "saving");
    await osc.run(["image", "delete", up.image_id]);
    await osc.run(["volume", "delete", vol]);
  });

  it("refuses SSH for a while", async () => {
    const vol = await volume("ssh-vol");
    await waitFor("available", async () => (await status("volume", vol)) === "available");
    const srv = await osc.json<{ id: string; addresses: Record<string, string[]> }>([
      "server",
      "create",
      "--flavor",
      "m1.small",
      "--volume",
      vol,
      "--network",
      "localcloud-net",
      "--key-name",
      "fault-key",
      "--wait",
      "ssh-server",
    ]);
    const ip = srv.addresses["localcloud-net"][0];
    await waitFor("ssh", () => ssh(key, "rocky", ip, "true").then(() => true), 60_000);
    cloud.faults.sshRefuse(srv.id, 3);
    await assert.rejects(ssh(key, "rocky", ip, "true"), /Connection refused/);
    const back = await waitFor("ssh again", () => ssh(key, "rocky", ip, "echo back"), 20_000);
    assert.equal(back.trim(), "back");
    await osc.run(["server", "delete", "--wait", srv.id]);
    await waitFor("available", async () => (await status("volume", vol)) === "available");
    await osc.run(["volume", "delete", vol]);
  });

  it("marks a source image signature_verified; volumes from it fail (bug 1823445)", async () => {
    const api = await Rest.login(cloud);
    const img = await uploadImage(api, "signed", tinyImage(stateDir));
    cloud.faults.signatureVerified(img);
    const shown = await osc.json<{ properties: Record<string, string> }>(["image", "show", img]);
    assert.equal(shown.properties.signature_verified, "False");
    const id = await volume("from-signed", img);
    await waitFor("error", async () => (await status("volume", id)) === "error");
    await osc.run(["volume", "delete", id]);
    await osc.run(["image", "delete", img]);
  });
});
