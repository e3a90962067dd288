/**
 * Where `npm run tools` puts the real Pulumi CLI, the Node.js language host,
 * the provider plugins, Ansible and the OpenStack CLI, and the environment to
 * run them with; and, in a set of their own, the consumer tools (OpenTofu with
 * its OpenStack provider in a filesystem mirror, actionlint: `toolPath("tofu")`,
 * `tofuEnv()`). Import this from tests, the Automation API runner or the demo:
 *
 * ```ts
 * import { toolsEnv, toolsRoot } from "../tools/paths";
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
import { delimiter, join, relative, resolve, sep } from "node:path";

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
 * a hash of every version and of the Go modules in tools/go except the
 * consumer tools' (so a change to any of them builds a fresh set beside the
 * old one). Computed once per process.
 */
export function toolsKey(root: string = repoRoot): string {
  const cached = keys.get(root);
  if (cached) return cached;
  const versions = toolVersions(root);
  const hash = createHash("sha256").update(JSON.stringify(versions));
  // The consumer tools' and Packer's modules are keyed by consumerToolsKey and
  // packerToolsKey, not here: adding or changing them must not rebuild the Pulumi set.
  const consumerDirs = [...CONSUMER_MODULES, ...PACKER_MODULES].map(
    (m) => join(root, "tools", "go", m) + sep,
  );
  for (const f of filesUnder(join(root, "tools", "go"))) {
    if (consumerDirs.some((d) => f.startsWith(d))) continue;
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

/**
 * Absolute path of a program in the tools' bin/ (e.g. `toolPath("pulumi")`,
 * `toolPath("ansible-playbook")`); `tofu` and `actionlint` are in the consumer
 * tools' bin/ (see {@link consumerToolsRoot}), `packer` in the Packer set's
 * (see {@link packerToolsRoot}).
 */
export function toolPath(
  name: string,
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if ((CONSUMER_PROGRAMS as readonly string[]).includes(name))
    return join(consumerToolsRoot(root, env), "bin", name);
  if (name === "packer") return join(packerToolsRoot(root, env), "bin", name);
  return join(toolsRoot(root, env), "bin", name);
}

// ---------------------------------------------------------------------------
// Consumer tools: OpenTofu, the OpenStack provider for it, actionlint. They
// check what consumes the built images (the appliance's OpenTofu configuration)
// and the CI workflows, and live in a set of their own beside the Pulumi set.

/** Programs of the consumer tools' bin/. */
export const CONSUMER_PROGRAMS = ["tofu", "actionlint"] as const;
export type ConsumerProgram = (typeof CONSUMER_PROGRAMS)[number];

/** Our Go modules under tools/go that the consumer tools are built from. */
export const CONSUMER_MODULES = ["tofu", "terraform-provider-openstack", "actionlint"] as const;
export type ConsumerModule = (typeof CONSUMER_MODULES)[number];

/** The upstream module each consumer tool is built from (required by tools/go/<name>/go.mod). */
export const CONSUMER_UPSTREAM: Record<ConsumerModule, string> = {
  tofu: "github.com/opentofu/opentofu",
  "terraform-provider-openstack":
    "github.com/terraform-provider-openstack/terraform-provider-openstack/v3",
  actionlint: "github.com/rhysd/actionlint",
};

/** Where OpenTofu finds the OpenStack provider: `<registry host>/<namespace>/<type>`. */
export const TOFU_OPENSTACK_PROVIDER =
  "registry.opentofu.org/terraform-provider-openstack/openstack";

/** Versions of the consumer tools (without a leading v), from tools/go/<name>/go.mod. */
export type ConsumerToolVersions = Record<ConsumerModule, string>;

/** Reads the version of `module` that `tools/go/<dir>/go.mod` requires. */
function goModRequire(root: string, dir: string, module: string): string {
  const file = join(root, "tools", "go", dir, "go.mod");
  const text = readFileSync(file, "utf8");
  const quoted = module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`^\\s*(?:require\\s+)?${quoted}\\s+v(\\S+)`, "m").exec(text);
  if (!m) throw new Error(`${file} does not require ${module}`);
  return m[1];
}

/** The consumer tools' versions, read from the go.mod files under tools/go. */
export function consumerToolVersions(root: string = repoRoot): ConsumerToolVersions {
  const out = {} as ConsumerToolVersions;
  for (const m of CONSUMER_MODULES) out[m] = goModRequire(root, m, CONSUMER_UPSTREAM[m]);
  return out;
}

const consumerKeys = new Map<string, string>();

/**
 * Name of the consumer tools' cache directory: `consumers-<hash>`, the hash
 * covering their versions and the files of tools/go/{tofu,
 * terraform-provider-openstack,actionlint} only (never the Pulumi set's).
 */
export function consumerToolsKey(root: string = repoRoot): string {
  const cached = consumerKeys.get(root);
  if (cached) return cached;
  const hash = createHash("sha256").update(JSON.stringify(consumerToolVersions(root)));
  for (const m of CONSUMER_MODULES) {
    for (const f of filesUnder(join(root, "tools", "go", m))) {
      hash.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
    }
  }
  const key = `consumers-${hash.digest("hex").slice(0, 12)}`;
  consumerKeys.set(root, key);
  return key;
}

/**
 * The consumer tools' cache directory: `$SLURM_IMAGE_BUILDER_TOOLS_DIR/consumers`
 * if that variable is set, else
 * `${XDG_CACHE_HOME:-~/.cache}/slurm-image-builder/tools/<consumerToolsKey>`.
 * Layout: `bin/` (tofu, actionlint), `tofu-mirror/` (the provider in
 * OpenTofu's unpacked filesystem-mirror layout), `tofu.rc` (the CLI
 * configuration), `logs/`.
 */
export function consumerToolsRoot(
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.SLURM_IMAGE_BUILDER_TOOLS_DIR)
    return join(resolve(env.SLURM_IMAGE_BUILDER_TOOLS_DIR), "consumers");
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "slurm-image-builder", "tools", consumerToolsKey(root));
}

