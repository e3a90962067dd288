/**
 * End-to-end set-up: localcloud, a git copy of the fixture appliance, and a
 * Pulumi project directory whose `main` is this repository, driven through
 * the Automation API with the real engine (tools of `npm run tools`), a file
 * backend and a passphrase. Everything lives in one temporary directory.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { startLocalCloud, type LocalCloud } from "../../localcloud";
import { repoRoot, toolsEnv, toolsRoot } from "../../lib/tools";
import { requireTools } from "../engine/helpers";
import { makeKey, openstackCli, Osc, ssh, waitFor, type TestKey } from "../localcloud/helpers";

export const NS = "slurm-image-builder";

export interface E2e {
  dir: string;
  cloud: LocalCloud;
  osc: Osc;
  appliance: { repoRoot: string; environmentRoot: string };
  projectDir: string;
  /** Environment of the engine (and so of the build runner). */
  env: Record<string, string>;
  stack(name: string, config: Record<string, unknown>): Promise<Stack>;
  /** Rewrites a stack's config file (keys without the namespace). */
  writeConfig(name: string, config: Record<string, unknown>): void;
  /** Commits a change to the appliance copy. */
  editAppliance(file: string, content: string): void;
  /** Servers, volumes, keypairs and floating IPs in the staging project. */
  cloudResources(): Promise<{
    servers: string[];
    volumes: string[];
    keypairs: string[];
    floatingIps: string[];
  }>;
  /** Requests that changed something in the cloud since `clearRequests` (not auth). */
  mutatingRequests(): string[];
  /** Boots a server from `imageId`, runs `command` on it over ssh, deletes the server. */
  runOnImage(imageId: string, command: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startE2e(label: string): Promise<E2e> {
  requireTools();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `e2e-${label}-`));
  const cloud = await startLocalCloud({
    stateDir: path.join(dir, "cloud"),
    port: 0,
    log: () => undefined,
  });

  const applianceRoot = path.join(dir, "appliance");
  fs.cpSync(path.join(repoRoot, "test", "fixtures", "appliance"), applianceRoot, {
    recursive: true,
  });
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-C", applianceRoot, "-c", "user.email=e2e@example.org", "-c", "user.name=e2e", ...args],
      {
        stdio: "ignore",
      },
    );
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "fixture appliance");

  const projectDir = path.join(dir, "project");
  fs.mkdirSync(projectDir);
  fs.writeFileSync(
    path.join(projectDir, "Pulumi.yaml"),
    stringify({ name: NS, runtime: { name: "nodejs" }, main: repoRoot }),
  );
  const backend = path.join(dir, "state");
  fs.mkdirSync(backend);

  const env: Record<string, string> = {
    ...toolsEnv(),
    ...cloud.env(cloud.clouds.staging),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    APPLIANCES_REPO_ROOT: applianceRoot,
    APPLIANCES_ENVIRONMENT_ROOT: path.join(applianceRoot, "environments", "site"),
    IMAGE_BUILD_STATE_DIR: path.join(dir, "build-state"),
  };
  const osc = new Osc(await openstackCli(), cloud.env(cloud.clouds.staging));
  const pulumiCommand = await PulumiCommand.get({ root: toolsRoot() });
  let key: TestKey | undefined;

  const writeConfig = (name: string, config: Record<string, unknown>) => {
    const namespaced = Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${NS}:${k}`, v]),
    );
    fs.writeFileSync(
      path.join(projectDir, `Pulumi.${name}.yaml`),
      stringify({ config: namespaced }),
    );
  };

  return {
    dir,
    cloud,
    osc,
    appliance: { repoRoot: applianceRoot, environmentRoot: env.APPLIANCES_ENVIRONMENT_ROOT },
    projectDir,
    env,
    writeConfig,
    async stack(name, config) {
      writeConfig(name, config);
      return LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: projectDir },
        { pulumiCommand, envVars: env },
      );
    },
    editAppliance(file, content) {
      fs.mkdirSync(path.dirname(path.join(applianceRoot, file)), { recursive: true });
      fs.writeFileSync(path.join(applianceRoot, file), content);
      git("add", "-A");
      git("commit", "-qm", `edit ${file}`);
    },
    async cloudResources() {
      const names = async (args: string[]) =>
        (await osc.json<{ Name?: string; ID: string }[]>(args)).map((r) => r.Name ?? r.ID);
      return {
        servers: await names(["server", "list"]),
        volumes: await names(["volume", "list"]),
        keypairs: (await names(["keypair", "list"])).filter((k) => !k.startsWith("e2e-check")),
        floatingIps: await names(["floating", "ip", "list"]),
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
      await cloud.stop();
      key?.cleanup();
      if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `up` output lines, for assertions on what the user saw. */
export function collector(): { lines: string[]; onOutput: (out: string) => void } {
  const lines: string[] = [];
  return { lines, onOutput: (out) => lines.push(...out.split("\n")) };
}
