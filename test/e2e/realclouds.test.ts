/**
 * The program against a cloud as HPC sites have them, on one localcloud:
 * HTTPS with the cloud's own CA, reachable only through a proxy (its host
 * name resolves nowhere but in the recording proxy), stack-config
 * credentials beside an openrc of another project, internal endpoints of a
 * second region, a transient 503 and a revoked token during a build. Each
 * build checks, from the cloud's request log, that all three sides — the
 * main stack's provider, the build stack's provider and the runner's REST
 * client — used the one resolved connection.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { RequestRecord } from "@slurm-image-builder/localcloud";
import {
  startRecordingProxy,
  waitFor,
  type RecordingProxy,
} from "@slurm-image-builder/localcloud/testing";
import { collector, startE2e, type E2e } from "./harness";

const HOST = "localcloud.proxied";

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}
const RUNNER_AGENT = "slurm-image-builder-runner";

describe("end to end: real clouds (TLS, proxy, credentials, endpoints, resilience)", function () {
  this.timeout(20 * 60_000);
  let e2e: E2e;
  let proxy: RecordingProxy;
  const build = (extra: Record<string, unknown> = {}) => ({
    flavor: "general.v1.small",
    networks: ["localcloud-net"],
    sshTimeoutMinutes: 3,
    ...extra,
    builds: { fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" } },
  });
  /** A stack whose engine (and so every side) reaches the cloud through the proxy. */
  const stack = (name: string, config: Record<string, unknown>, env: Record<string, string> = {}) =>
    e2e.stack(name, config, { HTTPS_PROXY: proxy.url, ...env });
  const clouds = () =>
    (
      parse(fs.readFileSync(e2e.cloud.cloudsYamlPath, "utf8")) as {
        clouds: Record<string, { auth: Record<string, string>; [k: string]: unknown }>;
      }
    ).clouds;
  /** Which side made a call: the runner's client, or a provider (gophercloud). */
  const side = (r: RequestRecord) =>
    r.userAgent === RUNNER_AGENT
      ? "runner"
      : /gophercloud/.test(r.userAgent ?? "")
        ? "provider"
        : (r.userAgent ?? "none");
  const sides = (rs: RequestRecord[]) => [...new Set(rs.map(side))].sort();

  before(async () => {
    proxy = await startRecordingProxy({ [HOST]: "127.0.0.1" });
    e2e = await startE2e("realclouds", {
      cloud: { https: true, hostName: HOST },
      clientEnv: { HTTPS_PROXY: proxy.url },
    });
  });
  after(async () => {
    await e2e?.stop();
    await proxy?.stop();
  });
  beforeEach(() => {
    e2e.cloud.clearRequests();
    e2e.cloud.faults.clear();
  });

  it("HTTPS with clouds.yaml cacert, only through HTTPS_PROXY: one build; all three sides over the proxy, scoped to staging", async () => {
    const s = await stack("tls", build());
    proxy.requests.length = 0;
    const result = await s.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    const requests = e2e.cloud.requests();
    assert.ok(requests.every((r) => r.scheme === "https"));
    // The host name resolves in the proxy only: every request that arrived came through it.
    assert.ok(proxy.requests.length > 0);
    assert.deepEqual([...new Set(proxy.requests)], [`CONNECT ${HOST}:${e2e.cloud.port}`]);
    assert.deepEqual(sides(requests), ["provider", "runner"]);
    // The build stack's provider made the builder; the main stack's looked up the source image.
    assert.ok(
      requests.some(
        (r) => side(r) === "provider" && r.method === "POST" && /\/servers$/.test(r.path),
      ),
    );
    const scoped = requests.filter((r) => r.project);
    assert.ok(scoped.length > 10);
    assert.deepEqual([...new Set(scoped.map((r) => r.project))], ["staging"]);
    await s.destroy({ color: "never" });
    await s.workspace.removeStack("tls");
  });

  it("a CA that did not sign the cloud's certificate: fails before anything is created, naming the cause", async () => {
    const otherCa = path.join(e2e.dir, "other-ca.pem");
    fs.copyFileSync(path.join(__dirname, "..", "fixtures", "tls", "other-ca.pem"), otherCa);
    const s = await stack("wrongca", build({ "openstack:cacertFile": otherCa }));
    await assert.rejects(s.up({ color: "never" }), (err: Error) => {
      assert.match(
        err.message,
        /can't use the cloud \(project staging at https:\/\/localcloud\.proxied:\d+\/identity\/v3, region RegionOne, public endpoints \(clouds\.yaml entry "localcloud" in .*\)\): POST https:\/\/localcloud\.proxied:\d+\/identity\/v3\/auth\/tokens: certificate signed by unknown authority/,
      );
      return true;
    });
    assert.deepEqual(e2e.cloud.requests(), [], "no request was served");
    const state = await s.exportStack();
    const resources = (state.deployment as { resources?: { type: string }[] }).resources ?? [];
    assert.deepEqual(
      resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
      [],
      "nothing was registered",
    );
    await s.workspace.removeStack("wrongca", { force: true });
  });

  it("OS_CLOUD beside stack-config credentials: refused before any request, naming both", async () => {
    const s = await stack(
      "conflict",
      build({
        "openstack:authUrl": `${e2e.cloud.url}/identity/v3`,
        "openstack:userName": "production-user",
        "openstack:tenantName": "production",
      }),
    );
    await assert.rejects(s.preview({ color: "never" }), (err: Error) => {
      assert.match(
        err.message,
        /OS_CLOUD=localcloud is set in the environment and the stack config sets credentials \(openstack:authUrl, openstack:userName, openstack:tenantName\)/,
      );
      return true;
    });
    assert.deepEqual(e2e.cloud.requests(), []);
    await s.workspace.removeStack("conflict", { force: true });
  });

  it("stack-config credentials for production with staging's openrc exported, verify off: every side acts in production; staging untouched; a warning", async () => {
    const staging = clouds()[e2e.cloud.clouds.staging].auth;
    const production = clouds()[e2e.cloud.clouds.production].auth;
    const openrc = {
      OS_CLOUD: "",
      OS_AUTH_URL: staging.auth_url,
      OS_USERNAME: staging.username,
      OS_PASSWORD: staging.password,
      OS_PROJECT_NAME: "staging",
      OS_USER_DOMAIN_NAME: "Default",
      OS_PROJECT_DOMAIN_NAME: "Default",
      OS_REGION_NAME: "RegionOne",
      OS_INTERFACE: "public",
    };
    const s = await stack(
      "creds",
      build({
        "openstack:authUrl": production.auth_url,
        "openstack:userName": production.username,
        "openstack:tenantName": "production",
        "openstack:insecure": "true",
      }),
      openrc,
    );
    await s.setConfig("openstack:password", { value: production.password, secret: true });
    const out = collector();
    const result = await s.up({ color: "never", onOutput: out.onOutput });
    assert.equal(result.summary.result, "succeeded");
    const requests = e2e.cloud.requests();
    assert.deepEqual(sides(requests), ["provider", "runner"]);
    assert.deepEqual(
      [...new Set(requests.filter((r) => r.project).map((r) => r.project))],
      ["production"],
    );
    assert.match(out.lines.join("\n"), /warning: TLS certificates of .* are not verified/);
    // The image is production's.
    const imageId = ((await s.outputs()).images.value as Record<string, { imageId: string }>).fat
      .imageId;
    const owner = await e2e.osc
      .json<{ owner: string }>(["image", "show", imageId])
      .catch(() => undefined);
    assert.equal(owner, undefined, "staging does not even see the private image");
    // The password is in no state file (main and build stacks, history included) and no log.
    const plain = ["state", "build-state"].flatMap((d) =>
      filesUnder(path.join(e2e.dir, d)).filter((f) =>
        fs.readFileSync(f, "utf8").includes(production.password),
      ),
    );
    assert.deepEqual(plain, []);
    await s.destroy({ color: "never" });
    await s.workspace.removeStack("creds");
  });

  it("interface internal, region RegionTwo; a 503 on the first image PATCH and tokens revoked mid-build: the same endpoints on every side, one image", async () => {
    const entry = clouds()[e2e.cloud.clouds.staging];
    const file = path.join(e2e.dir, "clouds-internal.yaml");
    fs.writeFileSync(
      file,
      stringify({
        clouds: { internal: { ...entry, interface: "internal", region_name: "RegionTwo" } },
      }),
      { mode: 0o600 },
    );
    const s = await stack("endpoints", build(), {
      OS_CLIENT_CONFIG_FILE: file,
      OS_CLOUD: "internal",
    });
    e2e.cloud.faults.fail({ method: "PATCH", path: "^/image/v2/images/[^/]+$", status: 503 });
    const up = s.up({ color: "never" });
    // Revoke every token once the builder exists: providers and runner must authenticate again.
    let revoked = false;
    const watcher = waitFor(
      "the builder server",
      async () =>
        e2e.cloud.requests().some((r) => r.method === "POST" && /\/servers$/.test(r.path)),
      10 * 60_000,
      200,
    ).then(() => {
      e2e.cloud.faults.revokeTokens();
      revoked = true;
    });
    const result = await up;
    await watcher;
    assert.ok(revoked);
    assert.equal(result.summary.result, "succeeded");
    const requests = e2e.cloud.requests();
    const services = requests.filter((r) => r.service !== "identity" && r.service !== "admin");
    assert.deepEqual(sides(services), ["provider", "runner"]);
    assert.deepEqual([...new Set(services.map((r) => r.endpoint))], ["RegionTwo/internal"]);
    assert.ok(
      requests.some((r) => r.status === 401),
      "tokens were revoked while in use",
    );
    const patches = requests.filter((r) => r.method === "PATCH");
    assert.equal(patches[0].status, 503);
    assert.ok(patches.slice(1).every((r) => r.status === 200));
    const uploads = requests.filter(
      (r) => r.method === "POST" && /\/volumes\/[^/]+\/action$/.test(r.path),
    );
    assert.equal(uploads.length, 1, "one upload: one image");
    await s.destroy({ color: "never" });
    await s.workspace.removeStack("endpoints");
  });
  it("properties that still can't be set after the retries: the uploaded image is kept, and the next up adopts it", async () => {
    const s = await stack("keepimage", build());
    const uploads = () =>
      e2e.cloud
        .requests()
        .filter((r) => r.method === "POST" && /\/volumes\/[^/]+\/action$/.test(r.path));
    // Once the upload has been marked (the first PATCH), every later PATCH fails for a while.
    const injected = waitFor(
      "the upload's mark",
      async () => e2e.cloud.requests().some((r) => r.method === "PATCH" && r.status === 200),
      10 * 60_000,
      100,
    ).then(() =>
      e2e.cloud.faults.fail({ method: "PATCH", path: "^/image/v2/images/", status: 503, times: 5 }),
    );
    const out = collector();
    await assert.rejects(s.up({ color: "never", onOutput: out.onOutput }), (err: Error) => {
      assert.match(err.message, /HTTP 503/);
      return true;
    });
    await injected;
    assert.match(
      out.lines.join("\n"),
      /keeping the uploaded image [0-9a-f-]+: the next run adopts it/,
    );
    assert.equal(uploads().length, 1);
    e2e.cloud.faults.clear();
    const result = await s.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    assert.equal(uploads().length, 1, "adopted, not built again");
    await s.destroy({ color: "never" });
    await s.workspace.removeStack("keepimage");
  });
});