/** OpenTofu's name for this machine's platform (`linux_amd64`, `linux_arm64`, ...). */
export function tofuPlatform(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${process.platform}_${arch[process.arch] ?? process.arch}`;
}

/** The filesystem mirror that `tofu init` installs the OpenStack provider from. */
export function tofuMirrorDir(root: string = repoRoot, env: NodeJS.ProcessEnv = process.env) {
  return join(consumerToolsRoot(root, env), "tofu-mirror");
}

/**
 * The OpenStack provider's binary inside the mirror:
 * `<mirror>/registry.opentofu.org/terraform-provider-openstack/openstack/<version>/<os>_<arch>/terraform-provider-openstack_v<version>`.
 */
export function tofuProviderPath(
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const v = consumerToolVersions(root)["terraform-provider-openstack"];
  return join(
    tofuMirrorDir(root, env),
    ...TOFU_OPENSTACK_PROVIDER.split("/"),
    v,
    tofuPlatform(),
    `terraform-provider-openstack_v${v}`,
  );
}

/** The OpenTofu CLI configuration file (`TF_CLI_CONFIG_FILE`) that `npm run tools` writes. */
export function tofuCliConfigPath(
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return join(consumerToolsRoot(root, env), "tofu.rc");
}

/**
 * Text of the OpenTofu CLI configuration: the OpenStack provider comes from the
 * filesystem mirror (and never from the registry); other providers would
 * still be installed directly, where a registry is reachable.
 */
export function tofuCliConfig(mirrorDir: string): string {
  const ns = TOFU_OPENSTACK_PROVIDER.split("/").slice(0, 2).join("/");
  return [
    "# Written by `npm run tools` (scripts/tools.ts); see docs/tools.md.",
    "disable_checkpoint = true",
    "",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirrorDir)}`,
    `    include = [${JSON.stringify(`${ns}/*`)}]`,
    "  }",
    "  direct {",
    `    exclude = [${JSON.stringify(`${ns}/*`)}]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Environment for running `tofu` offline with the provider from the mirror:
 * `TF_CLI_CONFIG_FILE` (the CLI configuration above), `TF_IN_AUTOMATION=1`
 * (no "next step" hints), `TF_INPUT=0` (never prompt), `CHECKPOINT_DISABLE=1`
 * (no version check). Returns only these; merge them over `process.env`
 * (plus `OS_CLOUD`/`OS_CLIENT_CONFIG_FILE` for the provider) yourself.
 */
export function tofuEnv(
  env: NodeJS.ProcessEnv = process.env,
  root: string = repoRoot,
): Record<string, string> {
  return {
    TF_CLI_CONFIG_FILE: tofuCliConfigPath(root, env),
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };
}

// ---------------------------------------------------------------------------
// Packer: HashiCorp Packer and the two plugins the Slurm appliance's template
// uses (OpenStack builder, Ansible provisioner), for `npm run bench`, which
// runs the appliance's kind of Packer build beside this program. A set of its
// own, built only on request (`npm run tools -- --with packer`): the tests
// never need it.

/** Our Go modules under tools/go that Packer and its plugins are built from. */
export const PACKER_MODULES = [
  "packer",
  "packer-plugin-openstack",
  "packer-plugin-ansible",
] as const;
export type PackerModule = (typeof PACKER_MODULES)[number];

/** The upstream module each is built from (required by tools/go/<name>/go.mod). */
export const PACKER_UPSTREAM: Record<PackerModule, string> = {
  packer: "github.com/hashicorp/packer",
  "packer-plugin-openstack": "github.com/hashicorp/packer-plugin-openstack",
  "packer-plugin-ansible": "github.com/hashicorp/packer-plugin-ansible",
};

/** The plugins, by the name a template's `required_plugins` gives them, with their source address. */
export const PACKER_PLUGINS = {
  openstack: { module: "packer-plugin-openstack", source: "github.com/hashicorp/openstack" },
  ansible: { module: "packer-plugin-ansible", source: "github.com/hashicorp/ansible" },
} as const satisfies Record<string, { module: PackerModule; source: string }>;
export type PackerPlugin = keyof typeof PACKER_PLUGINS;

/** Versions of Packer and its plugins (without a leading v), from tools/go/<name>/go.mod. */
export type PackerToolVersions = Record<PackerModule, string>;

export function packerToolVersions(root: string = repoRoot): PackerToolVersions {
  const out = {} as PackerToolVersions;
  for (const m of PACKER_MODULES) out[m] = goModRequire(root, m, PACKER_UPSTREAM[m]);
  return out;
}

const packerKeys = new Map<string, string>();

/**
 * Name of the Packer set's cache directory: `packer-<version>-<hash>`, the
 * hash covering the three versions and the files of their tools/go modules
 * only (never the Pulumi set's or the consumer tools').
 */
export function packerToolsKey(root: string = repoRoot): string {
  const cached = packerKeys.get(root);
  if (cached) return cached;
  const versions = packerToolVersions(root);
  const hash = createHash("sha256").update(JSON.stringify(versions));
  for (const m of PACKER_MODULES) {
    for (const f of filesUnder(join(root, "tools", "go", m))) {
      hash.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
    }
  }
  const key = `packer-${versions.packer}-${hash.digest("hex").slice(0, 12)}`;
  packerKeys.set(root, key);
  return key;
}

/**
 * The Packer set's cache directory: `$SLURM_IMAGE_BUILDER_TOOLS_DIR/packer` if
 * that variable is set, else
 * `${XDG_CACHE_HOME:-~/.cache}/slurm-image-builder/tools/<packerToolsKey>`.
 * Layout: `bin/packer`, `plugins-built/` (the plugin binaries as built),
 * `plugins/` (`PACKER_PLUGIN_PATH`, the plugins installed for Packer), `logs/`.
 */
export function packerToolsRoot(
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.SLURM_IMAGE_BUILDER_TOOLS_DIR)
    return join(resolve(env.SLURM_IMAGE_BUILDER_TOOLS_DIR), "packer");
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "slurm-image-builder", "tools", packerToolsKey(root));
}

