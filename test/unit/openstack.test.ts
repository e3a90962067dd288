import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCloudAuth } from "../../lib/openstack/cloudConfig";
import { OpenStackClient, OpenStackError } from "../../lib/openstack/client";
import { ImageService, VolumeService } from "../../lib/openstack/images";
import { ServerService } from "../../lib/openstack/servers";
import { pollPause } from "../../lib/openstack/poll";

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fake cloud behind `fetch`: Keystone plus whatever `routes` answer. */
function fakeFetch(routes: (call: Call) => { status: number; body?: unknown } | undefined) {
  const calls: Call[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    const call: Call = {
      method: init?.method ?? "GET",
      url: String(input),
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    if (call.url.endsWith("/v3/auth/tokens")) {
      return new Response(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            project: { id: "p1" },
            catalog: [
              {
                type: "image",
                endpoints: [
                  { interface: "public", region: "RegionOne", url: "http://127.0.0.1:9292" },
                ],
              },
              {
                type: "compute",
                endpoints: [
                  { interface: "public", region: "RegionOne", url: "http://127.0.0.1:8774/v2.1" },
                ],
              },
              {
                type: "volumev3",
                endpoints: [
                  { interface: "public", region: "RegionOne", url: "http://127.0.0.1:8776/v3/p1" },
                  { interface: "internal", region: "RegionOne", url: "http://internal" },
                ],
              },
            ],
          },
        }),
        { status: 201, headers: { "x-subject-token": "tok-1" } },
      );
    }
    const answer = routes(call) ?? {
      status: 404,
      body: { itemNotFound: { code: 404, message: "not here" } },
    };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
    });
  }) as typeof fetch;
  return { impl, calls };
}

const auth = {
  authUrl: "http://127.0.0.1:5000/v3",
  authType: "password" as const,
  username: "demo",
  password: "pw",
  projectName: "staging",
  userDomainName: "Default",
  projectDomainName: "Default",
  regionName: "RegionOne",
  interface: "public",
};

describe("OpenStack client", () => {
  it("authenticates with a scoped password token and uses the catalog's public endpoints", async () => {
    const { impl, calls } = fakeFetch((c) =>
      c.url === "http://127.0.0.1:9292/v2/images/i1"
        ? { status: 200, body: { id: "i1", status: "active" } }
        : undefined,
    );
    const images = new ImageService(new OpenStackClient(auth, impl));
    const image = await images.get("i1");
    assert.equal(image?.status, "active");
    assert.deepEqual(calls[0].body, {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "demo", password: "pw", domain: { name: "Default" } } },
        },
        scope: { project: { name: "staging", domain: { name: "Default" } } },
      },
    });
    assert.equal(calls[1].headers["x-auth-token"], "tok-1");
    assert.equal(await images.get("missing"), undefined);
  });

  it("uses application credentials", async () => {
    const { impl, calls } = fakeFetch(() => ({ status: 200, body: { images: [] } }));
    const client = new OpenStackClient(
      {
        ...auth,
        authType: "v3applicationcredential",
        applicationCredentialId: "ac1",
        applicationCredentialSecret: "s3cret",
      },
      impl,
    );
    await new ImageService(client).list({ image_build_fingerprint: "abc" });
    assert.deepEqual(calls[0].body, {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: "ac1", secret: "s3cret" },
        },
      },
    });
    assert.match(calls[1].url, /\/v2\/images\?image_build_fingerprint=abc&sort=created_at:desc/);
  });

  it("uploads a volume to an image with Cinder's action, on the project-scoped endpoint", async () => {
    const { impl, calls } = fakeFetch((c) =>
      c.url.endsWith("/volumes/v1/action")
        ? { status: 202, body: { "os-volume_upload_image": { image_id: "new-image" } } }
        : undefined,
    );
    const id = await new VolumeService(new OpenStackClient(auth, impl)).uploadToImage(
      "v1",
      "openhpc-RL9",
      "raw",
    );
    assert.equal(id, "new-image");
    assert.equal(calls[1].url, "http://127.0.0.1:8776/v3/p1/volumes/v1/action");
    assert.deepEqual(calls[1].body, {
      "os-volume_upload_image": {
        image_name: "openhpc-RL9",
        disk_format: "raw",
        container_format: "bare",
        force: true,
      },
    });
  });

  it("reports API errors with the cloud's message", async () => {
    const { impl } = fakeFetch(() => ({
      status: 500,
      body: { computeFault: { code: 500, message: "upload exploded" } },
    }));
    await assert.rejects(
      new VolumeService(new OpenStackClient(auth, impl)).uploadToImage("v1", "x", "raw"),
      (err: unknown) =>
        err instanceof OpenStackError &&
        err.status === 500 &&
        /HTTP 500: upload exploded/.test(err.message),
    );
  });

  it("patches properties with JSON patch and waits for active, failing on a stuck image", async () => {
    let status = "saving";
    const { impl, calls } = fakeFetch((c) => {
      if (c.method === "GET")
        return { status: 200, body: { id: "i1", status, visibility: "private", os_type: "linux" } };
      if (c.method === "PATCH") return { status: 200, body: { id: "i1", status } };
      return undefined;
    });
    const images = new ImageService(new OpenStackClient(auth, impl));
    const progress: string[] = [];
    await assert.rejects(
      images.waitActive("i1", 50, (m) => progress.push(m), 10),
      /still "saving" after 0 s/,
    );
    assert.match(progress[0], /i1 is saving/);
    status = "active";
    assert.equal((await images.waitActive("i1", 1000, () => undefined, 10)).status, "active");
    await images.update("i1", { os_type: "linux", site: "x" }, [], "shared");
    const patch = calls.find((c) => c.method === "PATCH")!;
    assert.equal(patch.headers["content-type"], "application/openstack-images-v2.1-json-patch");
    assert.deepEqual(patch.body, [
      { op: "add", path: "/site", value: "x" },
      { op: "replace", path: "/visibility", value: "shared" },
    ]);
    status = "killed";
    await assert.rejects(
      images.waitActive("i1", 1000, () => undefined, 10),
      /went to status "killed"/,
    );
  });
});

