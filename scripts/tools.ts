/**
 * `npm run tools`: makes the real Pulumi CLI, the Node.js language host, the
 * provider plugins (command, tls, openstack), ansible-core and the OpenStack
 * CLI available in a cache directory outside the clone (see tools/paths.ts for
 * where), building the Go programs from tools/go with `go build` and the
 * Python ones into a venv. Idempotent: what is there is not built again.
 * Beside that set, in a cache directory of their own, the consumer tools:
 * OpenTofu (`tofu`), the OpenStack provider for it (in a filesystem mirror,
 * with a CLI configuration that installs it from there) and actionlint.
 * Only on request (`--with packer`), in a third set: HashiCorp Packer with its
 * OpenStack and Ansible plugins installed for it, for `npm run bench`.
 *
 *   npm run tools                  build/install what is missing, print the PATH
 *   eval "$(npm run -s tools -- --env)"   same, then export PATH, PULUMI_HOME,
 *                                  TF_CLI_CONFIG_FILE, ...
 *   npm run tools -- --check       list each tool with version and path; exit 1
 *                                  naming what is missing (builds nothing)
 *   npm run tools -- --with packer [--check | --env]
 *                                  the same, Packer and its plugins included
 *   npm run tools -- --without consumers [--check | --env]
 *                                  the Pulumi set only (what `npm run demo` uses):
 *                                  no OpenTofu, its provider or actionlint
 *
 * Progress goes to stderr, the PATH / env lines to stdout. See docs/tools.md.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import {
  consumerToolsRoot,
  consumerToolVersions,
  installedPackerPlugin,
  packerEnv,
  packerPluginDir,
  packerToolsRoot,
  packerToolVersions,
  PACKER_PLUGINS,
  repoRoot,
  tofuCliConfig,
  tofuCliConfigPath,
  tofuEnv,
  tofuMirrorDir,
  tofuProviderPath,
  toolPath,
  toolsEnv,
  toolsRoot,
  toolVersions,
  type ConsumerToolVersions,
  type PackerPlugin,
  type PackerToolVersions,
  type ToolVersions,
} from "../tools/paths";

type Execa = typeof import("execa").execa;

const PLUGINS = ["command", "tls", "openstack"] as const;
type Plugin = (typeof PLUGINS)[number];

/** Entry points of the venv linked into bin/. */
const PYTHON_PROGRAMS = [
  "ansible",
  "ansible-config",
  "ansible-console",
  "ansible-doc",
  "ansible-galaxy",
  "ansible-inventory",
  "ansible-playbook",
  "ansible-pull",
  "ansible-vault",
  "openstack",
];

interface GoProgram {
  /** Output file name. */
  name: string;
  /** Name in progress messages and of the log file, if not `name`. */
  title?: string;
  /** Version reported in progress messages. */
  version: string;
  /** Our Go module under tools/go. */
  module: string;
  /** Package to build, from within that module. */
  pkg: string;
  /** -X settings (variable → value) so that the program reports its version. */
  versionVars: Record<string, string>;
  /**
   * Directory of the output, relative to the set's cache directory: bin/ (on
   * PATH), providers/ (installed as engine plugins), the OpenTofu mirror or
   * plugins-built/ (Packer plugins, installed from there).
   */
  dir: string;
  /** Environment of `go build`, over this process's. */
  env?: Record<string, string>;
}

function goPrograms(v: ToolVersions): GoProgram[] {
  return [
    {
      name: "pulumi",
      module: "pulumi",
      pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
      version: `v${v.pulumi}`,
      versionVars: { "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version": `v${v.pulumi}` },
      dir: "bin",
    },
    {
      name: "pulumi-language-nodejs",
      module: "language-nodejs",
      pkg: ".",
      version: v.pulumi,
      versionVars: { "main.version": v.pulumi },
      dir: "bin",
    },
    ...PLUGINS.map((p): GoProgram => ({
      name: `pulumi-resource-${p}`,
      module: p,
      pkg: ".",
      version: v.plugins[p],
      versionVars: { "main.version": v.plugins[p] },
      dir: "providers",
    })),
  ];
}

