// Pure parts of real-services mode: configuration text, catalog, id adoption,
// Glance views as records, the image ids a request names, Keystone tokens as localcloud's.
import assert from "node:assert/strict";
import { glanceConf, keystoneConf, realPaths } from "../src/real/config";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { glanceAccessRecords } from "../src/real/glanceLog";
import { killStaleGroups } from "../src/real/processes";
import { adoptIds, catalogEndpoints } from "../src/real/identitySetup";
import { localToken } from "../src/real/realMode";
import { imageIdsOfRequest, recordFromView } from "../src/real/remoteGlance";
import { initialRecords } from "../src/state/seed";

describe("localcloud real-services mode (pure parts)", () => {
  const paths = realPaths("/state/real");

  it("configures Keystone and Glance on the private MariaDB's socket, Glance on loopback", () => {
    const ks = keystoneConf(paths, 120);
    assert.match(
      ks,
      /connection = mysql\+pymysql:\/\/root@localhost\/keystone\?unix_socket=\/state\/real\/run\/mysql\.sock/,
    );
    assert.match(ks, /expiration = 120/);
    assert.match(ks, /provider = fernet/);
    const gl = glanceConf(paths, 4567, "http://127.0.0.1:1234", { password: "pw" });
    assert.match(gl, /bind_host = 127\.0\.0\.1\nbind_port = 4567/);
    assert.match(gl, /auth_url = http:\/\/127\.0\.0\.1:1234\/v3/);
    assert.match(gl, /interface = public/);
    assert.match(gl, /filesystem_store_datadir = \/state\/real\/glance\/images/);
    assert.match(gl, /\/glance\?unix_socket=/);
  });

  it("registers every service in both regions on every interface; Keystone and Glance at their own URLs", () => {
    const eps = catalogEndpoints("http://lc", "http://ks", "http://gl");
    assert.equal(eps.length, 2 * 3 * 6);
    const at = (type: string, region: string, iface: string) =>
      eps.find((e) => e.type === type && e.region === region && e.iface === iface)?.url;
    assert.equal(at("compute", "RegionOne", "public"), "http://lc/compute/v2.1");
    assert.equal(
      at("compute", "RegionOne", "internal"),
      "http://lc/_/RegionOne/internal/compute/v2.1",
    );
    assert.equal(
      at("volumev3", "RegionTwo", "admin"),
      "http://lc/_/RegionTwo/admin/volume/v3/%(project_id)s",
    );
    assert.equal(at("image", "RegionTwo", "internal"), "http://gl");
    assert.equal(at("identity", "RegionOne", "public"), "http://ks/v3");
  });

  it("rewrites localcloud's ids to Keystone's wherever records name them", () => {
    const records = initialRecords(42);
    const staging = records.projects.find((p) => p.name === "staging")!;
    const user = records.users.find((u) => u.project_id === staging.id)!;
    const adopted = adoptIds(records, { [staging.id]: "k-staging", [user.id]: "k-user" });
    assert.ok(adopted.projects.some((p) => p.id === "k-staging" && p.name === "staging"));
    assert.ok(adopted.users.some((u) => u.id === "k-user" && u.project_id === "k-staging"));
    assert.ok(adopted.securityGroups.some((g) => g.project_id === "k-staging"));
    assert.ok(
      adopted.appCredentials.some((c) => c.user_id === "k-user" && c.project_id === "k-staging"),
    );
    assert.ok(!JSON.stringify(adopted).includes(staging.id));
  });

  it("takes Glance's image view as a record: core fields apart, string properties kept", () => {
    const image = recordFromView({
      id: "i1",
      name: "n",
      status: "active",
      visibility: "shared",
      protected: false,
      os_hidden: false,
      owner: "p1",
      disk_format: "raw",
      container_format: "bare",
      min_disk: 3,
      min_ram: 0,
      size: 10,
      virtual_size: null,
      checksum: "c",
      os_hash_algo: "sha512",
      os_hash_value: "h",
      tags: ["t"],
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      self: "/v2/images/i1",
      file: "/v2/images/i1/file",
      schema: "/v2/schemas/image",
      stores: "file",
      os_distro: "debian",
    });
    assert.equal(image.min_disk, 3);
    assert.equal(image.size, 10);
    assert.deepEqual(image.tags, ["t"]);
    assert.deepEqual(image.properties, { os_distro: "debian" });
  });

  it("finds the images a boot or a volume request names", () => {
    assert.deepEqual(imageIdsOfRequest({ server: { imageRef: "http://x/images/a" } }), ["a"]);
    assert.deepEqual(
      imageIdsOfRequest({
        server: {
          imageRef: "",
          block_device_mapping_v2: [
            { source_type: "image", uuid: "b" },
            { source_type: "volume", uuid: "v" },
          ],
        },
      }),
      ["b"],
    );
    assert.deepEqual(imageIdsOfRequest({ volume: { imageRef: "c", size: 1 } }), ["c"]);
    assert.deepEqual(imageIdsOfRequest({ volume: { size: 1 } }), []);
    assert.deepEqual(imageIdsOfRequest("nonsense"), []);
  });

  it("maps a validated Keystone token to localcloud's records; unscoped tokens are none", () => {
    const records = initialRecords(42);
    const staging = records.projects.find((p) => p.name === "staging")!;
    const user = records.users.find((u) => u.project_id === staging.id)!;
    const kt = {
      id: "tok",
      methods: ["password"],
      user: { id: user.id, name: user.name, domain: { id: "default", name: "Default" } },
      project: { id: staging.id, name: "staging", domain: { id: "default", name: "Default" } },
      expires_at: "2030-01-01T00:00:00.000000Z",
      issued_at: "2029-12-31T23:00:00.000000Z",
      application_credential: { id: "ac" },
    };
    const token = localToken(records, kt as never)!;
    assert.equal(token.project, staging);
    assert.equal(token.user, user);
    assert.equal(token.appCredId, "ac");
    assert.equal(token.expiresAt.toISOString(), "2030-01-01T00:00:00.000Z");
    const admin = localToken(records, {
      ...kt,
      user: { id: "adm", name: "admin", domain: { id: "default", name: "Default" } },
      project: { id: "kp", name: "admin", domain: { id: "default", name: "Default" } },
    } as never)!;
    assert.equal(admin.project.id, "kp");
    assert.equal(admin.user.name, "admin");
    assert.equal(localToken(records, { ...kt, project: undefined } as never), undefined);
  });

  it("reads the real Glance's access lines as request records (path as localcloud's, project by name)", () => {
    const log = [
      '2026-12-01 08:54:25.160 957 INFO eventlet.wsgi.server [None req-4ef7 u1 p1 - - default default] 127.0.0.1 - - [01/Dec/2026 08:54:25] "POST /v2/images/i1/actions/reactivate HTTP/1.1" 204 213 0.104978',
      "2026-12-01 08:54:25.200 957 INFO glance.api.v2.images [None req-x u1 p1 - - default default] something else",
      '2026-12-01 08:54:25.351 957 INFO eventlet.wsgi.server [None req-e9b9 u1 p2 - - default default] 127.0.0.1 - - [01/Dec/2026 08:54:25] "GET /v2/images?limit=1 HTTP/1.1" 404 345 0.015830',
    ].join("\n");
    const records = glanceAccessRecords(log, (id) => (id === "p1" ? "staging" : undefined));
    assert.deepEqual(
      records.map((r) => [r.method, r.path, r.status, r.service, r.project]),
      [
        ["POST", "/image/v2/images/i1/actions/reactivate", 204, "image", "staging"],
        ["GET", "/image/v2/images?limit=1", 404, "image", undefined],
      ],
    );
  });

  it("kills the process groups an earlier localcloud left (recorded, still naming the state dir)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "localcloud-stale-"));
    try {
      const child = spawn("sh", ["-c", `sleep 60; echo ${dir}`], {
        detached: true,
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      writeFileSync(join(dir, "svc.pgid"), String(child.pid));
      writeFileSync(join(dir, "gone.pgid"), "999999");
      assert.deepEqual(killStaleGroups(join(dir, "nope"), dir), []);
      assert.deepEqual(killStaleGroups(dir, dir), [`svc (${child.pid})`]);
      await exited;
      assert.ok(!existsSync(join(dir, "svc.pgid")) && !existsSync(join(dir, "gone.pgid")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
