// localcloud's REST surface: status codes, error bodies and headers as OpenStack
// returns them, auth, visibility, pagination, the request log. No real servers here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCloud, startLocalCloud } from "../src";
import { Rest, tinyImage, uploadImage, waitFor } from "../src/testing";

describe("localcloud API", function () {
  this.timeout(60_000);
  let cloud: LocalCloud;
  let stateDir: string;
  let api: Rest;
  let prod: Rest;
  let tiny: Buffer;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-api-"));
    cloud = await startLocalCloud({
      stateDir,
      port: 0,
      baseImage: false,
      transitionMs: 50,
      log: () => {},
    });
    api = await Rest.login(cloud);
    prod = await Rest.login(cloud, cloud.clouds.production);
    tiny = tinyImage(stateDir);
  });

  after(async () => {
    await cloud?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  describe("identity", () => {
    it("answers version discovery for every service", async () => {
      const id = await api.call("GET", "/identity", undefined, { noAuth: true });
      assert.equal(id.status, 300);
      assert.equal((id.json.versions as { values: { id: string }[] }).values[0].id, "v3.14");
      const compute = await api.call("GET", "/compute/", undefined, { noAuth: true });
      assert.equal(compute.status, 200);
      assert.ok(
        (compute.json.versions as { id: string; version: string }[]).some(
          (v) => v.id === "v2.1" && v.version === "2.96",
        ),
      );
      assert.equal((await api.call("GET", "/image", undefined, { noAuth: true })).status, 300);
      assert.equal((await api.call("GET", "/volume", undefined, { noAuth: true })).status, 300);
      assert.equal((await api.call("GET", "/network", undefined, { noAuth: true })).status, 200);
    });

    it("issues scoped tokens with a catalog and X-Subject-Token", async () => {
      const res = await api.call(
        "POST",
        "/identity/v3/auth/tokens",
        {
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: {
                  name: "staging-user",
                  password: readPassword(cloud, "localcloud"),
                  domain: { name: "Default" },
                },
              },
            },
            scope: { project: { name: "staging", domain: { name: "Default" } } },
          },
        },
        { noAuth: true },
      );
      assert.equal(res.status, 201);
      assert.ok(res.headers.get("x-subject-token"));
      const token = res.json.token as {
        catalog: {
          type: string;
          endpoints: { region: string; interface: string; url: string }[];
        }[];
        expires_at: string;
        project: { name: string };
      };
      assert.equal(token.project.name, "staging");
      assert.ok(Date.parse(token.expires_at) > Date.now());
      for (const type of ["identity", "compute", "volumev3", "block-storage", "image", "network"]) {
        const svc = token.catalog.find((c) => c.type === type);
        assert.ok(svc, type);
        assert.ok(svc.endpoints.some((e) => e.region === "RegionOne" && e.interface === "public"));
      }
    });

    it("accepts application credentials", async () => {
      const ac = await Rest.login(cloud, cloud.clouds.appcred);
      assert.equal(ac.projectId, api.projectId);
      assert.equal((await ac.call("GET", "/compute/v2.1/flavors")).status, 200);
    });

    it("refuses wrong credentials and another project's scope with 401", async () => {
      const bad = await api.call(
        "POST",
        "/identity/v3/auth/tokens",
        {
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: { name: "staging-user", password: "wrong", domain: { name: "Default" } },
              },
            },
          },
        },
        { noAuth: true },
      );
      assert.equal(bad.status, 401);
      assert.deepEqual(bad.json, {
        error: {
          code: 401,
          title: "Unauthorized",
          message: "The request you have made requires authentication.",
        },
      });
      const otherScope = await api.call(
        "POST",
        "/identity/v3/auth/tokens",
        {
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: {
                  name: "staging-user",
                  password: readPassword(cloud, "localcloud"),
                  domain: { name: "Default" },
                },
              },
            },
            scope: { project: { name: "production", domain: { name: "Default" } } },
          },
        },
        { noAuth: true },
      );
      assert.equal(otherScope.status, 401);
    });

    it("refuses requests without a token, and expired tokens", async () => {
      const none = await api.call("GET", "/compute/v2.1/servers", undefined, { noAuth: true });
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Keystone uri=/);
      const fresh = await Rest.login(cloud);
      cloud.faults.expireTokens();
      assert.equal((await fresh.call("GET", "/image/v2/images")).status, 401);
      api = await Rest.login(cloud);
      prod = await Rest.login(cloud, cloud.clouds.production);
    });
  });

  it("expires tokens after their lifetime", async () => {
    const dir = mkdtempSync(join(tmpdir(), "localcloud-ttl-"));
    const short = await startLocalCloud({
      stateDir: dir,
      port: 0,
      baseImage: false,
      tokenTtlSeconds: 1,
      log: () => {},
    });
    try {
      const client = await Rest.login(short);
      assert.equal((await client.call("GET", "/compute/v2.1/flavors")).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await client.call("GET", "/compute/v2.1/flavors")).status, 401);
    } finally {
      await short.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("errors and headers", () => {
    it("nova: itemNotFound, request id and microversion headers", async () => {
      const res = await api.call("GET", "/compute/v2.1/servers/nope");
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, {
        itemNotFound: { code: 404, message: "Instance nope could not be found." },
      });
      assert.match(res.headers.get("x-openstack-request-id") ?? "", /^req-[0-9a-f-]{36}$/);
      assert.equal(res.headers.get("openstack-api-version"), "compute 2.1");
      assert.equal(res.headers.get("x-openstack-nova-api-version"), "2.1");
      const v = await api.call("GET", "/compute/v2.1/flavors", undefined, {
        headers: { "OpenStack-API-Version": "compute 2.79" },
      });
      assert.equal(v.headers.get("openstack-api-version"), "compute 2.79");
      const tooNew = await api.call("GET", "/compute/v2.1/flavors", undefined, {
        headers: { "X-OpenStack-Nova-API-Version": "2.999" },
      });
      assert.equal(tooNew.status, 406);
    });

    it("cinder, neutron and glance errors in their own formats", async () => {
      const vol = await api.call("GET", api.vol("/volumes/nope"));
      assert.deepEqual(vol.json, {
        itemNotFound: { code: 404, message: "Volume nope could not be found." },
      });
      const net = await api.call("GET", "/network/v2.0/networks/nope");
      assert.equal(net.status, 404);
      assert.deepEqual(net.json, {
        NeutronError: {
          type: "NetworkNotFound",
          message: "Network nope could not be found.",
          detail: "",
        },
      });
      const img = await api.call("GET", "/image/v2/images/nope");
      assert.equal(img.status, 404);
      assert.equal((img.json as { code: string }).code, "404 Not Found");
      const html = await api.call("GET", "/image/v2/images/nope", undefined, {
        headers: { Accept: "*/*" },
      });
      assert.match(html.headers.get("content-type") ?? "", /text\/html/);
      assert.match(html.text, /<title>404 Not Found<\/title>[\s\S]*No image found with ID nope/);
    });

    it("answers unknown routes 404 and logs them as unserved", async () => {
      cloud.clearRequests();
      const res = await api.call("GET", "/compute/v2.1/os-hypervisors");
      assert.equal(res.status, 404);
      assert.deepEqual(
        cloud.requests().map((r) => [r.method, r.path, r.status, r.unserved]),
        [["GET", "/compute/v2.1/os-hypervisors", 404, true]],
      );
      const log = await api.call("GET", "/localcloud/admin/requests", undefined, { noAuth: true });
      assert.equal((log.json.requests as unknown[]).length, 2);
    });
  });

  describe("images", () => {
    it("creates, uploads, filters, sorts and pages", async () => {
      const ids = [];
      for (const name of ["img-b", "img-a", "img-c"]) ids.push(await uploadImage(api, name, tiny));
      const one = await api.call("GET", `/image/v2/images/${ids[0]}`);
      assert.equal(one.json.status, "active");
      assert.equal(one.json.size, tiny.length);
      assert.equal(one.json.os_hash_algo, "sha512");
      const byName = await api.call("GET", "/image/v2/images?name=img-a");
      assert.deepEqual(
        (byName.json.images as { id: string }[]).map((i) => i.id),
        [ids[1]],
      );
      const sorted = await api.call("GET", "/image/v2/images?sort=name:asc&limit=2&status=active");
      assert.deepEqual(
        (sorted.json.images as { name: string }[]).map((i) => i.name),
        ["img-a", "img-b"],
      );
      const next = sorted.json.next as string;
      assert.match(next, /^\/v2\/images\?.*marker=/);
      const page2 = await api.call("GET", `/image${next}`);
      assert.deepEqual(
        (page2.json.images as { name: string }[]).map((i) => i.name),
        ["img-c"],
      );
      assert.equal(page2.json.next, undefined);
      const bad = await api.call("GET", "/image/v2/images?marker=nope");
      assert.equal(bad.status, 400);
      const data = await fetch(`${cloud.url}/image/v2/images/${ids[0]}/file`, {
        headers: { "X-Auth-Token": api.token },
      });
      assert.deepEqual(Buffer.from(await data.arrayBuffer()), tiny);
    });

    it("patches properties and visibility with JSON patch", async () => {
      const id = await uploadImage(api, "img-patch", tiny);
      const patch = (ops: unknown, ct = "application/openstack-images-v2.1-json-patch") =>
        api.call("PATCH", `/image/v2/images/${id}`, ops, { headers: { "Content-Type": ct } });
      let res = await patch([
        { op: "add", path: "/hw_machine_type", value: "q35" },
        { op: "replace", path: "/visibility", value: "private" },
      ]);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.hw_machine_type, "q35");
      assert.equal(res.json.visibility, "private");
      res = await patch([{ op: "remove", path: "/hw_machine_type" }]);
      assert.equal(res.json.hw_machine_type, undefined);
      assert.equal((await patch([{ op: "remove", path: "/absent" }])).status, 409);
      assert.equal((await patch([{ op: "add", path: "/n", value: 1 }])).status, 400);
      assert.equal((await patch([{ op: "add", path: "/status", value: "active" }])).status, 403);
      assert.equal(
        (await patch([{ op: "replace", path: "/visibility", value: "public" }])).status,
        403,
      );
      assert.equal((await patch([], "application/json")).status, 415);
    });

    it("hides another project's private image (404) and shares through members", async () => {
      const id = await uploadImage(api, "img-private", tiny, { visibility: "private" });
      assert.equal((await prod.call("GET", `/image/v2/images/${id}`)).status, 404);
      const member = await api.call("POST", `/image/v2/images/${id}/members`, {
        member: prod.projectId,
      });
      assert.equal(member.status, 403, "only shared images have members");
      await api.call(
        "PATCH",
        `/image/v2/images/${id}`,
        [{ op: "replace", path: "/visibility", value: "shared" }],
        {
          headers: { "Content-Type": "application/openstack-images-v2.1-json-patch" },
        },
      );
      const added = await api.call("POST", `/image/v2/images/${id}/members`, {
        member: prod.projectId,
      });
      assert.equal(added.status, 200);
      assert.equal(added.json.status, "pending");
      assert.equal(
        (await api.call("POST", `/image/v2/images/${id}/members`, { member: prod.projectId }))
          .status,
        409,
      );
      const listed = async () =>
        ((await prod.call("GET", "/image/v2/images")).json.images as { id: string }[]).some(
          (i) => i.id === id,
        );
      assert.equal(await listed(), false);
      assert.equal(
        (await prod.call("GET", `/image/v2/images/${id}`)).status,
        200,
        "a member sees it by id",
      );
      assert.equal(
        (
          await api.call("PUT", `/image/v2/images/${id}/members/${prod.projectId}`, {
            status: "accepted",
          })
        ).status,
        403,
      );
      const accepted = await prod.call("PUT", `/image/v2/images/${id}/members/${prod.projectId}`, {
        status: "accepted",
      });
      assert.equal(accepted.json.status, "accepted");
      assert.equal(await listed(), true);
      assert.equal((await prod.call("DELETE", `/image/v2/images/${id}`)).status, 403);
    });
  });

  describe("volumes", () => {
    it("creates from an image (creating → available), uploads to an image, deletes", async () => {
      const imageId = await uploadImage(api, "img-vol", tiny, { hw_disk_bus: "scsi" });
      const created = await api.call("POST", api.vol("/volumes"), {
        volume: { size: 1, name: "v1", imageRef: imageId, volume_type: "__DEFAULT__" },
      });
      assert.equal(created.status, 202);
      const vol = created.json.volume as { id: string; status: string; bootable: string };
      assert.equal(vol.status, "creating");
      await waitFor(
        "available",
        async () =>
          (await api.call("GET", api.vol(`/volumes/${vol.id}`))).json.volume &&
          ((await api.call("GET", api.vol(`/volumes/${vol.id}`))).json.volume as { status: string })
            .status === "available",
      );
      const shown = (await api.call("GET", api.vol(`/volumes/${vol.id}`))).json.volume as {
        bootable: string;
        volume_image_metadata: Record<string, string>;
      };
      assert.equal(shown.bootable, "true");
      assert.equal(shown.volume_image_metadata.image_id, imageId);
      assert.equal(shown.volume_image_metadata.hw_disk_bus, "scsi");
      const up = await api.call("POST", api.vol(`/volumes/${vol.id}/action`), {
        "os-volume_upload_image": {
          image_name: "from-v1",
          disk_format: "raw",
          container_format: "bare",
          force: false,
        },
      });
      assert.equal(up.status, 202, up.text);
      const newId = (up.json["os-volume_upload_image"] as { image_id: string }).image_id;
      await waitFor(
        "active",
        async () => (await api.call("GET", `/image/v2/images/${newId}`)).json.status === "active",
      );
      const img = (await api.call("GET", `/image/v2/images/${newId}`)).json;
      assert.equal(img.hw_disk_bus, "scsi", "volume image metadata is copied");
      assert.equal(img.signature_verified, "False");
      const archive = join(stateDir, "downloaded.tar.zst");
      writeFileSync(
        archive,
        Buffer.from(
          await (
            await fetch(`${cloud.url}/image/v2/images/${newId}/file`, {
              headers: { "X-Auth-Token": api.token },
            })
          ).arrayBuffer(),
        ),
      );
      const listing = execFileSync("tar", ["-tf", archive], { encoding: "utf8" });
      assert.match(listing, /etc\/tiny-release/);
      const unknownType = await api.call("POST", api.vol("/volumes"), {
        volume: { size: 1, volume_type: "gold" },
      });
      assert.equal(unknownType.status, 404);
      const otherProject = await prod.call("GET", prod.vol(`/volumes/${vol.id}`));
      assert.equal(otherProject.status, 404);
      assert.equal((await api.call("DELETE", api.vol(`/volumes/${vol.id}`))).status, 202);
      await waitFor(
        "deleted",
        async () => (await api.call("GET", api.vol(`/volumes/${vol.id}`))).status === 404,
      );
    });
  });

  describe("quotas", () => {
    afterEach(() => cloud.quotas.clear());

    it("reports and enforces per-project quotas: limits, Cinder's quota set (per type, usage), 403/413 on create", async () => {
      cloud.quotas.set(api.projectId, {
        instances: 0,
        volumes: 1,
        gigabytes: 3,
        perType: { standard: { volumes: 0, gigabytes: -1, snapshots: -1 } },
      });
      const compute = (await api.call("GET", `/compute/v2.1/limits?tenant_id=${api.projectId}`))
        .json.limits as { absolute: Record<string, number> };
      assert.equal(compute.absolute.maxTotalInstances, 0);
      assert.equal(compute.absolute.totalInstancesUsed, 0);
      const set = (await api.call("GET", api.vol(`/os-quota-sets/${api.projectId}`))).json
        .quota_set as Record<string, unknown>;
      assert.equal(set.id, api.projectId);
      assert.equal(set.volumes, 1);
      assert.equal(set.gigabytes, 3);
      assert.equal(set.volumes_standard, 0);
      assert.equal(set.volumes___DEFAULT__, -1);
      assert.ok("gigabytes_standard" in set && "snapshots___DEFAULT__" in set);
      const flavors = (await api.call("GET", "/compute/v2.1/flavors")).json.flavors as {
        id: string;
      }[];
      const server = await api.call("POST", "/compute/v2.1/servers", {
        server: { name: "over-quota", flavorRef: flavors[0].id },
      });
      assert.equal(server.status, 403, server.text);
      assert.match(
        server.text,
        /Quota exceeded for instances: Requested 1, but already used 0 of 0 instances/,
      );
      // Another project's quota set is not for this project to read.
      assert.equal(
        (await api.call("GET", api.vol(`/os-quota-sets/${cloud.projects.production}`))).status,
        403,
      );

      const ofType = await api.call("POST", api.vol("/volumes"), {
        volume: { size: 1, volume_type: "standard" },
      });
      assert.equal(ofType.status, 413, ofType.text);
      assert.match(ofType.text, /exceeded for quota 'volumes_standard'/);
      const tooBig = await api.call("POST", api.vol("/volumes"), { volume: { size: 4 } });
      assert.equal(tooBig.status, 413);
      assert.match(tooBig.text, /allowed gigabytes quota/);
      const first = await api.call("POST", api.vol("/volumes"), { volume: { size: 2 } });
      assert.equal(first.status, 202, first.text);
      const id = (first.json.volume as { id: string }).id;
      const used = (await api.call("GET", api.vol(`/os-quota-sets/${api.projectId}?usage=true`)))
        .json.quota_set as Record<string, { limit: number; in_use: number }>;
      assert.deepEqual([used.volumes.limit, used.volumes.in_use], [1, 1]);
      assert.deepEqual([used.gigabytes.limit, used.gigabytes.in_use], [3, 2]);
      const second = await api.call("POST", api.vol("/volumes"), { volume: { size: 1 } });
      assert.equal(second.status, 413);
      assert.match(
        second.text,
        /Maximum number of volumes allowed \(1\) exceeded for quota 'volumes'/,
      );
      await waitFor(
        "available",
        async () =>
          ((await api.call("GET", api.vol(`/volumes/${id}`))).json.volume as { status: string })
            .status === "available",
      );
      assert.equal((await api.call("DELETE", api.vol(`/volumes/${id}`))).status, 202);
      await waitFor(
        "deleted",
        async () => (await api.call("GET", api.vol(`/volumes/${id}`))).status === 404,
      );
    });
  });

  describe("network", () => {
    it("lists networks by name, allocates and releases floating IPs", async () => {
      const nets = await api.call("GET", "/network/v2.0/networks?name=public");
      const pub = (nets.json.networks as { id: string; "router:external": boolean }[])[0];
      assert.equal(pub["router:external"], true);
      const fip = await api.call("POST", "/network/v2.0/floatingips", {
        floatingip: { floating_network_id: pub.id },
      });
      assert.equal(fip.status, 201);
      const f = fip.json.floatingip as { id: string; floating_ip_address: string; status: string };
      assert.match(f.floating_ip_address, new RegExp(`^127\\.${cloud.octet}\\.1\\.`));
      assert.equal(f.status, "DOWN");
      const priv = (
        (await api.call("GET", "/network/v2.0/networks?name=localcloud-net")).json.networks as {
          id: string;
        }[]
      )[0];
      const bad = await api.call("POST", "/network/v2.0/floatingips", {
        floatingip: { floating_network_id: priv.id },
      });
      assert.equal(bad.status, 400);
      assert.equal((await api.call("DELETE", `/network/v2.0/floatingips/${f.id}`)).status, 204);
      const sgs = await api.call("GET", "/network/v2.0/security-groups?name=default");
      assert.equal((sgs.json.security_groups as unknown[]).length, 1);
    });
  });
});

function readPassword(cloud: LocalCloud, name: string): string {
  const text = readFileSync(cloud.cloudsYamlPath, "utf8");
  const block = text.split(/\n {2}(?=\S)/).find((b) => b.startsWith(`${name}:`)) ?? "";
  return block.match(/password: (\S+)/)?.[1] ?? "";
}
