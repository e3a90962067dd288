/**
 * A complete local set-up for running this program for real without a cloud:
 * localcloud, a git copy of the fixture appliance, a Pulumi project directory
 * whose `main` is this repository, a file backend and a passphrase, and the
 * tools of `npm run tools`. Used by the demo, the benchmarks and the
 * end-to-end tests; everything lives under one directory.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import {
  startLocalCloud,
  type LocalCloud,
  type LocalCloudOptions,
} from "@slurm-image-builder/localcloud";
import { repoRoot, toolsEnv, toolsRoot } from "../tools/paths";

export const NAMESPACE = "slurm-image-builder";

export interface LocalProject {
  dir: string;
  cloud: LocalCloud;
  appliance: { repoRoot: string; environmentRoot: string };
  projectDir: string;
  /** Environment of the engine (and so of the build runner). */
  env: Record<string, string>;
  /**
   * Selects (or creates) a stack whose config is `config` (keys without the
   * namespace are ours); `env` is laid over the project's environment.
   */
  stack(
    name: string,
    config: Record<string, unknown>,
    env?: Record<string, string>,
  ): Promise<Stack>;
  writeConfig(name: string, config: Record<string, unknown>): void;
  /** Writes a file of the appliance copy and commits it. */
  editAppliance(file: string, content: string): void;
  /** Stops localcloud; removes the directory unless `keep`. */
  stop(keep?: boolean): Promise<void>;
}

export interface LocalProjectOptions {
  label: string;
  /** Where to put everything (default: a new temporary directory). */
  dir?: string;
  /** localcloud's progress and server log lines. */
  log?: (line: string) => void;
  port?: number;
  /** More options of localcloud (e.g. `https`, `hostName`). */
  cloud?: Partial<LocalCloudOptions>;
  /** The program Pulumi runs (default: this checkout's index.ts; `dist` of it when compiled). */
  main?: string;
}

export async function startLocalProject(opts: LocalProjectOptions): Promise<LocalProject> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `${opts.label}-`));
  fs.mkdirSync(dir, { recursive: true });
  const cloud = await startLocalCloud({
    stateDir: path.join(dir, "cloud"),
    port: opts.port ?? 0,
    log: opts.log ?? (() => undefined),
    ...opts.cloud,
  });

  const applianceRoot = path.join(dir, "appliance");
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      ["-C", applianceRoot, "-c", "user.email=local@example.org", "-c", "user.name=local", ...args],
      {
        stdio: "ignore",
      },
    );
  if (!fs.existsSync(applianceRoot)) {
    fs.cpSync(path.join(repoRoot, "test", "fixtures", "appliance"), applianceRoot, {
      recursive: true,
    });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "fixture appliance");
  }

  const projectDir = path.join(dir, "project");
  fs.mkdirSync(projectDir, { recursive: true });
  fs.writeFileSync(
    path.join(projectDir, "Pulumi.yaml"),
    stringify({ name: NAMESPACE, runtime: { name: "nodejs" }, main: opts.main ?? repoRoot }),
  );
  const backend = path.join(dir, "state");
  fs.mkdirSync(backend, { recursive: true });

  const env: Record<string, string> = {
    ...toolsEnv(),
    ...cloud.env(cloud.clouds.staging),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "local-passphrase",
    APPLIANCES_REPO_ROOT: applianceRoot,
    APPLIANCES_ENVIRONMENT_ROOT: path.join(applianceRoot, "environments", "site"),
    IMAGE_BUILD_STATE_DIR: path.join(dir, "build-state"),
  };
  const pulumiCommand = await PulumiCommand.get({ root: toolsRoot() });

  const writeConfig = (name: string, config: Record<string, unknown>) => {
    const namespaced = Object.fromEntries(
      Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${NAMESPACE}:${k}`, v]),
    );
    fs.writeFileSync(
      path.join(projectDir, `Pulumi.${name}.yaml`),
      stringify({ config: namespaced }),
    );
  };

  return {
    dir,
    cloud,
    appliance: { repoRoot: applianceRoot, environmentRoot: env.APPLIANCES_ENVIRONMENT_ROOT },
    projectDir,
    env,
    writeConfig,
    async stack(name, config, extraEnv = {}) {
      writeConfig(name, config);
      return LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: projectDir },
        { pulumiCommand, envVars: { ...env, ...extraEnv } },
      );
    },
    editAppliance(file, content) {
      fs.mkdirSync(path.dirname(path.join(applianceRoot, file)), { recursive: true });
      fs.writeFileSync(path.join(applianceRoot, file), content);
      git("add", "-A");
      git("commit", "-qm", `edit ${file}`);
    },
    async stop(keep = false) {
      await cloud.stop();
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Shell lines that give a terminal the same environment (for `--keep` instructions). */
export function shellExports(project: LocalProject): string {
  const keys = [
    "PATH",
    "PULUMI_HOME",
    "PULUMI_SKIP_UPDATE_CHECK",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
    "OS_CLIENT_CONFIG_FILE",
    "OS_CLOUD",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "APPLIANCES_REPO_ROOT",
    "APPLIANCES_ENVIRONMENT_ROOT",
    "IMAGE_BUILD_STATE_DIR",
  ];
  return keys
    .filter((k) => project.env[k] !== undefined)
    .map((k) => `export ${k}='${project.env[k].replace(/'/g, `'\\''`)}'`)
    .join("\n");
}
