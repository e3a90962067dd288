/**
 * This program against localcloud with the real Keystone and Glance (Debian's
 * packages, localcloud's `realServices`): one build of a fat image and an
 * extra build on it, a second `up` that changes nothing (the real Glance's
 * calls counted too), the runner's REST client (password, application
 * credential, domain user, a token revoked in Keystone, refused credentials),
 * then the promotion suite (share, accept, copy, unpin, retention). Skipped, saying why, when the packages are missing.
 */
import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { cloudAuth } from "../../lib/openstack/cloudConfig";
import {
  cloudDispatcher,
  cloudFetch,
  OpenStackClient,
  OpenStackError,
} from "../../lib/openstack/client";
import { resolveCloud } from "../../lib/openstack/connection";
import { ImageService, VolumeService } from "../../lib/openstack/images";
import { missingRealServices } from "@slurm-image-builder/localcloud/testing";
import { startE2e, type E2e } from "./harness";
import { promotionSuite } from "./suites/promotion";

interface ImageOut {
  imageId: string;
  imageName: string;
  sourceImageId: string;
}

const missing = missingRealServices();

describe("end to end with the real Keystone and Glance: a build and a no-op up", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  let stack: Stack;
  let first: Record<string, ImageOut>;
  const images = async () => (await stack.outputs()).images.value as Record<string, ImageOut>;

  before(async function () {
    if (missing) {
      console.warn(`skipping the real-services end-to-end tests: ${missing}`);
      this.skip();
    }
    e2e = await startE2e("realservices", { cloud: { realServices: true } });
  });
  after(async () => e2e && (await e2e.stop()));

  it("up builds a fat image and an extra build on it, both active in the real Glance", async () => {
    stack = await e2e.stack("staging", {
      flavor: "general.v1.small",
      networks: ["localcloud-net"],
      sshTimeoutMinutes: 3,
      builds: {
        fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        lustre: { sourceBuild: "fat", inventoryGroups: "lustre" },
      },
    });
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    first = await images();
    assert.deepEqual(Object.keys(first).sort(), ["fat", "lustre"]);
    assert.equal(first.lustre.sourceImageId, first.fat.imageId);
    for (const image of Object.values(first)) {
      const shown = await e2e.osc.json<{ status: string; name: string }>([
        "image",
        "show",
        image.imageId,
      ]);
      assert.equal(shown.status, "active");
      assert.equal(shown.name, image.imageName);
    }
    const groups = (await e2e.runOnImage(first.lustre.imageId, "ls /etc/fixture/groups"))
      .trim()
      .split("\n");
    assert.ok(groups.includes("lustre") && groups.includes("fatimage"), groups.join(","));
  });

  it("a second up with no change changes nothing, in the engine, Nova/Cinder/Neutron and Glance", async () => {
    e2e.cloud.clearRequests();
    const result = await stack.up({ color: "never" });
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(
      ([op]) => op !== "same",
    );
    assert.deepEqual(changes, []);
    assert.ok(
      e2e.cloud.requests().some((r) => r.service === "image"),
      "the real Glance's calls are in the request log",
    );
    assert.deepEqual(e2e.mutatingRequests(), []);
    assert.deepEqual(await images(), first);
  });

  describe("the runner's REST client", () => {
    const notices: string[] = [];
    /** A client of a clouds.yaml entry; `tokens` collects the tokens it sends. */
    const client = (
      cloudName: string,
      opts: { secrets?: Record<string, string>; fallback?: boolean; tokens?: Set<string> } = {},
    ) => {
      const resolved = resolveCloud({ env: e2e.cloud.env(cloudName), cwd: e2e.dir });
      const base = cloudFetch(cloudDispatcher({ tls: resolved.connection.tls }));
      const recording = ((url: string, init?: RequestInit) => {
        const token = new Headers(init?.headers).get("x-auth-token");
        if (token) opts.tokens?.add(token);
        return base(url, init);
      }) as typeof fetch;
      return new OpenStackClient(
        cloudAuth(resolved.connection, { ...resolved.secrets, ...opts.secrets }),
        recording,
        {
          retryDelayMs: 10,
          notice: (m) => notices.push(m),
          fallbackSecrets: opts.fallback ? () => resolved.secrets : undefined,
        },
      );
    };

    it("authenticates with a password, an application credential and a user of domain hpc; lists through Glance", async () => {
      const { clouds, projects } = e2e.cloud;
      for (const name of [clouds.staging, clouds.appcred, clouds.domain]) {
        const c = client(name);
        const listed = (await new ImageService(c).list({})).map((i) => i.id);
        assert.equal(c.projectId, projects.staging, name);
        assert.ok(listed.includes(first.fat.imageId), `${name} lists the built image`);
      }
      const production = client(clouds.production);
      assert.ok(
        !(await new ImageService(production).list({})).some((i) => i.id === first.fat.imageId),
      );
      assert.equal(production.projectId, projects.production);
    });

    it("a token revoked in Keystone: Cinder refuses it at once (one new authentication, the request repeated); Glance's keystonemiddleware still takes it from its cache", async () => {
      const tokens = new Set<string>();
      const c = client(e2e.cloud.clouds.staging, { tokens });
      await new ImageService(c).list({});
      assert.equal(tokens.size, 1);
      const [revoked] = tokens;
      const res = await fetch(`${e2e.cloud.realServices!.keystoneUrl}/v3/auth/tokens`, {
        method: "DELETE",
        headers: { "X-Auth-Token": revoked, "X-Subject-Token": revoked },
      });
      assert.equal(res.status, 204);
      notices.length = 0;
      await new VolumeService(c).list();
      assert.equal(tokens.size, 2, "a new token");
      assert.match(notices.join("\n"), /HTTP 401; authenticating again/);
      // keystonemiddleware caches a validated token (token_cache_time, 300 s by default)
      const cached = await fetch(`${e2e.cloud.realServices!.glanceUrl}/v2/images`, {
        headers: { "X-Auth-Token": revoked },
      });
      assert.equal(cached.status, 200, "Glance still takes the revoked token it validated before");
    });

    it("credentials Keystone refuses: the environment's are tried once; an unknown application credential is Keystone's 404", async () => {
      notices.length = 0;
      const stale = client(e2e.cloud.clouds.staging, {
        secrets: { password: "an-old-password" },
        fallback: true,
      });
      await stale.ready();
      assert.equal(stale.projectId, e2e.cloud.projects.staging);
      assert.match(notices.join("\n"), /Keystone refused the credentials this runner was given/);
      const resolved = resolveCloud({
        env: e2e.cloud.env(e2e.cloud.clouds.appcred),
        cwd: e2e.dir,
      });
      const unknown = new OpenStackClient(
        cloudAuth(
          { ...resolved.connection, applicationCredentialId: "no-such-credential" },
          resolved.secrets,
        ),
        cloudFetch(cloudDispatcher({ tls: resolved.connection.tls })),
      );
      await assert.rejects(
        unknown.ready(),
        (err: unknown) => err instanceof OpenStackError && err.status === 404,
      );
    });
  });
});

if (!missing) promotionSuite({ realServices: true });