/** The consumer tools' Go programs; `dir` is relative to consumerToolsRoot(). */
function consumerPrograms(cv: ConsumerToolVersions): GoProgram[] {
  const cdir = consumerToolsRoot();
  const provider = tofuProviderPath();
  return [
    {
      name: "tofu",
      module: "tofu",
      pkg: "github.com/opentofu/opentofu/cmd/tofu",
      version: cv.tofu,
      // The version comes from the module's embedded VERSION file; dev=no drops "-dev".
      versionVars: { "github.com/opentofu/opentofu/version.dev": "no" },
      dir: "bin",
    },
    {
      name: "actionlint",
      module: "actionlint",
      pkg: "github.com/rhysd/actionlint/cmd/actionlint",
      version: cv.actionlint,
      versionVars: {
        "github.com/rhysd/actionlint.version": cv.actionlint,
      },
      dir: "bin",
    },
    {
      name: `terraform-provider-openstack_v${cv["terraform-provider-openstack"]}`,
      title: "terraform-provider-openstack",
      module: "terraform-provider-openstack",
      pkg: "github.com/terraform-provider-openstack/terraform-provider-openstack/v3",
      version: cv["terraform-provider-openstack"],
      versionVars: {
        "github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack.version":
          cv["terraform-provider-openstack"],
      },
      dir: dirname(provider).slice(cdir.length + 1),
    },
  ];
}

/** Packer and its plugins; `dir` is relative to packerToolsRoot(). */
function packerPrograms(pv: PackerToolVersions): GoProgram[] {
  const plugin = (p: PackerPlugin): GoProgram => {
    const module = PACKER_PLUGINS[p].module;
    const up = `github.com/hashicorp/${module}`;
    return {
      name: module,
      module,
      pkg: up,
      version: pv[module],
      // As the plugins' release builds (goreleaser): the version, no pre-release.
      versionVars: {
        [`${up}/version.Version`]: pv[module],
        [`${up}/version.VersionPrerelease`]: "",
      },
      dir: "plugins-built",
    };
  };
  const ansible = plugin("ansible");
  // The checksum database has no entry for this module; go.sum pins it.
  const nosum = [process.env.GONOSUMDB, "github.com/hashicorp/packer-plugin-ansible"];
  ansible.env = { GONOSUMDB: nosum.filter((v) => v).join(",") };
  return [
    {
      name: "packer",
      module: "packer",
      pkg: "github.com/hashicorp/packer",
      version: pv.packer,
      // Packer's version is its module's embedded VERSION file (no pre-release).
      versionVars: {},
      dir: "bin",
    },
    plugin("openstack"),
    ansible,
  ];
}

const log = (msg: string): void => {
  process.stderr.write(`tools: ${msg}\n`);
};