/** Where Packer finds its plugins (`PACKER_PLUGIN_PATH`). */
export function packerPluginDir(
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return join(packerToolsRoot(root, env), "plugins");
}

/**
 * The file name of an installed plugin, if `names` (the files of its
 * directory `<plugin dir>/<source>/`) hold one of `version`: Packer names it
 * `packer-plugin-<name>_v<version>_x<API version>_<os>_<arch>` (with a
 * `_SHA256SUM` file beside it, which is not the plugin).
 */
export function installedPackerPlugin(
  names: readonly string[],
  plugin: PackerPlugin,
  version: string,
): string | undefined {
  const prefix = `packer-plugin-${plugin}_v${version}_x`;
  return names.find((n) => n.startsWith(prefix) && !n.endsWith("_SHA256SUM"));
}

/** Absolute path of an installed plugin of the Packer set, if it is installed. */
export function packerPluginPath(
  plugin: PackerPlugin,
  root: string = repoRoot,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const dir = join(packerPluginDir(root, env), ...PACKER_PLUGINS[plugin].source.split("/"));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const file = installedPackerPlugin(
    names,
    plugin,
    packerToolVersions(root)[PACKER_PLUGINS[plugin].module],
  );
  return file === undefined ? undefined : join(dir, file);
}

/**
 * Environment for running `packer` offline: `PACKER_PLUGIN_PATH` (the plugins
 * installed by `npm run tools -- --with packer`; `packer init` is never
 * needed) and `CHECKPOINT_DISABLE=1` (no version check against HashiCorp's
 * service). Returns only these; merge them over `process.env` yourself.
 */
export function packerEnv(
  env: NodeJS.ProcessEnv = process.env,
  root: string = repoRoot,
): Record<string, string> {
  return { PACKER_PLUGIN_PATH: packerPluginDir(root, env), CHECKPOINT_DISABLE: "1" };
}
