// The builder lifecycle with the real Pulumi engine and OpenStack provider
// (Terraform provider + gophercloud) through the Automation API, against localcloud.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { toolPath, toolsEnv, toolsRoot } from "./repoTools";
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

/** Why the Pulumi CLI and openstack plugin from `npm run tools` cannot be used, or undefined. */
function missingPulumiTools(): string | undefined {
  if (!existsSync(toolPath("pulumi")))
    return `no Pulumi CLI at ${toolPath("pulumi")} (run npm run tools)`;
  const plugins = join(toolsEnv().PULUMI_HOME, "plugins");
  if (
    !existsSync(plugins) ||
    !readdirSync(plugins).some((p) => p.startsWith("resource-openstack"))
  ) {
    return `no openstack provider plugin under ${plugins} (run npm run tools)`;
  }
  return undefined;
}

const program = (publicKey: string) => async () => {
  const cfg = new pulumi.Config();
  const provider = new openstack.Provider("localcloud", { cloud: "localcloud" });
  const opts = { provider };
  const image = openstack.images.getImageOutput(
    { name: "debian-12-localcloud", mostRecent: true },
    { provider },
  );
  const net = openstack.networking.getNetworkOutput({ name: "localcloud-net" }, { provider });
  const key = new openstack.compute.Keypair("key", { name: "lc-builder-key", publicKey }, opts);
  const vol = new openstack.blockstorage.Volume(
    "vol",
    { name: "lc-builder-vol", size: 3, imageId: image.id, volumeType: "__DEFAULT__" },
    opts,
  );
  if (cfg.getBoolean("withServer") === false) return { volumeId: vol.id };
  // Shaped like components/BuilderVm.ts: boot from the volume, keep the volume, stop before destroy.
  const inst = new openstack.compute.Instance(
    "builder",
    {
      name: "lc-builder",
      flavorName: "m1.small",
      keyPair: key.name,
      securityGroups: ["default"],
      availabilityZone: "nova",
      networks: [{ uuid: net.id }],
      blockDevices: [
        {
          uuid: vol.id,
          sourceType: "volume",
          destinationType: "volume",
          bootIndex: 0,
          deleteOnTermination: false,
        },
      ],
      metadata: { role: "builder" },
      userData: "#cloud-config\n",
      powerState: cfg.get("powerState") ?? "active",
      stopBeforeDestroy: true,
    },
    opts,
  );
  const fip = new openstack.networking.FloatingIp(
    "fip",
    { pool: "public", description: "Builder lc-builder" },
    opts,
  );
  const port = openstack.networking.getPortOutput(
    { deviceId: inst.id, networkId: net.id },
    { provider },
  );
  const assoc = new openstack.networking.FloatingIpAssociate(
    "fip-assoc",
    { floatingIp: fip.address, portId: port.id },
    opts,
  );
  return {
    fixedIp: inst.accessIpV4,
    floatingIp: assoc.floatingIp,
    serverId: inst.id,
    volumeId: vol.id,
  };
};

