// The image-build lifecycle with the real `openstack` CLI against localcloud,
// with real servers reached over ssh.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCloud, startLocalCloud } from "../../src";
import {
  leftovers,
  listeners,
  makeKey,
  missingPrerequisites,
  Osc,
  ssh,
  type TestKey,
  waitFor,
} from "../../src/testing";
import { openstackCli } from "../repoTools";

/** Options of a suite: which Keystone and Glance the cloud has. */
export interface SuiteOptions {
  /** The real Keystone and Glance (localcloud's `realServices`). */
  realServices?: boolean;
}

/** `describe` title suffix naming the services the suite ran against. */
/** How long a cloud with the real services may take to start (MariaDB, Keystone, Glance, identities). */
export const REAL_START_MS = 300_000;

export const against = (o: SuiteOptions) => (o.realServices ? " (real Keystone and Glance)" : "");

export function conformanceSuite(o: SuiteOptions = {}): void {
  describe(`localcloud conformance with the openstack CLI${against(o)}`, function () {
    this.timeout(600_000);
    let cloud: LocalCloud;
    let osc: Osc;
    let key: TestKey;
    let stateDir: string;
    const ids: Record<string, string> = {};

    before(async function () {
      const missing = missingPrerequisites();
      if (missing) {
        console.warn(`skipping localcloud conformance: ${missing}`);
        this.skip();
      }
      stateDir = mkdtempSync(join(tmpdir(), "localcloud-conf-"));
      cloud = await startLocalCloud({
        stateDir,
        port: 0,
        log: () => {},
        realServices: o.realServices,
      });
      osc = new Osc(await openstackCli(), cloud.env());
      key = makeKey();
    });

    after(async function () {
      if (!cloud) return;
      await cloud.stop();
      key?.cleanup();
      // LOCALCLOUD_REQUEST_LOG=file keeps the calls the CLI made (for docs/localcloud.md)
      if (process.env.LOCALCLOUD_REQUEST_LOG)
        writeFileSync(
          process.env.LOCALCLOUD_REQUEST_LOG,
          JSON.stringify(cloud.requests(), null, 1),
        );
      const left = [...leftovers(stateDir), ...listeners(cloud.octet)];
      rmSync(stateDir, { recursive: true, force: true });
      assert.deepEqual(left, [], "nothing is left running or mounted");
    });

    const volumeStatus = async (id: string) =>
      (await osc.json<{ status: string }>(["volume", "show", id])).status;
    const serverStatus = async (id: string) =>
      (await osc.json<{ status: string }>(["server", "show", id])).status;

    it("lists the default image, flavors and networks", async () => {
      const images = await osc.json<{ ID: string; Name: string; Status: string }[]>([
        "image",
        "list",
      ]);
      const base = images.find((i) => i.Name === "debian-12-localcloud");
      assert.ok(base, "default image listed");
      assert.equal(base.Status, "active");
      ids.base = base.ID;
      const flavors = await osc.json<{ Name: string }[]>(["flavor", "list"]);
      assert.ok(flavors.some((f) => f.Name === "m1.small"));
      const nets = await osc.json<{ Name: string }[]>(["network", "list"]);
      assert.deepEqual(nets.map((n) => n.Name).sort(), ["localcloud-net", "public"]);
    });

    it("creates a keypair and a volume from the default image", async () => {
      const pub = join(key.dir, "id_ed25519.pub");
      await osc.run(["keypair", "create", "--public-key", pub, "conf-key"]);
      const vol = await osc.json<{ id: string; status: string }>([
        "volume",
        "create",
        "--image",
        ids.base,
        "--size",
        "3",
        "--type",
        "__DEFAULT__",
        "conf-vol",
      ]);
      assert.equal(vol.status, "creating");
      ids.vol = vol.id;
      await waitFor("volume available", async () => (await volumeStatus(vol.id)) === "available");
    });

    it("boots a server from the volume, reachable over ssh with sudo", async () => {
      const srv = await osc.json<{ id: string; status: string }>([
        "server",
        "create",
        "--flavor",
        "m1.small",
        "--volume",
        ids.vol,
        "--network",
        "localcloud-net",
        "--key-name",
        "conf-key",
        "--security-group",
        "default",
        "--property",
        "role=builder",
        "--wait",
        "conf-builder",
      ]);
      assert.equal(srv.status, "ACTIVE");
      ids.srv = srv.id;
      assert.equal(await volumeStatus(ids.vol), "in-use");
      const show = await osc.json<{ addresses: Record<string, string[]> }>([
        "server",
        "show",
        srv.id,
      ]);
      const ip = show.addresses["localcloud-net"][0];
      assert.match(ip, new RegExp(`^127\\.${cloud.octet}\\.0\\.`));
      const out = await waitFor(
        "ssh",
        () =>
          ssh(
            key,
            "rocky",
            ip,
            "hostname && sudo -n sh -c 'echo built-by-conformance > /etc/localcloud-conformance' && echo ok",
          ),
        60_000,
      );
      assert.equal(out.trim(), "conf-builder\nok");
      // metadata is there as cloud-init would leave it
      const md = JSON.parse(
        await ssh(key, "rocky", ip, "cat /var/lib/cloud/instance/meta_data.json"),
      ) as { meta: Record<string, string>; uuid: string };
      assert.equal(md.uuid, srv.id);
      assert.equal(md.meta.role, "builder");
    });

    it("reaches the same server through a floating IP", async () => {
      const fip = await osc.json<{ floating_ip_address: string; id: string }>([
        "floating",
        "ip",
        "create",
        "public",
      ]);
      ids.fip = fip.id;
      await osc.run(["server", "add", "floating", "ip", ids.srv, fip.floating_ip_address]);
      const out = await waitFor(
        "ssh via floating ip",
        () => ssh(key, "rocky", fip.floating_ip_address, "cat /etc/localcloud-conformance"),
        30_000,
      );
      assert.equal(out.trim(), "built-by-conformance");
      await osc.run(["floating", "ip", "delete", fip.id]);
    });

    it("stops and deletes the server; the volume becomes available", async () => {
      await osc.run(["server", "stop", ids.srv]);
      await waitFor("SHUTOFF", async () => (await serverStatus(ids.srv)) === "SHUTOFF");
      const shown = await osc.json<Record<string, unknown>>(["server", "show", ids.srv]);
      assert.equal(shown["OS-EXT-STS:power_state"], 4);
      await osc.run(["server", "delete", "--wait", ids.srv]);
      assert.match(await osc.fails(["server", "show", ids.srv]), /No Server found/);
      await waitFor("volume available", async () => (await volumeStatus(ids.vol)) === "available");
    });

    it("uploads the volume to an image that becomes active", async () => {
      const up = await osc.json<{ image_id: string }>([
        "image",
        "create",
        "--volume",
        ids.vol,
        "--disk-format",
        "raw",
        "conf-image",
      ]);
      ids.img = up.image_id;
      await waitFor(
        "image active",
        async () =>
          (await osc.json<{ status: string }>(["image", "show", ids.img])).status === "active",
      );
      const img = await osc.json<{
        properties: Record<string, string>;
        visibility: string;
        disk_format: string;
      }>(["image", "show", ids.img]);
      assert.equal(img.visibility, "private");
      assert.equal(img.disk_format, "raw");
      // Cinder copies signature_verified from the volume's image metadata (OpenStack bug 1823445)
      assert.equal(img.properties.signature_verified, "False");
    });

    it("fails a volume from an image carrying signature_verified, until the property is unset", async () => {
      const bad = await osc.json<{ id: string }>([
        "volume",
        "create",
        "--image",
        ids.img,
        "--size",
        "3",
        "conf-bad",
      ]);
      await waitFor("volume error", async () => (await volumeStatus(bad.id)) === "error");
      await osc.run(["volume", "delete", bad.id]);
      await osc.run(["image", "unset", "--property", "signature_verified", ids.img]);
      const img = await osc.json<{ properties: Record<string, string> }>([
        "image",
        "show",
        ids.img,
      ]);
      assert.ok(!("signature_verified" in img.properties));
    });

    it("boots a new server from the built image and sees the file", async () => {
      const vol = await osc.json<{ id: string }>([
        "volume",
        "create",
        "--image",
        ids.img,
        "--size",
        "3",
        "conf-vol2",
      ]);
      ids.vol2 = vol.id;
      await waitFor("volume available", async () => (await volumeStatus(vol.id)) === "available");
      const userData = join(key.dir, "user-data");
      const extra = makeKey();
      writeFileSync(userData, `#cloud-config\nssh_authorized_keys:\n  - ${extra.publicKey}\n`);
      const srv = await osc.json<{ id: string; addresses: Record<string, string[]> }>([
        "server",
        "create",
        "--flavor",
        "m1.small",
        "--volume",
        vol.id,
        "--network",
        "localcloud-net",
        "--key-name",
        "conf-key",
        "--user-data",
        userData,
        "--wait",
        "conf-check",
      ]);
      ids.srv2 = srv.id;
      const ip = srv.addresses["localcloud-net"][0];
      const out = await waitFor(
        "ssh",
        () => ssh(extra, "rocky", ip, "cat /etc/localcloud-conformance; hostname"),
        60_000,
      );
      extra.cleanup();
      assert.equal(out.trim(), "built-by-conformance\nconf-check");
      await osc.run(["server", "delete", "--wait", srv.id]);
      await waitFor("volume available", async () => (await volumeStatus(vol.id)) === "available");
      await osc.run(["volume", "delete", vol.id]);
    });

    it("sets and unsets image properties", async () => {
      await osc.run([
        "image",
        "set",
        "--property",
        "hw_machine_type=q35",
        "--property",
        "os_admin_user=rocky",
        ids.img,
      ]);
      let img = await osc.json<{ properties: Record<string, string> }>(["image", "show", ids.img]);
      assert.equal(img.properties.hw_machine_type, "q35");
      assert.equal(img.properties.os_admin_user, "rocky");
      await osc.run(["image", "unset", "--property", "hw_machine_type", ids.img]);
      img = await osc.json<{ properties: Record<string, string> }>(["image", "show", ids.img]);
      assert.ok(!("hw_machine_type" in img.properties));
      assert.equal(img.properties.os_admin_user, "rocky");
    });

    it("shares the image with the other project, which accepts it", async () => {
      const prod = cloud.clouds.production;
      assert.match(await osc.fails(["image", "show", ids.img], prod), /No Image found/);
      await osc.run(["image", "set", "--shared", ids.img]);
      await osc.run(["image", "add", "project", ids.img, cloud.projects.production]);
      const pending = await osc.json<{ ID: string }[]>(["image", "list"], prod);
      assert.ok(!pending.some((i) => i.ID === ids.img), "pending share not listed");
      await osc.run(["image", "set", "--accept", ids.img], prod);
      const listed = await osc.json<{ ID: string }[]>(["image", "list"], prod);
      assert.ok(
        listed.some((i) => i.ID === ids.img),
        "accepted share listed",
      );
      const members = await osc.json<{ "Member ID": string; Status: string }[]>([
        "image",
        "member",
        "list",
        ids.img,
      ]);
      assert.deepEqual(
        members.map((m) => [m["Member ID"], m.Status]),
        [[cloud.projects.production, "accepted"]],
      );
    });

    it("deletes everything", async () => {
      await osc.run(["image", "delete", ids.img]);
      await osc.run(["volume", "delete", ids.vol]);
      await osc.run(["keypair", "delete", "conf-key"]);
      await waitFor(
        "volumes gone",
        async () => (await osc.json<unknown[]>(["volume", "list"])).length === 0,
      );
      assert.deepEqual(await osc.json<unknown[]>(["server", "list"]), []);
      assert.deepEqual(await osc.json<unknown[]>(["keypair", "list"]), []);
      assert.deepEqual(await osc.json<unknown[]>(["floating", "ip", "list"]), []);
      const images = await osc.json<{ Name: string }[]>(["image", "list"]);
      assert.deepEqual(
        images.map((i) => i.Name),
        ["debian-12-localcloud"],
      );
      assert.deepEqual(
        cloud.requests().filter((r) => r.unserved),
        [],
        "every call the CLI made was served",
      );
    });
  });
}
