/**
 * Where `npm run tools` puts the real Pulumi CLI, the Node.js language host,
 * the provider plugins, Ansible and the OpenStack CLI, and the environment to
 * run them with. Import this from tests, the Automation API runner or the demo:
 *
 * ```ts
 * import { toolsEnv, toolsRoot } from "../lib/tools";
 * const pulumiCommand = await PulumiCommand.get({ root: toolsRoot() });
 * const ws = await LocalWorkspace.create({ workDir, pulumiCommand, envVars: toolsEnv() });
 * ```
 *
 * Nothing here builds or checks anything: run `npm run tools` first (or
 * `npm run tools -- --check` to see what is there). See docs/tools.md.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, relative, resolve } from "node:path";

/** The clone this module belongs to (package.json, package-lock.json, tools/). */
export const repoRoot = resolve(__dirname, "..");

/** Versions of everything `npm run tools` provides. */
export interface ToolVersions {
  /** The Pulumi CLI and Node.js language host: @pulumi/pulumi in package-lock.json. */
  pulumi: string;
  /** Provider plugins: name (as the engine knows it) → version of its npm package in package-lock.json. */
  plugins: { command: string; tls: string; openstack: string };
  /** Python packages in the tools venv (tools/versions.json). */
  python: { "ansible-core": string; "python-openstackclient": string };
}

function lockVersion(
  lock: { packages?: Record<string, { version?: string }> },
  pkg: string,
): string {
  const v = lock.packages?.[`node_modules/${pkg}`]?.version;
  if (!v) throw new Error(`package-lock.json has no version for ${pkg}`);
  return v;
}

/** Reads the versions from package-lock.json and tools/versions.json. */
export function toolVersions(root: string = repoRoot): ToolVersions {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const pins = JSON.parse(readFileSync(join(root, "tools", "versions.json"), "utf8"));
  return {
    pulumi: lockVersion(lock, "@pulumi/pulumi"),
    plugins: {
      command: lockVersion(lock, "@pulumi/command"),
      tls: lockVersion(lock, "@pulumi/tls"),
      openstack: lockVersion(lock, "@pulumi/openstack"),
    },
    python: pins.python,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const keys = new Map<string, string>();

/**
 * Name of the cache directory for this set of tools: the Pulumi version plus
 * a hash of every version and of the Go modules in tools/go (so a change to
 * any of them builds a fresh set beside the old one). Computed once per process.
 */
export function toolsKey(root: string = repoRoot): string {
  const cached = keys.get(root);
  if (cached) return cached;
  const versions = toolVersions(root);
  const hash = createHash("sha256").update(JSON.stringify(versions));
  for (const f of filesUnder(join(root, "tools", "go"))) {
    hash.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
  }
  const key = `pulumi-${versions.pulumi}-${hash.digest("hex").slice(0, 12)}`;
  keys.set(root, key);
  return key;
}

/**
 * The cache directory holding the tools:
 * `$SLURM_IMAGE_BUILDER_TOOLS_DIR` if set, else
 * `${XDG_CACHE_HOME:-~/.cache}/slurm-image-builder/tools/<toolsKey>`.
 * Layout: `bin/` (pulumi, pulumi-language-nodejs, ansible*, openstack),
 * `pulumi-home/` (PULUMI_HOME, with the provider plugins installed),
 * `providers/` (the plugin binaries as built), `venv/` (Python), `logs/`.
 */
export function toolsRoot(root: string = repoRoot, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLURM_IMAGE_BUILDER_TOOLS_DIR) return resolve(env.SLURM_IMAGE_BUILDER_TOOLS_DIR);
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "slurm-image-builder", "tools", toolsKey(root));
}

/**
 * Environment variables that make the Pulumi CLI (and the Automation API) use
 * these tools and stay offline: PATH starts with the tools' bin/, PULUMI_HOME
 * is the cache's pulumi-home (where the plugins are installed), the update
 * check is off and the engine never downloads a plugin (a missing one is an
 * error instead). Returns only these variables; merge them over
 * `process.env` yourself where a full environment is needed (LocalWorkspace's
 * `envVars` does that already).
 */
export function toolsEnv(
  env: NodeJS.ProcessEnv = process.env,
  root: string = repoRoot,
): Record<string, string> {
  const dir = toolsRoot(root, env);
  return {
    PATH: [join(dir, "bin"), env.PATH ?? ""].filter((p) => p !== "").join(delimiter),
    PULUMI_HOME: join(dir, "pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/** Absolute path of a program in the tools' bin/ (e.g. `toolPath("pulumi")`). */
export function toolPath(
  name: string,
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return join(toolsRoot(root, env), "bin", name);
}
