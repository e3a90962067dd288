// Stop leaves nothing behind; a restart on the same state directory brings the
// cloud back, servers included. The image property os_admin_user names the default user.
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
  Rest,
  ssh,
  type TestKey,
  waitFor,
} from "../src/testing";

describe("localcloud restart and default user", function () {
  this.timeout(600_000);
  let cloud: LocalCloud | undefined;
  let key: TestKey;
  let stateDir: string;
  let octet: number;

  before(async function () {
    const missing = missingPrerequisites();
    if (missing) {
      console.warn(`skipping localcloud restart test: ${missing}`);
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-restart-"));
    key = makeKey();
  });

  after(async function () {
    await cloud?.stop();
    key?.cleanup();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const volumeReady = async (api: Rest, id: string) =>
    waitFor(
      "volume available",
      async () =>
        ((await api.call("GET", api.vol(`/volumes/${id}`))).json.volume as { status: string })
          .status === "available",
    );
  const serverStatus = async (api: Rest, id: string) =>
    ((await api.call("GET", `/compute/v2.1/servers/${id}`)).json.server as { status: string })
      .status;

  it("boots as the user named by os_admin_user, survives a restart, leaves nothing on stop", async () => {
    cloud = await startLocalCloud({ stateDir, port: 0, transitionMs: 100, log: () => {} });
    octet = cloud.octet;
    let api = await Rest.login(cloud);
    // an image of our own made from the default one, then told its user is "builder"
    const v0 = (
      await api.call("POST", api.vol("/volumes"), {
        volume: { size: 2, imageRef: cloud.baseImageId },
      })
    ).json.volume as { id: string };
    await volumeReady(api, v0.id);
    const up = await api.call("POST", api.vol(`/volumes/${v0.id}/action`), {
      "os-volume_upload_image": { image_name: "with-user" },
    });
    const imageId = (up.json["os-volume_upload_image"] as { image_id: string }).image_id;
    await waitFor(
      "image active",
      async () => (await api.call("GET", `/image/v2/images/${imageId}`)).json.status === "active",
    );
    const patched = await api.call(
      "PATCH",
      `/image/v2/images/${imageId}`,
      [
        { op: "add", path: "/os_admin_user", value: "builder" },
        { op: "remove", path: "/signature_verified" },
      ],
      { headers: { "Content-Type": "application/openstack-images-v2.1-json-patch" } },
    );
    assert.equal(patched.status, 200, patched.text);
    const vol = (
      await api.call("POST", api.vol("/volumes"), {
        volume: { size: 2, imageRef: imageId, name: "restart-vol" },
      })
    ).json.volume as { id: string };
    await volumeReady(api, vol.id);
    assert.equal(
      (
        await api.call("POST", "/compute/v2.1/os-keypairs", {
          keypair: { name: "k", public_key: key.publicKey },
        })
      ).status,
      200,
    );
    const net = (
      (await api.call("GET", "/network/v2.0/networks?name=localcloud-net")).json.networks as {
        id: string;
      }[]
    )[0];
    const created = await api.call("POST", "/compute/v2.1/servers", {
      server: {
        name: "Restart Me",
        flavorRef: "2",
        key_name: "k",
        networks: [{ uuid: net.id }],
        block_device_mapping_v2: [
          { uuid: vol.id, source_type: "volume", destination_type: "volume", boot_index: 0 },
        ],
      },
    });
    assert.equal(created.status, 202, created.text);
    const id = (created.json.server as { id: string }).id;
    await waitFor("ACTIVE", async () => (await serverStatus(api, id)) === "ACTIVE");
    const ip = (
      (await api.call("GET", `/compute/v2.1/servers/${id}`)).json.server as {
        addresses: Record<string, { addr: string }[]>;
      }
    ).addresses["localcloud-net"][0].addr;
    assert.equal(
      (await waitFor("ssh", () => ssh(key, "builder", ip, "hostname"), 60_000)).trim(),
      "restart-me",
    );
    await assert.rejects(ssh(key, "rocky", ip, "true"), /Permission denied/);

    await cloud.stop();
    cloud = undefined;
    assert.deepEqual(
      [...leftovers(stateDir), ...listeners(octet)],
      [],
      "stop leaves no process, mount or listener",
    );

    cloud = await startLocalCloud({ stateDir, port: 0, transitionMs: 100, log: () => {} });
    assert.equal(cloud.octet, octet, "addresses are kept");
    api = await Rest.login(cloud);
    assert.equal(await serverStatus(api, id), "ACTIVE");
    assert.equal(
      (
        await waitFor("ssh after restart", () => ssh(key, "builder", ip, "hostname"), 60_000)
      ).trim(),
      "restart-me",
    );

    assert.equal((await api.call("DELETE", `/compute/v2.1/servers/${id}`)).status, 204);
    await waitFor(
      "server gone",
      async () => (await api.call("GET", `/compute/v2.1/servers/${id}`)).status === 404,
    );
    await cloud.stop();
    cloud = undefined;
    assert.deepEqual([...leftovers(stateDir), ...listeners(octet)], []);
  });
});
