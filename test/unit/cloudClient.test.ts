/**
 * The runner's REST client as a good OpenStack client, against localcloud's
 * API over HTTPS (no servers): TLS from the resolved connection, proxies,
 * regions and interfaces, re-authentication on 401, retries of transient
 * failures, and errors that name the endpoint and the cause.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalCloud, type LocalCloud } from "@slurm-image-builder/localcloud";
import { startRecordingProxy } from "@slurm-image-builder/localcloud/testing";
import { cloudAuth } from "../../lib/openstack/cloudConfig";
import {
  cloudDispatcher,
  cloudFetch,
  CloudUnreachableError,
  OpenStackClient,
  OpenStackError,
} from "../../lib/openstack/client";
import { resolveCloud, type ResolvedCloud } from "../../lib/openstack/connection";
import { ImageService } from "../../lib/openstack/images";

describe("cloud client: TLS, proxies, regions, 401 and retries (localcloud over HTTPS)", function () {
  this.timeout(60_000);
  let dir: string;
  let cloud: LocalCloud;
  let resolved: ResolvedCloud;
  const notices: string[] = [];
  const client = (over: Partial<ResolvedCloud["connection"]> = {}, env = {}) =>
    new OpenStackClient(
      cloudAuth({ ...resolved.connection, ...over }, resolved.secrets),
      cloudFetch(cloudDispatcher({ tls: { ...resolved.connection.tls, ...over.tls } }, env)),
      { retryDelayMs: 10, notice: (m) => notices.push(m) },
    );

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-client-"));
    cloud = await startLocalCloud({
      stateDir: path.join(dir, "cloud"),
      port: 0,
      baseImage: false,
      https: true,
      log: () => undefined,
    });
    resolved = resolveCloud({ env: cloud.env(cloud.clouds.staging), cwd: dir });
  });
  after(async () => {
    await cloud?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    cloud.clearRequests();
    cloud.faults.clear();
    notices.length = 0;
  });

  it("clouds.yaml cacert: the CA localcloud made verifies its HTTPS endpoints", async () => {
    assert.match(cloud.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(resolved.connection.tls.caFile, cloud.caFile);
    const images = await new ImageService(client()).list({});
    assert.ok(Array.isArray(images));
    assert.ok(cloud.requests().every((r) => r.scheme === "https"));
  });

  it("a wrong CA fails with the endpoint and 'certificate signed by unknown authority', at once", async () => {
    const other = path.join(dir, "other-ca.pem");
    fs.writeFileSync(other, fs.readFileSync(path.join(__dirname, "../fixtures/tls/other-ca.pem")));
    const started = Date.now();
    await assert.rejects(
      client({ tls: { caFile: other } }).ready(),
      (err: unknown) =>
        err instanceof CloudUnreachableError &&
        err.message.includes(`POST ${cloud.url}/identity/v3/auth/tokens`) &&
        /certificate signed by unknown authority/.test(err.message) &&
        /cacert/.test(err.message),
    );
    assert.ok(Date.now() - started < 5000, "certificate errors are not retried");
    assert.deepEqual(cloud.requests(), []);
  });

  it("verify: false (insecure) needs no CA", async () => {
    await client({ tls: { insecure: true } }).ready();
  });

  it("HTTPS_PROXY: requests go through the proxy; NO_PROXY bypasses it", async () => {
    const proxy = await startRecordingProxy();
    try {
      await new ImageService(client({}, { HTTPS_PROXY: proxy.url })).list({});
      assert.ok(proxy.requests.length > 0);
      assert.ok(proxy.requests.every((r) => r === `CONNECT 127.0.0.1:${cloud.port}`));
      const seen = proxy.requests.length;
      await new ImageService(client({}, { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" })).list(
        {},
      );
      assert.equal(proxy.requests.length, seen);
    } finally {
      await proxy.stop();
    }
  });

  it("interface internal and region RegionTwo: the catalog's endpoints of both", async () => {
    await new ImageService(client({ interface: "internal", regionName: "RegionTwo" })).list({});
    const image = cloud.requests().filter((r) => r.service === "image");
    assert.ok(image.length > 0);
    assert.ok(image.every((r) => r.endpoint === "RegionTwo/internal" && r.project === "staging"));
    await assert.rejects(
      new ImageService(client({ regionName: "RegionNine" })).list({}),
      /no image endpoint \(interface public, region RegionNine\) in the service catalog; it has public\/RegionOne, internal\/RegionOne, admin\/RegionOne, public\/RegionTwo/,
    );
  });

  it("a revoked token: one new authentication, the request repeated", async () => {
    const c = client();
    const images = new ImageService(c);
    await images.list({});
    cloud.faults.revokeTokens();
    cloud.clearRequests();
    await images.list({});
    assert.deepEqual(
      cloud.requests().map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status}`),
      ["GET /image/v2/images 401", "POST /identity/v3/auth/tokens 201", "GET /image/v2/images 200"],
    );
    assert.match(notices.join("\n"), /HTTP 401; authenticating again/);
  });

  it("a 503 on an image PATCH is retried (Retry-After honoured); a POST is not", async () => {
    const c = client();
    const images = new ImageService(c);
    const created = await c.request<{ id: string }>("image", "POST", "/images", {
      name: "retry-me",
      disk_format: "raw",
      container_format: "bare",
    });
    cloud.faults.fail({ method: "PATCH", path: "^/image/v2/images/", status: 503, times: 2 });
    await images.update(created.id, { site: "x" }, [], undefined);
    assert.equal(
      cloud.requests().filter((r) => r.method === "PATCH").length,
      3,
      "two 503s, then the patch",
    );
    assert.match(notices.join("\n"), /PATCH .* HTTP 503; trying again/);
    cloud.faults.fail({ method: "POST", path: "^/image/v2/images$", status: 503 });
    await assert.rejects(
      c.request("image", "POST", "/images", { name: "once" }),
      (err: unknown) => err instanceof OpenStackError && err.status === 503,
    );
    await c.request("image", "DELETE", `/images/${created.id}`);
  });
  it("a user of another domain (hpc): its domain is sent and checked, the project's apart", async () => {
    const hpc = resolveCloud({ env: cloud.env(cloud.clouds.domain), cwd: dir });
    assert.equal(hpc.connection.userDomainName, "hpc");
    assert.equal(hpc.connection.projectDomainName, "Default");
    const c = new OpenStackClient(cloudAuth(hpc.connection, hpc.secrets));
    await c.ready();
    assert.equal(c.projectId, cloud.projects.staging);
    const wrong = new OpenStackClient(
      cloudAuth({ ...hpc.connection, userDomainName: "Default" }, hpc.secrets),
    );
    await assert.rejects(
      wrong.ready(),
      (err: unknown) => err instanceof OpenStackError && err.status === 401,
    );
  });
  it("credentials refused (a password changed since they were stored): the environment's are tried once", async () => {
    const stale = new OpenStackClient(
      cloudAuth(resolved.connection, { password: "an-old-password" }),
      cloudFetch(cloudDispatcher({ tls: resolved.connection.tls })),
      { notice: (m) => notices.push(m), fallbackSecrets: () => resolved.secrets },
    );
    await stale.ready();
    assert.equal(stale.projectId, cloud.projects.staging);
    assert.match(notices.join("\n"), /Keystone refused the credentials this runner was given/);
    const hopeless = new OpenStackClient(
      cloudAuth(resolved.connection, { password: "an-old-password" }),
      cloudFetch(cloudDispatcher({ tls: resolved.connection.tls })),
      { fallbackSecrets: () => ({ password: "also-wrong" }) },
    );
    await assert.rejects(
      hopeless.ready(),
      (err: unknown) => err instanceof OpenStackError && err.status === 401,
    );
  });
});
