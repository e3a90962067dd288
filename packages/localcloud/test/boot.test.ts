// Other ways to boot (image → new volume, image directly) and volume attachments.
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

describe("localcloud boot paths and volume attachments", function () {
  this.timeout(300_000);
  let cloud: LocalCloud;
  let api: Rest;
  let key: TestKey;
  let stateDir: string;
  let netId: string;

  before(async function () {
    const missing = missingPrerequisites();
    if (missing) {
      console.warn(`skipping localcloud boot tests: ${missing}`);
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-boot-"));
    cloud = await startLocalCloud({ stateDir, port: 0, transitionMs: 100, log: () => {} });
    api = await Rest.login(cloud);
    key = makeKey();
    await api.call("POST", "/compute/v2.1/os-keypairs", {
      keypair: { name: "k", public_key: key.publicKey },
    });
    netId = (
      (await api.call("GET", "/network/v2.0/networks?name=localcloud-net")).json.networks as {
        id: string;
      }[]
    )[0].id;
  });

  after(async function () {
    if (!cloud) return;
    await cloud.stop();
    key?.cleanup();
    const left = [...leftovers(stateDir), ...listeners(cloud.octet)];
    rmSync(stateDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  type ServerView = {
    status: string;
    addresses: Record<string, { addr: string }[]>;
    "os-extended-volumes:volumes_attached": { id: string }[];
  };
  const server = async (id: string) =>
    (await api.call("GET", `/compute/v2.1/servers/${id}`)).json.server as ServerView;
  const volume = async (id: string) =>
    (await api.call("GET", api.vol(`/volumes/${id}`))).json.volume as
      { status: string; attachments: { device: string }[] } | undefined;
  const boot = async (extra: Record<string, unknown>, name: string) => {
    const res = await api.call("POST", "/compute/v2.1/servers", {
      server: { name, flavorRef: "2", key_name: "k", networks: [{ uuid: netId }], ...extra },
    });
    assert.equal(res.status, 202, res.text);
    const id = (res.json.server as { id: string }).id;
    await waitFor("ACTIVE", async () => (await server(id)).status === "ACTIVE");
    const ip = (await server(id)).addresses["localcloud-net"][0].addr;
    assert.equal(
      (await waitFor("ssh", () => ssh(key, "rocky", ip, "hostname"), 60_000)).trim(),
      name,
    );
    return id;
  };
  const remove = async (id: string) => {
    assert.equal((await api.call("DELETE", `/compute/v2.1/servers/${id}`)).status, 204);
    await waitFor(
      "server gone",
      async () => (await api.call("GET", `/compute/v2.1/servers/${id}`)).status === 404,
    );
  };

  it("boots from an image into a new volume, deleted with the server", async () => {
    const id = await boot(
      {
        block_device_mapping_v2: [
          {
            uuid: cloud.baseImageId,
            source_type: "image",
            destination_type: "volume",
            boot_index: 0,
            volume_size: 2,
            delete_on_termination: true,
          },
        ],
      },
      "from-image-volume",
    );
    const [attached] = (await server(id))["os-extended-volumes:volumes_attached"];
    assert.equal((await volume(attached.id))?.status, "in-use");
    await remove(id);
    await waitFor(
      "volume deleted",
      async () => (await api.call("GET", api.vol(`/volumes/${attached.id}`))).status === 404,
    );
  });

  it("boots from an image directly", async () => {
    const id = await boot({ imageRef: cloud.baseImageId }, "from-image");
    await remove(id);
  });

  it("stops, starts and reboots a server; ssh works after each start", async () => {
    const id = await boot({ imageRef: cloud.baseImageId }, "power");
    const ip = (await server(id)).addresses["localcloud-net"][0].addr;
    const action = (body: unknown) => api.call("POST", `/compute/v2.1/servers/${id}/action`, body);
    assert.equal((await action({ "os-start": null })).status, 409, "cannot start an active server");
    assert.equal((await action({ "os-stop": null })).status, 202);
    await waitFor("SHUTOFF", async () => (await server(id)).status === "SHUTOFF");
    await assert.rejects(ssh(key, "rocky", ip, "true"), /Connection refused/);
    assert.equal((await action({ "os-start": null })).status, 202);
    await waitFor("ACTIVE", async () => (await server(id)).status === "ACTIVE");
    await waitFor("ssh", () => ssh(key, "rocky", ip, "true").then(() => true), 60_000);
    assert.equal((await action({ reboot: { type: "SOFT" } })).status, 202);
    await waitFor("ACTIVE after reboot", async () => (await server(id)).status === "ACTIVE");
    await waitFor("ssh after reboot", () => ssh(key, "rocky", ip, "true").then(() => true), 60_000);
    const consoleLog = await action({ "os-getConsoleOutput": { length: 50 } });
    assert.match((consoleLog.json as { output: string }).output, /starting sshd/);
    await remove(id);
  });

  it("attaches and detaches a volume; the root volume cannot be detached", async () => {
    const v0 = (
      await api.call("POST", api.vol("/volumes"), {
        volume: { size: 2, imageRef: cloud.baseImageId },
      })
    ).json.volume as { id: string };
    const extra = (
      await api.call("POST", api.vol("/volumes"), { volume: { size: 1, name: "data" } })
    ).json.volume as { id: string };
    await waitFor(
      "volumes available",
      async () =>
        (await volume(v0.id))?.status === "available" &&
        (await volume(extra.id))?.status === "available",
    );
    const id = await boot(
      {
        block_device_mapping_v2: [
          { uuid: v0.id, source_type: "volume", destination_type: "volume", boot_index: 0 },
        ],
      },
      "attach",
    );
    const att = await api.call("POST", `/compute/v2.1/servers/${id}/os-volume_attachments`, {
      volumeAttachment: { volumeId: extra.id },
    });
    assert.equal(att.status, 200, att.text);
    assert.equal((att.json.volumeAttachment as { device: string }).device, "/dev/vdb");
    await waitFor("in-use", async () => (await volume(extra.id))?.status === "in-use");
    const list = (await api.call("GET", `/compute/v2.1/servers/${id}/os-volume_attachments`)).json
      .volumeAttachments as { volumeId: string }[];
    assert.deepEqual(
      list.map((a) => a.volumeId),
      [v0.id, extra.id],
    );
    assert.equal(
      (await api.call("DELETE", `/compute/v2.1/servers/${id}/os-volume_attachments/${v0.id}`))
        .status,
      400,
    );
    assert.equal(
      (await api.call("DELETE", `/compute/v2.1/servers/${id}/os-volume_attachments/${extra.id}`))
        .status,
      202,
    );
    await waitFor("available", async () => (await volume(extra.id))?.status === "available");
    await remove(id);
    await waitFor(
      "root volume available",
      async () => (await volume(v0.id))?.status === "available",
    );
    for (const v of [v0.id, extra.id])
      assert.equal((await api.call("DELETE", api.vol(`/volumes/${v}`))).status, 202);
  });
});