describe("the builder server, stopped and deleted ahead of the engine", () => {
  const SERVER = "http://127.0.0.1:8774/v2.1/servers/s1";

  /** A Nova server that goes through `states` one poll at a time, then stays in the last. */
  function nova(states: (string | undefined)[], onStop?: { status: number; body?: unknown }) {
    let poll = 0;
    return fakeFetch((c) => {
      if (c.url === `${SERVER}/action` && c.method === "POST") return onStop ?? { status: 202 };
      if (c.url === SERVER && c.method === "DELETE") return { status: 204 };
      if (c.url === SERVER && c.method === "GET") {
        const status = states[Math.min(poll++, states.length - 1)];
        return status ? { status: 200, body: { server: { id: "s1", status } } } : undefined;
      }
      return undefined;
    });
  }
  const servers = (impl: typeof fetch) => new ServerService(new OpenStackClient(auth, impl), 1);
  const requests = (calls: Call[]) =>
    calls.filter((c) => !c.url.endsWith("/auth/tokens")).map((c) => `${c.method} ${c.url}`);

  it("polls soon at first, then at most every second", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 40].map((polls) => pollPause(polls, 1000)),
      [250, 500, 1000, 1000, 1000, 1000],
    );
    assert.equal(pollPause(3, 5000), 2000);
  });

  it("stops with os-stop and waits for SHUTOFF, polling", async () => {
    const { impl, calls } = nova(["ACTIVE", "ACTIVE", "ACTIVE", "SHUTOFF"]);
    await servers(impl).stop("s1", 5000);
    assert.deepEqual(calls.find((c) => c.url.endsWith("/action"))?.body, { "os-stop": null });
    assert.deepEqual(requests(calls), [
      `GET ${SERVER}`,
      `POST ${SERVER}/action`,
      `GET ${SERVER}`,
      `GET ${SERVER}`,
      `GET ${SERVER}`,
    ]);
  });

  it("leaves a stopped server as it is, and accepts a 409 from one that is stopping", async () => {
    const stopped = nova(["SHUTOFF"]);
    await servers(stopped.impl).stop("s1", 5000);
    assert.deepEqual(requests(stopped.calls), [`GET ${SERVER}`], "stopped a stopped server");
    const stopping = nova(["ACTIVE", "ACTIVE", "SHUTOFF"], {
      status: 409,
      body: { conflictingRequest: { code: 409, message: "task_state powering-off" } },
    });
    await servers(stopping.impl).stop("s1", 5000);
  });

  it("fails when the server goes to ERROR or does not stop in time", async () => {
    await assert.rejects(servers(nova(["ACTIVE", "ERROR"]).impl).stop("s1", 5000), /ERROR/);
    await assert.rejects(
      servers(nova(["ACTIVE"]).impl).stop("s1", 20),
      /server s1 is still ACTIVE after 0 s/,
    );
  });

  it("deletes and waits until Nova no longer has the server; a server already gone is fine", async () => {
    const { impl, calls } = nova(["SHUTOFF", "SHUTOFF", undefined]);
    await servers(impl).delete("s1", 5000);
    assert.deepEqual(requests(calls), [
      `DELETE ${SERVER}`,
      `GET ${SERVER}`,
      `GET ${SERVER}`,
      `GET ${SERVER}`,
    ]);
    await servers(nova([undefined]).impl).delete("s1", 5000);
  });
});

describe("cloud credentials", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "clouds-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the OS_CLOUD entry of clouds.yaml, merged with secure.yaml", () => {
    fs.writeFileSync(
      path.join(dir, "clouds.yaml"),
      "clouds:\n  staging:\n    region_name: RegionOne\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: demo\n      project_name: staging\n      user_domain_name: Default\n",
    );
    fs.writeFileSync(
      path.join(dir, "secure.yaml"),
      "clouds:\n  staging:\n    auth:\n      password: from-secure\n",
    );
    const a = loadCloudAuth(
      { OS_CLOUD: "staging", OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml") },
      dir,
    );
    assert.equal(a.authType, "password");
    assert.equal(a.password, "from-secure");
    assert.equal(a.regionName, "RegionOne");
    assert.equal(a.interface, "public");
    assert.throws(
      () =>
        loadCloudAuth(
          { OS_CLOUD: "prod", OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml") },
          dir,
        ),
      /cloud "prod" \(OS_CLOUD\) is not in .*; it has: staging/,
    );
  });

  it("reads OS_* variables of an openrc, and application credentials", () => {
    const a = loadCloudAuth(
      {
        OS_AUTH_URL: "http://127.0.0.1:5000",
        OS_AUTH_TYPE: "v3applicationcredential",
        OS_APPLICATION_CREDENTIAL_ID: "id1",
        OS_APPLICATION_CREDENTIAL_SECRET: "s",
      },
      dir,
    );
    assert.equal(a.authType, "v3applicationcredential");
    assert.equal(a.applicationCredentialId, "id1");
    assert.throws(() => loadCloudAuth({}, dir), /no OpenStack credentials/);
  });
});
