/**
 * How the main stack hands the one resolved connection on (Pulumi mocks):
 * an explicit provider for every OpenStack call, the plain connection in
 * the runners' environment, the credentials on their stdin as secrets, and
 * never in a trigger.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ImageSet } from "../../components/ImageSet";
import { ImagePromotion } from "../../components/ImagePromotion";
import { cloudProvider, runnerCloud } from "../../components/cloud";
import { resolveStackConfig } from "../../lib/config/resolve";
import { decodeConnection, resolveCloud } from "../../lib/openstack/connection";
import { ENV, formatResult } from "../../lib/protocol";
import { makeAppliance } from "../helpers/appliance";
import { isSecretInput, settled, valueOf } from "../helpers/mocks";

const NS = "slurm-image-builder";

interface Seen {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

function mocks(): { resources: Seen[]; calls: { token: string; provider?: string }[] } {
  const resources: Seen[] = [];
  const calls: { token: string; provider?: string }[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "command:local:Command" && args.name.endsWith("-image"))
          state.stdout = formatResult({
            imageId: "img-1",
            imageName: "openhpc-RL9-x",
            fingerprint: "f",
            sourceImageId: "s",
            inventoryGroups: [],
            gitCommit: "c",
            builtAt: "2026-01-05T09:07:00Z",
            timings: {},
          });
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        calls.push({ token: args.token, provider: args.provider });
        return { id: `cloud-${args.inputs.name}`, name: args.inputs.name };
      },
    },
    NS,
    "staging",
    false,
  );
  return { resources, calls };
}

describe("cloud connection in the main stack (Pulumi mocks)", () => {
  let appliance: ReturnType<typeof makeAppliance>;
  before(() => (appliance = makeAppliance()));
  after(() => appliance.cleanup());

  const cloud = resolveCloud({
    config: {
      authUrl: "https://keystone.example.org:5000/v3",
      userName: "builder",
      password: "pa55word",
      tenantName: "images",
      region: "RegionTwo",
      endpointType: "internal",
    },
    env: {},
  });

  it("the source image lookup goes through the explicit provider; the runner gets the connection, its password as a secret on stdin only", async () => {
    const { resources, calls } = mocks();
    const provider = cloudProvider("cloud", cloud);
    const settings = resolveStackConfig(
      {
        flavor: "f",
        networks: ["n"],
        builds: { RL9: { sourceImageName: "Rocky-9" } },
      },
      {
        env: {
          APPLIANCES_REPO_ROOT: appliance.repoRoot,
          APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
        },
        cwd: appliance.repoRoot,
        namespace: NS,
      },
    );
    const set = new ImageSet(
      "images",
      { settings, project: NS, stack: "staging", cloud: runnerCloud(cloud) },
      { providers: [provider] },
    );
    await valueOf(set.builds.RL9.imageId);
    await settled();

    const providerResource = resources.find((r) => r.type === "pulumi:providers:openstack")!;
    assert.equal(providerResource.inputs.tenantName, "images");
    assert.equal(providerResource.inputs.endpointType, "internal");
    assert.equal(providerResource.inputs.region, "RegionTwo");
    assert.ok(isSecretInput(providerResource.inputs.password), "the provider's password is secret");

    const lookups = calls.filter((c) => c.token === "openstack:images/getImage:getImage");
    assert.equal(lookups.length, 1);
    assert.match(lookups[0].provider ?? "", /::pulumi:providers:openstack::cloud::/);

    const commands = resources.filter((r) => r.type === "command:local:Command");
    assert.deepEqual(commands.map((c) => c.name).sort(), ["RL9-builder", "RL9-image"]);
    for (const cmd of commands) {
      const env = cmd.inputs.environment as Record<string, string>;
      const connection = decodeConnection(env[ENV.cloud]);
      assert.equal(connection.projectName, "images");
      assert.equal(connection.interface, "internal");
      assert.ok(isSecretInput(cmd.inputs.stdin), `${cmd.name}: stdin is not secret`);
      const stdin = JSON.parse(String((cmd.inputs.stdin as { value: unknown }).value));
      assert.deepEqual(stdin.cloud, { password: "pa55word" });
      const { stdin: _s, ...rest } = cmd.inputs;
      void _s;
      assert.ok(!JSON.stringify(rest).includes("pa55word"), `${cmd.name}: the password is plain`);
    }
  });

  it("a promotion gets both clouds' connections; the credentials on stdin, the trigger only the pin", async () => {
    const { resources } = mocks();
    const source = resolveCloud({
      config: {
        authUrl: "https://keystone.example.org:5000/v3",
        userName: "staging-user",
        password: "st4ging",
        tenantName: "staging",
      },
      env: {},
    });
    const promotion = new ImagePromotion("RL9", {
      stack: "production",
      pin: { key: "RL9", imageId: "i-1", outside: true },
      promoteFrom: "staging",
      method: "share",
      sourceCloud: "mycloud-staging",
      cloud: runnerCloud(cloud),
      source: runnerCloud(source),
    });
    await valueOf(promotion.imageId);
    await settled();
    const cmd = resources.find((r) => r.type === "command:local:Command")!;
    const env = cmd.inputs.environment as Record<string, string>;
    assert.equal(decodeConnection(env[ENV.promotionSourceConnection]).projectName, "staging");
    assert.equal(decodeConnection(env[ENV.cloud]).projectName, "images");
    const stdin = JSON.parse(String((cmd.inputs.stdin as { value: unknown }).value));
    assert.deepEqual(stdin, {
      cloud: { password: "pa55word" },
      sourceCloud: { password: "st4ging" },
    });
    assert.deepEqual(cmd.inputs.triggers, [{ imageId: "i-1", method: "share" }]);
  });
});
