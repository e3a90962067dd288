/**
 * End-to-end set-up: the local project of scripts/localProject.ts (localcloud,
 * a git copy of the fixture appliance, a project whose `main` is this
 * repository, the real engine) plus what the tests check with: the real
 * `openstack` CLI, ssh into servers booted from built images, the request log.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  startLocalProject,
  type LocalProject,
  type LocalProjectOptions,
} from "../../scripts/localProject";
import { requireTools } from "../engine/helpers";
import { makeKey, Osc, ssh, waitFor, type TestKey } from "@slurm-image-builder/localcloud/testing";
import { openstackCli } from "../helpers/openstackCli";

export interface E2e extends Omit<LocalProject, "stop"> {
  osc: Osc;
  /** Servers, volumes, keypairs, floating IPs and named ports (a builder's) in the staging project. */
  cloudResources(): Promise<{
    servers: string[];
    volumes: string[];
    keypairs: string[];
    floatingIps: string[];
    ports: string[];
  }>;
  /** Requests that changed something in the cloud since `clearRequests` (not auth). */
  mutatingRequests(): string[];
  /** Boots a server from `imageId`, runs `command` on it over ssh, deletes the server. */
  runOnImage(imageId: string, command: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startE2e(
  label: string,
  options: {
    cloud?: LocalProjectOptions["cloud"];
    /** More environment for the `openstack` CLI of the checks (e.g. HTTPS_PROXY). */
    clientEnv?: Record<string, string>;
  } = {},
): Promise<E2e> {
  requireTools();
  const project = await startLocalProject({ label: `e2e-${label}`, cloud: options.cloud });
  const { cloud } = project;
  const osc = new Osc(await openstackCli(), {
    ...cloud.env(cloud.clouds.staging),
    ...options.clientEnv,
  });
  let key: TestKey | undefined;

  return {
    ...project,
    osc,
    async cloudResources() {
      const names = async (args: string[]) =>
        (await osc.json<{ Name?: string; ID: string }[]>(args)).map((r) => r.Name ?? r.ID);
      return {
        servers: await names(["server", "list"]),
        volumes: await names(["volume", "list"]),
        keypairs: (await names(["keypair", "list"])).filter((k) => !k.startsWith("e2e-check")),
        floatingIps: await names(["floating", "ip", "list"]),
        ports: (await names(["port", "list"])).filter(
          (name) => name !== "" && !/^[0-9a-f-]{36}$/.test(name),
        ),
      };
    },
    mutatingRequests() {
      return cloud
        .requests()
        .filter((r) => !["GET", "HEAD"].includes(r.method) && !/\/auth\/tokens$/.test(r.path))
        .map((r) => `${r.method} ${r.path} → ${r.status}`);
    },
    async runOnImage(imageId, command) {
      key ??= makeKey();
      const keyName = "e2e-check";
      const existing = await osc.json<{ Name: string }[]>(["keypair", "list"]);
      if (!existing.some((k) => k.Name === keyName)) {
        fs.writeFileSync(path.join(key.dir, "id.pub"), key.publicKey);
        await osc.run(["keypair", "create", "--public-key", path.join(key.dir, "id.pub"), keyName]);
      }
      const name = `e2e-check-${imageId.slice(0, 8)}`;
      const server = await osc.json<{ id: string }>([
        "server",
        "create",
        "--image",
        imageId,
        "--flavor",
        "m1.small",
        "--network",
        "localcloud-net",
        "--key-name",
        keyName,
        "--wait",
        name,
      ]);
      try {
        const shown = await osc.json<{ addresses: Record<string, string[]> | string }>([
          "server",
          "show",
          server.id,
        ]);
        const address = JSON.stringify(shown.addresses).match(/127\.\d+\.\d+\.\d+/)?.[0];
        if (!address)
          throw new Error(`server ${server.id} has no address: ${JSON.stringify(shown.addresses)}`);
        const user = "rocky";
        await waitFor(
          `ssh to ${address}`,
          async () => (await ssh(key!, user, address, "true")) !== undefined,
          60_000,
          1000,
        );
        return await ssh(key!, user, address, command);
      } finally {
        await osc.run(["server", "delete", "--wait", server.id]);
      }
    },
    async stop() {
      key?.cleanup();
      await project.stop(!!process.env.E2E_KEEP);
    },
  };
}

/** `up` output lines, for assertions on what the user saw. */
export function collector(): { lines: string[]; onOutput: (out: string) => void } {
  const lines: string[] = [];
  return { lines, onOutput: (out) => lines.push(...out.split("\n")) };
}

/** Nothing of a builder in the staging project. */
export const NO_BUILDER = { servers: [], volumes: [], keypairs: [], floatingIps: [], ports: [] };

/** A stack config with one fat build from localcloud's base image. */
export function fatBuildConfig(
  extra: Record<string, unknown> = {},
  buildExtra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    flavor: "general.v1.small",
    networks: ["localcloud-net"],
    sshTimeoutMinutes: 3,
    ...extra,
    builds: {
      fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage", ...buildExtra },
    },
  };
}