describe("localcloud with the Pulumi OpenStack provider", function () {
  this.timeout(900_000);
  let cloud: LocalCloud;
  let stack: Stack;
  let key: TestKey;
  let stateDir: string;

  before(async function () {
    const missing = missingPrerequisites() ?? missingPulumiTools();
    if (missing) {
      console.warn(`skipping the Pulumi lifecycle on localcloud: ${missing}`);
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-pulumi-"));
    cloud = await startLocalCloud({ stateDir: join(stateDir, "cloud"), port: 0, log: () => {} });
    key = makeKey();
    const backend = join(stateDir, "backend");
    mkdirSync(backend);
    const pulumiCommand = await PulumiCommand.get({
      root: toolsRoot(),
      skipVersionCheck: true,
    });
    stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "localcloud",
        projectName: "localcloud-lifecycle",
        program: program(key.publicKey),
      },
      {
        pulumiCommand,
        workDir: stateDir,
        envVars: {
          ...toolsEnv(),
          ...cloud.env(),
          PULUMI_BACKEND_URL: `file://${backend}`,
          PULUMI_CONFIG_PASSPHRASE: "",
        },
      },
    );
  });

  after(async function () {
    if (!cloud) return;
    await cloud.stop();
    key?.cleanup();
    // LOCALCLOUD_REQUEST_LOG=file keeps the calls the provider made (for docs/localcloud.md)
    if (process.env.LOCALCLOUD_REQUEST_LOG)
      writeFileSync(process.env.LOCALCLOUD_REQUEST_LOG, JSON.stringify(cloud.requests(), null, 1));
    const left = [...leftovers(join(stateDir, "cloud")), ...listeners(cloud.octet)];
    rmSync(stateDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  const mutations = (since: number) =>
    cloud
      .requests()
      .slice(since)
      .filter((r) => r.method !== "GET" && !r.path.startsWith("/identity"));

  it("creates keypair, volume from the image, instance, floating IP; ssh works", async () => {
    const up = await stack.up({ onOutput: () => {} });
    const fip = up.outputs.floatingIp.value as string;
    assert.match(fip, new RegExp(`^127\\.${cloud.octet}\\.1\\.`));
    const out = await waitFor(
      "ssh",
      () => ssh(key, "rocky", fip, "hostname; sudo -n true && echo sudo-ok"),
      60_000,
    );
    assert.match(out, /sudo-ok/);
    assert.deepEqual(
      cloud.requests().filter((r) => r.unserved),
      [],
      "every call the provider made was served",
    );
  });

  it("makes no change and no create on a second up", async () => {
    const since = cloud.requests().length;
    const up = await stack.up({ onOutput: () => {} });
    const changes = up.summary.resourceChanges ?? {};
    assert.deepEqual(
      Object.keys(changes).filter((k) => k !== "same"),
      [],
    );
    assert.deepEqual(mutations(since), []);
  });

  it("stops the instance through power_state", async () => {
    await stack.setConfig("powerState", { value: "shutoff" });
    const up = await stack.up({ onOutput: () => {} });
    const server = cloud.requests().find((r) => r.method === "POST" && r.path.endsWith("/action"));
    assert.ok(server, "an os-stop action was sent");
    const id = up.outputs.serverId.value as string;
    const state = (await (await fetch(`${cloud.url}/localcloud/admin/state`)).json()) as {
      servers: { id: string; status: string }[];
    };
    assert.equal(state.servers.find((s) => s.id === id)?.status, "SHUTOFF");
  });

  it("updates without the server: server and floating IP go, the volume stays and uploads", async () => {
    await stack.setConfig("withServer", { value: "false" });
    const up = await stack.up({ onOutput: () => {} });
    const volumeId = up.outputs.volumeId.value as string;
    const state = (await (await fetch(`${cloud.url}/localcloud/admin/state`)).json()) as {
      servers: unknown[];
      floatingIps: unknown[];
      volumes: { id: string; status: string }[];
    };
    assert.deepEqual([state.servers.length, state.floatingIps.length], [0, 0]);
    assert.equal(state.volumes.find((v) => v.id === volumeId)?.status, "available");
    const api = await Rest.login(cloud);
    const res = await api.call("POST", api.vol(`/volumes/${volumeId}/action`), {
      "os-volume_upload_image": {
        image_name: "lc-built",
        disk_format: "raw",
        container_format: "bare",
      },
    });
    assert.equal(res.status, 202, res.text);
    const imageId = (res.json["os-volume_upload_image"] as { image_id: string }).image_id;
    await waitFor(
      "image active",
      async () => (await api.call("GET", `/image/v2/images/${imageId}`)).json.status === "active",
    );
    await waitFor("volume available", async () => {
      const v = (await api.call("GET", api.vol(`/volumes/${volumeId}`))).json.volume as {
        status: string;
      };
      return v.status === "available";
    });
  });

  it("destroys everything but the built image", async () => {
    await stack.destroy({ onOutput: () => {} });
    const state = (await (await fetch(`${cloud.url}/localcloud/admin/state`)).json()) as Record<
      string,
      unknown[]
    >;
    assert.deepEqual(
      [state.servers.length, state.keypairs.length, state.floatingIps.length],
      [0, 0, 0],
    );
    await waitFor("volume deleted", async () => {
      const s = (await (await fetch(`${cloud.url}/localcloud/admin/state`)).json()) as Record<
        string,
        unknown[]
      >;
      return s.volumes.length === 0;
    });
    assert.deepEqual(
      cloud.requests().filter((r) => r.unserved),
      [],
    );
    const api = await Rest.login(cloud);
    const images = (await api.call("GET", "/image/v2/images?name=lc-built")).json
      .images as unknown[];
    assert.equal(images.length, 1);
  });
});