function elapsed(start: number): string {
  const s = Math.round((Date.now() - start) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Runs a long step with its output in a log file and a heartbeat on stderr. */
async function longStep(
  execa: Execa,
  what: string,
  logFile: string,
  file: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<void> {
  const start = Date.now();
  log(`${what} ... (log: ${logFile})`);
  const timer = setInterval(() => log(`  ... still ${what} (${elapsed(start)})`), 30_000);
  const out = createWriteStream(logFile);
  try {
    const child = execa(file, args, { ...opts, stdin: "ignore", all: true, reject: false });
    child.all?.pipe(out);
    const result = await child;
    if (result.exitCode !== 0) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
      throw new Error(
        `${what} failed (exit ${result.exitCode}) after ${elapsed(start)}; end of ${logFile}:\n${tail}`,
      );
    }
  } finally {
    clearInterval(timer);
    out.end();
  }
  log(`  done (${elapsed(start)})`);
}

function pluginPath(pulumiHome: string, name: Plugin, version: string): string {
  return join(pulumiHome, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/**
 * Where the Pulumi set's Go programs are kept by their own inputs (see
 * docs/tools.md): beside the sets, or in $SLURM_IMAGE_BUILDER_TOOLS_DIR.
 */
function goBuildsRoot(): string {
  const dir = process.env.SLURM_IMAGE_BUILDER_TOOLS_DIR;
  return dir ? join(resolve(dir), "go-builds") : join(dirname(toolsRoot()), "go-builds");
}

/**
 * Name of one program's build in goBuildsRoot(): a hash of what it is built
 * from (its module directory, package, -X settings and the Go version), so
 * that a change to one module under tools/go builds that program only.
 */
function goBuildKey(prog: GoProgram, goVersion: string): string {
  const hash = createHash("sha256").update(
    JSON.stringify({ pkg: prog.pkg, versionVars: prog.versionVars, goVersion }),
  );
  const moduleDir = join(repoRoot, "tools", "go", prog.module);
  for (const f of filesUnder(moduleDir)) {
    hash.update(relative(moduleDir, f)).update("\0").update(readFileSync(f)).update("\0");
  }
  return `${prog.title ?? prog.name}-${prog.version}-${hash.digest("hex").slice(0, 12)}`;
}

/** Puts `from` at `to`: a hard link where possible, else a copy. */
function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Builds a Go program into `dir`. With `shared`, the build goes through
 * goBuildsRoot() and is reused from there by any set that needs the same
 * build.
 */
async function buildGo(execa: Execa, dir: string, prog: GoProgram, shared = false): Promise<void> {
  const out = join(dir, prog.dir, prog.name);
  if (existsSync(out)) return;
  mkdirSync(dirname(out), { recursive: true });
  let target = out;
  if (shared) {
    const goVersion = (await execa("go", ["env", "GOVERSION"], { stdin: "ignore" })).stdout.trim();
    target = join(goBuildsRoot(), goBuildKey(prog, goVersion), prog.name);
    if (existsSync(target)) {
      log(`${prog.title ?? prog.name} ${prog.version}: unchanged, from ${dirname(target)}`);
      linkOrCopy(target, `${out}.tmp`);
      renameSync(`${out}.tmp`, out);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
  }
  const tmp = `${target}.tmp`;
  const ldflags = [
    "-s",
    "-w",
    ...Object.entries(prog.versionVars).map(([k, val]) => `-X ${k}=${val}`),
  ].join(" ");
  await longStep(
    execa,
    `building ${prog.title ?? prog.name} ${prog.version} (go build: minutes, up to ~8 on 2 cores)`,
    join(dir, "logs", `${prog.title ?? prog.name}.log`),
    "go",
    ["build", "-trimpath", "-ldflags", ldflags, "-o", tmp, prog.pkg],
    { cwd: join(repoRoot, "tools", "go", prog.module), env: prog.env },
  );
  renameSync(tmp, target);
  if (target !== out) {
    linkOrCopy(target, `${out}.tmp`);
    renameSync(`${out}.tmp`, out);
  }
}

async function installPlugin(
  execa: Execa,
  dir: string,
  env: Record<string, string>,
  name: Plugin,
  version: string,
) {
  if (existsSync(pluginPath(env.PULUMI_HOME, name, version))) return;
  log(`installing plugin ${name} ${version} into ${env.PULUMI_HOME}`);
  await execa(
    join(dir, "bin", "pulumi"),
    [
      "plugin",
      "install",
      "resource",
      name,
      version,
      "--file",
      join(dir, "providers", `pulumi-resource-${name}`),
    ],
    { env, stdin: "ignore" },
  );
}

async function installPython(execa: Execa, dir: string, v: ToolVersions): Promise<void> {
  const venv = join(dir, "venv");
  const stamp = join(venv, ".complete");
  if (!existsSync(stamp)) {
    rmSync(venv, { recursive: true, force: true });
    const python = process.env.PYTHON || "python3";
    await longStep(execa, "creating the Python venv", join(dir, "logs", "venv.log"), python, [
      "-m",
      "venv",
      venv,
    ]);
    const pins = Object.entries(v.python).map(([pkg, ver]) => `${pkg}==${ver}`);
    await longStep(
      execa,
      `installing ${pins.join(" ")} with pip (a minute or two)`,
      join(dir, "logs", "pip.log"),
      join(venv, "bin", "pip"),
      ["install", "--disable-pip-version-check", "--no-input", ...pins],
    );
    writeFileSync(stamp, `${pins.join("\n")}\n`);
  }
  for (const prog of PYTHON_PROGRAMS) {
    const link = join(dir, "bin", prog);
    if (!existsSync(link)) {
      rmSync(link, { force: true });
      symlinkSync(join(venv, "bin", prog), link);
    }
  }
}

async function requireGo(execa: Execa, what: string): Promise<void> {
  try {
    await execa("go", ["version"], { stdin: "ignore" });
  } catch {
    throw new Error(`\`go\` is not on PATH: ${what} built with the Go toolchain (1.26.6 or newer)`);
  }
}

/** Builds the consumer tools into their own cache directory and writes the OpenTofu CLI config. */
async function ensureConsumers(execa: Execa): Promise<void> {
  const dir = consumerToolsRoot();
  for (const sub of ["bin", "logs"]) mkdirSync(join(dir, sub), { recursive: true });
  log(`cache ${dir} (OpenTofu, its OpenStack provider, actionlint)`);
  const programs = consumerPrograms(consumerToolVersions());
  if (programs.some((p) => !existsSync(join(dir, p.dir, p.name))))
    await requireGo(execa, "tofu, terraform-provider-openstack and actionlint are");
  for (const prog of programs) await buildGo(execa, dir, prog);
  const rc = tofuCliConfigPath();
  const text = tofuCliConfig(tofuMirrorDir());
  if (!existsSync(rc) || readFileSync(rc, "utf8") !== text) {
    writeFileSync(`${rc}.tmp`, text);
    renameSync(`${rc}.tmp`, rc);
    log(`wrote the OpenTofu CLI configuration ${rc}`);
  }
}

/**
 * Builds Packer and its plugins into their own cache directory and installs
 * the plugins for it offline (`packer plugins install --path`).
 */
async function ensurePacker(execa: Execa): Promise<void> {
  const dir = packerToolsRoot();
  for (const sub of ["bin", "plugins-built", "plugins", "logs"])
    mkdirSync(join(dir, sub), { recursive: true });
  log(`cache ${dir} (Packer and its OpenStack and Ansible plugins, for npm run bench)`);
  const programs = packerPrograms(packerToolVersions());
  if (programs.some((p) => !existsSync(join(dir, p.dir, p.name))))
    await requireGo(execa, "packer and its plugins are");
  for (const prog of programs) await buildGo(execa, dir, prog);
  const env = { ...(process.env as Record<string, string>), ...packerEnv() };
  for (const [p, { module, source }] of Object.entries(PACKER_PLUGINS)) {
    const sourceDir = join(packerPluginDir(), ...source.split("/"));
    const names = existsSync(sourceDir) ? readdirSync(sourceDir) : [];
    if (installedPackerPlugin(names, p as PackerPlugin, packerToolVersions()[module])) continue;
    log(
      `installing the Packer plugin ${source} ${packerToolVersions()[module]} into ${packerPluginDir()}`,
    );
    await execa(
      join(dir, "bin", "packer"),
      ["plugins", "install", "--path", join(dir, "plugins-built", module), source],
      { env, stdin: "ignore" },
    );
  }
}

async function ensure(execa: Execa, sets: ToolSets): Promise<void> {
  const v = toolVersions();
  const dir = toolsRoot();
  const env = toolsEnv();
  for (const sub of ["bin", "providers", "logs", "pulumi-home"])
    mkdirSync(join(dir, sub), { recursive: true });
  const start = Date.now();
  log(`cache ${dir}`);
  const programs = goPrograms(v);
  if (programs.some((p) => !existsSync(join(dir, p.dir, p.name))))
    await requireGo(execa, "the Pulumi programs are");
  for (const prog of programs) await buildGo(execa, dir, prog, true);
  for (const p of PLUGINS)
    await installPlugin(
      execa,
      dir,
      { ...(process.env as Record<string, string>), ...env },
      p,
      v.plugins[p],
    );
  await installPython(execa, dir, v);
  if (sets.consumers) await ensureConsumers(execa);
  if (sets.packer) await ensurePacker(execa);
  log(`all tools present (${elapsed(start)})`);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface CheckRow {
  tool: string;
  want: string;
  got?: string;
  path: string;
}

/** Lists every tool with its version and path; returns the missing or wrong ones. */
async function check(execa: Execa, sets: ToolSets): Promise<CheckRow[]> {
  const v = toolVersions();
  const dir = toolsRoot();
  const env = { ...(process.env as Record<string, string>), ...toolsEnv(), ...tofuEnv() };
  const bin = (name: string) => join(dir, "bin", name);
  const probe = async (
    file: string,
    args: string[],
    parse: (out: string) => string | undefined,
  ) => {
    if (!existsSync(file)) return undefined;
    const r = await execa(file, args, { env, reject: false, stdin: "ignore", timeout: 60_000 });
    return r.exitCode === 0 ? parse(String(r.stdout)) : undefined;
  };
  const cv = consumerToolVersions();
  const providerBin = tofuProviderPath();
  const [pulumi, langhost, plugins, ansible, openstack, tofu, actionlint] = await Promise.all([
    probe(bin("pulumi"), ["version"], (o) => o.trim().replace(/^v/, "")),
    probe(bin("pulumi-language-nodejs"), ["-version"], (o) => o.trim()),
    probe(bin("pulumi"), ["plugin", "ls", "--json"], (o) => o),
    probe(bin("ansible"), ["--version"], (o) => /core ([0-9.]+)/.exec(o)?.[1]),
    probe(bin("openstack"), ["--version"], (o) => /([0-9][0-9.]*)/.exec(o)?.[1]),
    probe(toolPath("tofu"), ["version", "-json"], (o) => {
      const j = JSON.parse(o) as { terraform_version?: string };
      return j.terraform_version;
    }),
    probe(toolPath("actionlint"), ["-version"], (o) => o.split("\n")[0].trim()),
  ]);
  // The provider is a plugin (it cannot report its version when run): its
  // version is that of the mirror directory it sits in, and it counts only
  // when the CLI configuration points OpenTofu at that mirror.
  const rc = tofuCliConfigPath();
  const providerOk =
    existsSync(providerBin) &&
    existsSync(rc) &&
    readFileSync(rc, "utf8") === tofuCliConfig(tofuMirrorDir());
  const installed: { name: string; kind: string; version: string }[] = plugins
    ? JSON.parse(plugins)
    : [];
  const rows: CheckRow[] = [
    { tool: "pulumi", want: v.pulumi, got: pulumi, path: bin("pulumi") },
    {
      tool: "pulumi-language-nodejs",
      want: v.pulumi,
      got: langhost,
      path: bin("pulumi-language-nodejs"),
    },
    ...PLUGINS.map((p) => ({
      tool: `pulumi-resource-${p}`,
      want: v.plugins[p],
      got: installed.find(
        (i) => i.kind === "resource" && i.name === p && i.version === v.plugins[p],
      )?.version,
      path: pluginPath(env.PULUMI_HOME, p, v.plugins[p]),
    })),
    {
      tool: "ansible-core",
      want: v.python["ansible-core"],
      got: ansible,
      path: bin("ansible-playbook"),
    },
    {
      tool: "openstack",
      want: v.python["python-openstackclient"],
      got: openstack,
      path: bin("openstack"),
    },
    ...(sets.consumers
      ? [
          { tool: "tofu", want: cv.tofu, got: tofu, path: toolPath("tofu") },
          {
            tool: "terraform-provider-openstack",
            want: cv["terraform-provider-openstack"],
            got: providerOk ? cv["terraform-provider-openstack"] : undefined,
            path: providerBin,
          },
          {
            tool: "actionlint",
            want: cv.actionlint,
            got: actionlint,
            path: toolPath("actionlint"),
          },
        ]
      : []),
    ...(sets.packer ? await packerRows(execa, env, probe) : []),
  ];
  const width = Math.max(...rows.map((r) => r.tool.length));
  for (const r of rows) {
    const status =
      r.got === undefined ? "MISSING" : r.got === r.want ? r.got : `${r.got} (want ${r.want})`;
    process.stdout.write(`${r.tool.padEnd(width)}  ${status.padEnd(10)}  ${r.path}\n`);
  }
  return rows.filter((r) => r.got !== r.want);
}

type Probe = (
  file: string,
  args: string[],
  parse: (out: string) => string | undefined,
) => Promise<string | undefined>;

/** --check rows of the Packer set: packer (from `packer version`), each plugin as installed for it. */
async function packerRows(
  execa: Execa,
  env: Record<string, string>,
  probe: Probe,
): Promise<CheckRow[]> {
  const pv = packerToolVersions();
  const packer = toolPath("packer");
  const penv = { ...env, ...packerEnv() };
  const got = existsSync(packer)
    ? await execa(packer, ["version"], { env: penv, reject: false, stdin: "ignore" })
    : undefined;
  const rows: CheckRow[] = [
    {
      tool: "packer",
      want: pv.packer,
      got: got?.exitCode === 0 ? /Packer v(\S+)/.exec(String(got.stdout))?.[1] : undefined,
      path: packer,
    },
  ];
  for (const [p, { module, source }] of Object.entries(PACKER_PLUGINS)) {
    // Installed under the plugin directory, and reporting its version when asked (`describe`).
    const sourceDir = join(packerPluginDir(), ...source.split("/"));
    const names = existsSync(sourceDir) ? readdirSync(sourceDir) : [];
    const file = installedPackerPlugin(names, p as PackerPlugin, pv[module]);
    const path = file ? join(sourceDir, file) : sourceDir;
    rows.push({
      tool: module,
      want: pv[module],
      got: file
        ? await probe(path, ["describe"], (o) => (JSON.parse(o) as { version?: string }).version)
        : undefined,
      path,
    });
  }
  return rows;
}

const USAGE = "usage: npm run tools [-- [--with packer] [--without consumers] [--check | --env]]";

/** Which sets besides the Pulumi set: the consumers (tofu, actionlint; default), Packer (on request). */
interface ToolSets {
  consumers: boolean;
  packer: boolean;
}

/** The command line: `--check`, `--env`, `--with packer`, `--without consumers` (also with `=`). */
function parseArgs(args: string[]): { check: boolean; env: boolean; sets: ToolSets } {
  const out = { check: false, env: false, sets: { consumers: true, packer: false } };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--check") out.check = true;
    else if (a === "--env") out.env = true;
    else if ((a === "--with" && args[i + 1] === "packer") || a === "--with=packer") {
      out.sets.packer = true;
      if (a === "--with") i++;
    } else if ((a === "--without" && args[i + 1] === "consumers") || a === "--without=consumers") {
      out.sets.consumers = false;
      if (a === "--without") i++;
    } else {
      log(`unknown argument ${args.slice(i).join(" ")}; ${USAGE}`);
      process.exit(2);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { execa } = await import("execa");
  if (args.check) {
    const bad = await check(execa, args.sets);
    if (bad.length > 0) {
      const flags = [
        ...(args.sets.packer ? ["--with packer"] : []),
        ...(args.sets.consumers ? [] : ["--without consumers"]),
      ];
      const how = flags.length ? `npm run tools -- ${flags.join(" ")}` : "npm run tools";
      log(`missing: ${bad.map((r) => `${r.tool} ${r.want}`).join(", ")} (run \`${how}\`)`);
      process.exit(1);
    }
    return;
  }
  await ensure(execa, args.sets);
  const env = toolsEnv();
  const bin = join(toolsRoot(), "bin");
  const cbin = join(consumerToolsRoot(), "bin");
  const pbin = join(packerToolsRoot(), "bin");
  const path = [
    bin,
    ...(args.sets.consumers ? [cbin] : []),
    ...(args.sets.packer ? [pbin] : []),
  ].join(":");
  if (args.env) {
    // PATH is left for the shell to expand, so that eval adds only the bin/ directories.
    process.stdout.write(`export PATH=${shellQuote(path)}":$PATH"\n`);
    const more = args.sets.packer ? packerEnv() : {};
    const consumers = args.sets.consumers ? tofuEnv() : {};
    for (const [k, val] of Object.entries({ ...env, ...consumers, ...more })) {
      if (k !== "PATH") process.stdout.write(`export ${k}=${shellQuote(val)}\n`);
    }
    return;
  }
  process.stdout.write(
    [
      `Tools are in ${toolsRoot()}; tofu, its OpenStack provider and actionlint in ${consumerToolsRoot()}.`,
      `Use them in this shell with: eval "$(npm run -s tools -- ${args.sets.packer ? "--with packer " : ""}--env)"`,
      `(that sets PATH, PULUMI_HOME=${env.PULUMI_HOME}, PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION,`,
      ` TF_CLI_CONFIG_FILE=${tofuCliConfigPath()}, TF_IN_AUTOMATION, TF_INPUT and CHECKPOINT_DISABLE)`,
      ...(args.sets.packer
        ? [
            `Packer and its plugins are in ${packerToolsRoot()} (with --env: PACKER_PLUGIN_PATH=${packerPluginDir()}).`,
          ]
        : []),
      `PATH=${path}:$PATH`,
      "",
    ].join("\n"),
  );
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
