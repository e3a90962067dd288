import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { z } from "zod";
import { environmentInventories } from "../ansible/ansibleCfg";
import { reservedMetadataKeys } from "../imageProperties";
import { planBuildOrder } from "../plan";
import { ConfigError, valueAt, type ConfigProblem } from "./errors";
import { DEFAULTS, stackConfigSchema, type RawBuild, type RawStackConfig } from "./schema";
import { isSecretPath, misplacedSecrets, secretNamesIn, type ConfigPath } from "./secrets";
import type { BuildSource, BuildSpec, StackSettings } from "./types";

/** Keys whose values must never be echoed in an error message. */
const SECRET_KEYS = new Set(["vaultPassword"]);

/**
 * Pulumi's config as the SDK hands it over (`pulumi.runtime.allConfig()`):
 * `"<namespace>:<key>" → string`, objects and lists JSON-encoded. Returns the
 * keys of `namespace` with their values decoded.
 */
export function decodeConfig(
  all: Record<string, string>,
  namespace: string,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const prefix = `${namespace}:`;
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    let value: unknown = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        value = JSON.parse(text);
      } catch {
        // Not JSON after all: keep the text; the schema will say what is wrong.
      }
    }
    values[key] = value;
  }
  return values;
}

export interface ResolveContext {
  /** Environment variables (APPLIANCES_REPO_ROOT / APPLIANCES_ENVIRONMENT_ROOT). */
  env: Record<string, string | undefined>;
  /** Relative paths in config resolve against this directory (the Pulumi project). */
  cwd: string;
  namespace: string;
  /** Config paths set with `--secret` (lib/config/secrets.ts); vaultPassword always is. */
  secretPaths?: ConfigPath[];
}

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map((segment) => String(segment)).join(".");
}

function zodProblems(
  error: z.ZodError,
  input: unknown,
  secretPaths: ConfigPath[] = [],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const unknownKey of issue.keys) {
        const keyPath = [...issue.path, unknownKey];
        problems.push({
          key: keyPath.map(String).join("."),
          value: valueAt(input, keyPath),
          message: "unknown setting (misspelt? see the README's configuration reference)",
        });
      }
      continue;
    }
    const key = issuePath(issue);
    const secret =
      SECRET_KEYS.has(String(issue.path[issue.path.length - 1])) ||
      isSecretPath(secretPaths, issue.path as ConfigPath);
    problems.push({
      key: key || "(root)",
      value: secret ? "[secret]" : valueAt(input, issue.path),
      message: issue.message,
    });
  }
  return problems;
}

/** Parses and checks the whole stack config; throws one ConfigError listing every problem. */
export function resolveStackConfig(
  values: Record<string, unknown>,
  ctx: ResolveContext,
): StackSettings {
  const parsed = stackConfigSchema.safeParse(values);
  const secretPaths = ctx.secretPaths ?? [];
  const problems: ConfigProblem[] = parsed.success
    ? []
    : zodProblems(parsed.error, values, secretPaths);
  problems.push(...misplacedSecrets(secretPaths));

  // Cross-field checks run on the raw input too, so one run reports everything.
  problems.push(...graphProblems(values));
  const appliance = applianceProblemsAndPaths(values, ctx);
  problems.push(...appliance.problems);

  if (!parsed.success || problems.length) throw new ConfigError(dedupe(problems), ctx.namespace);
  const config = parsed.data;

  const order = planBuildOrder(sourceBuilds(config.builds)).order;
  const builds: BuildSpec[] = [];
  for (const key of order) {
    const { spec, problems: buildProblems } = resolveBuild(key, config, ctx);
    problems.push(...buildProblems);
    if (spec) builds.push(spec);
  }
  problems.push(...imageNameClashes(builds));

  const defaultBuild =
    config.defaultBuild ?? order.find((key) => !config.builds[key].sourceBuild) ?? order[0];
  if (config.defaultBuild !== undefined && !(config.defaultBuild in config.builds)) {
    problems.push({
      key: "defaultBuild",
      value: config.defaultBuild,
      message: `unknown build; expected one of: ${Object.keys(config.builds).join(", ")}`,
    });
  }
  if (problems.length) throw new ConfigError(dedupe(problems), ctx.namespace);

  return {
    appliance: {
      repoRoot: appliance.repoRoot!,
      environmentRoot: appliance.environmentRoot!,
      ...fingerprintSettings(config, appliance.repoRoot!, appliance.environmentRoot!, ctx.cwd),
    },
    builds,
    defaultBuild,
    manifestOutputPath: resolvePathSetting(config.manifestOutputPath, ctx),
    buildState: {
      backendUrl: config.buildStateBackend,
      secretsProvider: config.buildStateSecretsProvider,
    },
    vaultPassword: config.vaultPassword,
    addPreviousOutputInEnv: config.addPreviousOutputInEnv ?? true,
    secretExtraVars: moveSecretExtraVars(builds, config, secretPaths),
    ownSettings: Object.fromEntries(order.map((key) => [key, Object.keys(config.builds[key])])),
  };
}

/**
 * Takes the secret extraVars entries out of each build's (plain) spec and
 * returns them per build key. A build's own entry decides over the top-level
 * one of the same name, as it does for the value.
 */
function moveSecretExtraVars(
  builds: BuildSpec[],
  config: RawStackConfig,
  secretPaths: ConfigPath[],
): Record<string, Record<string, unknown>> {
  const top = secretNamesIn(secretPaths, ["extraVars"], config.extraVars ?? {});
  const moved: Record<string, Record<string, unknown>> = {};
  for (const spec of builds) {
    const ownVars = config.builds[spec.key]?.extraVars ?? {};
    const own = secretNamesIn(secretPaths, ["builds", spec.key, "extraVars"], ownVars);
    const secret: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(spec.ansible.extraVars)) {
      if (name in ownVars ? own.has(name) : top.has(name)) secret[name] = value;
    }
    if (Object.keys(secret).length === 0) continue;
    moved[spec.key] = secret;
    spec.ansible.extraVars = Object.fromEntries(
      Object.entries(spec.ansible.extraVars).filter(([name]) => !(name in secret)),
    );
    spec.ansible.secretExtraVarNames = Object.keys(secret).sort();
  }
  return moved;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.key}\u0000${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function sourceBuilds(builds: Record<string, RawBuild>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(builds).map(([k, b]) => [k, b.sourceBuild]));
}

function graphProblems(values: Record<string, unknown>): ConfigProblem[] {
  const builds = values.builds;
  if (builds === undefined) {
    return [
      {
        key: "builds",
        value: undefined,
        message: "required: a map of build key → build settings (at least one build)",
      },
    ];
  }
  if (builds === null || typeof builds !== "object" || Array.isArray(builds)) return [];
  const entries = Object.entries(builds as Record<string, unknown>);
  if (entries.length === 0) {
    return [{ key: "builds", value: builds, message: "at least one build is required" }];
  }
  const problems: ConfigProblem[] = [];
  const sources: Record<string, string | undefined> = {};
  for (const [key, build] of entries) {
    const b = (build ?? {}) as Record<string, unknown>;
    const given = ["sourceImageName", "sourceImage", "sourceBuild"].filter(
      (k) => b[k] !== undefined,
    );
    if (given.length !== 1) {
      problems.push({
        key: `builds.${key}`,
        value: Object.fromEntries(given.map((k) => [k, b[k]])),
        message:
          given.length === 0
            ? "no source: set exactly one of sourceImageName (cloud image name), sourceImage (cloud image id) or sourceBuild (another build of this stack)"
            : `${given.join(" and ")} are all set: set exactly one of sourceImageName, sourceImage or sourceBuild`,
      });
    }
    sources[key] = typeof b.sourceBuild === "string" ? b.sourceBuild : undefined;
  }
  problems.push(...planBuildOrder(sources).problems);
  return problems;
}

/**
 * A path setting as a full path: relative to the Pulumi project directory;
 * `~` and `~/...` are the home directory, as Packer (and a shell) read them.
 */
function resolvePathSetting(
  value: unknown,
  ctx: Pick<ResolveContext, "cwd" | "env">,
): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const home = ctx.env.HOME || os.homedir();
  const expanded =
    value === "~" ? home : value.startsWith("~/") ? path.join(home, value.slice(2)) : value;
  return path.resolve(ctx.cwd, expanded);
}

function applianceProblemsAndPaths(
  values: Record<string, unknown>,
  ctx: ResolveContext,
): { problems: ConfigProblem[]; repoRoot?: string; environmentRoot?: string } {
  const problems: ConfigProblem[] = [];
  const repoRoot = resolvePathSetting(values.repoRoot ?? ctx.env.APPLIANCES_REPO_ROOT, ctx);
  const environmentRoot = resolvePathSetting(
    values.environmentRoot ?? ctx.env.APPLIANCES_ENVIRONMENT_ROOT,
    ctx,
  );
  const fromEnv = (key: string, envName: string) =>
    values[key] === undefined ? ` (from ${envName})` : "";

  if (!repoRoot) {
    problems.push({
      key: "repoRoot",
      value: undefined,
      message:
        "required: the appliance checkout; set it, or source the environment's activate script (APPLIANCES_REPO_ROOT)",
    });
  } else if (!isDirectory(repoRoot)) {
    problems.push({
      key: "repoRoot",
      value: repoRoot,
      message: `not a directory${fromEnv("repoRoot", "APPLIANCES_REPO_ROOT")}`,
    });
  } else if (!fs.existsSync(path.join(repoRoot, "ansible", "fatimage.yml"))) {
    problems.push({
      key: "repoRoot",
      value: repoRoot,
      message: `has no ansible/fatimage.yml: not a Slurm appliance checkout${fromEnv("repoRoot", "APPLIANCES_REPO_ROOT")}`,
    });
  }
  if (!environmentRoot) {
    problems.push({
      key: "environmentRoot",
      value: undefined,
      message:
        "required: the appliance environment to build with; set it, or source its activate script (APPLIANCES_ENVIRONMENT_ROOT)",
    });
  } else if (!isDirectory(environmentRoot)) {
    problems.push({
      key: "environmentRoot",
      value: environmentRoot,
      message: `not a directory${fromEnv("environmentRoot", "APPLIANCES_ENVIRONMENT_ROOT")}`,
    });
  }
  const fileKeys = [
    "sshPrivateKeyFile",
    "sshBastionPrivateKeyFile",
    "vaultPasswordFile",
    "extraVarsFile",
  ];
  const checkFiles = (settings: Record<string, unknown>, prefix: string) => {
    for (const key of fileKeys) {
      const file = resolvePathSetting(settings[key], ctx);
      if (file && !fs.existsSync(file)) {
        problems.push({
          key: `${prefix}${key}`,
          value: settings[key],
          message: "file does not exist",
        });
      }
    }
  };
  checkFiles(values, "");
  if (values.builds && typeof values.builds === "object") {
    for (const [key, build] of Object.entries(values.builds as Record<string, unknown>)) {
      if (build && typeof build === "object")
        checkFiles(build as Record<string, unknown>, `builds.${key}.`);
    }
  }
  return { problems, repoRoot, environmentRoot };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

type Settings = Omit<RawStackConfig, "builds">;

function resolveBuild(
  key: string,
  config: RawStackConfig,
  ctx: ResolveContext,
): { spec?: BuildSpec; problems: ConfigProblem[] } {
  const own = config.builds[key];
  const top: Settings = config;
  const problems: ConfigProblem[] = [];
  // The key path a problem is reported at: the build's own when set there.
  const where = (setting: keyof RawBuild) =>
    own[setting] !== undefined ? `builds.${key}.${setting}` : String(setting);
  const pick = <K extends keyof RawBuild & keyof Settings>(setting: K): RawBuild[K] =>
    own[setting] !== undefined ? own[setting] : (top[setting] as RawBuild[K]);

  const flavor = pick("flavor");
  if (!flavor) {
    problems.push({
      key: `builds.${key}.flavor`,
      value: undefined,
      message:
        "required: the builder VM flavor (set `flavor` for all builds or per build; it needs ~8 GB RAM)",
    });
  }
  const networks = pick("networks");
  if (!networks || networks.length === 0) {
    problems.push({
      key: `builds.${key}.networks`,
      value: networks,
      message:
        "required: a list of network names or ids for the builder VM (set `networks` for all builds or per build)",
    });
  }

  const keypairName = pick("sshKeypairName");
  const privateKeyFile = pick("sshPrivateKeyFile");
  if ((keypairName === undefined) !== (privateKeyFile === undefined)) {
    problems.push({
      key: keypairName === undefined ? where("sshPrivateKeyFile") : where("sshKeypairName"),
      value: keypairName ?? privateKeyFile,
      message:
        "sshKeypairName and sshPrivateKeyFile go together: set both to use an existing keypair, or neither for a temporary one",
    });
  }

  const bastionHost = pick("sshBastionHost");
  const bastionUser = pick("sshBastionUsername");
  const bastionKey = pick("sshBastionPrivateKeyFile");
  const bastionSet = [bastionHost, bastionUser, bastionKey].filter((v) => v !== undefined).length;
  if (bastionSet > 0 && bastionSet < 3) {
    const missing = [
      bastionHost === undefined ? "sshBastionHost" : undefined,
      bastionUser === undefined ? "sshBastionUsername" : undefined,
      bastionKey === undefined ? "sshBastionPrivateKeyFile" : undefined,
    ].filter(Boolean);
    problems.push({
      key:
        bastionHost !== undefined
          ? where("sshBastionHost")
          : bastionUser !== undefined
            ? where("sshBastionUsername")
            : where("sshBastionPrivateKeyFile"),
      value: {
        sshBastionHost: bastionHost,
        sshBastionUsername: bastionUser,
        sshBastionPrivateKeyFile: bastionKey,
      },
      message: `bastion settings incomplete: also set ${missing.join(" and ")}`,
    });
  }

  const fipNetwork = pick("floatingIpNetwork");
  const fipAddress = pick("floatingIp");
  if (fipNetwork !== undefined && fipAddress !== undefined) {
    problems.push({
      key: where("floatingIp"),
      value: { floatingIpNetwork: fipNetwork, floatingIp: fipAddress },
      message:
        "floatingIpNetwork and floatingIp are both set: allocate from a network, or attach an existing address, not both",
    });
  }

  const reserved = reservedMetadataKeys({ ...(top.metadata ?? {}), ...(own.metadata ?? {}) });
  if (reserved.length) {
    problems.push({
      key:
        own.metadata && reserved.some((k) => k in own.metadata!)
          ? `builds.${key}.metadata`
          : "metadata",
      value: reserved,
      message: `these keys are set by Glance or by the build itself and can't be given: ${reserved.join(", ")}`,
    });
  }

  if (pick("useBlockstorageVolume") === false) {
    problems.push({
      key: where("useBlockstorageVolume"),
      value: false,
      message:
        "only volume-backed builds are supported (the volume sets the image size and becomes the image); remove this setting",
    });
  }

  if (problems.length) return { problems };

  let source: BuildSource;
  if (own.sourceBuild !== undefined) source = { kind: "build", key: own.sourceBuild };
  else if (own.sourceImage !== undefined) source = { kind: "imageId", id: own.sourceImage };
  else source = { kind: "imageName", name: own.sourceImageName! };

  const repoRootDir = resolvePathSetting(config.repoRoot ?? ctx.env.APPLIANCES_REPO_ROOT, ctx)!;
  const defaultExtraVarsFile = path.join(repoRootDir, "packer", "openhpc_extravars.yml");
  const extraVarsFile =
    resolvePathSetting(pick("extraVarsFile"), ctx) ??
    (fs.existsSync(defaultExtraVarsFile) ? defaultExtraVarsFile : undefined);

  const groups = [
    ...new Set((pick("inventoryGroups") ?? DEFAULTS.inventoryGroups).map((g) => g.trim())),
  ].filter((g) => g !== "builder");

  const spec: BuildSpec = {
    key,
    source,
    inventoryGroups: groups,
    flavor: flavor!,
    networks: networks!,
    securityGroups: pick("securityGroups") ?? DEFAULTS.securityGroups,
    availabilityZone: pick("availabilityZone"),
    sshUsername: pick("sshUsername") ?? DEFAULTS.sshUsername,
    existingKeypair:
      keypairName && privateKeyFile
        ? { name: keypairName, privateKeyFile: resolvePathSetting(privateKeyFile, ctx)! }
        : undefined,
    bastion:
      bastionHost && bastionUser && bastionKey
        ? {
            host: bastionHost,
            port: pick("sshBastionPort") ?? DEFAULTS.sshBastionPort,
            username: bastionUser,
            privateKeyFile: resolvePathSetting(bastionKey, ctx)!,
          }
        : undefined,
    sshDebugPublicKey: pick("sshDebugPublicKey"),
    sshTimeoutMinutes: pick("sshTimeoutMinutes") ?? DEFAULTS.sshTimeoutMinutes,
    floatingIp: fipNetwork
      ? { network: fipNetwork }
      : fipAddress
        ? { address: fipAddress }
        : undefined,
    volume: {
      size: pick("volumeSize") ?? DEFAULTS.volumeSize,
      type: pick("volumeType"),
      name: pick("volumeName"),
    },
    image: {
      namePrefix: pick("imageName") ?? `openhpc-${key}`,
      nameVersion: pick("imageNameVersion") ?? DEFAULTS.imageNameVersion,
      diskFormat: pick("imageDiskFormat") ?? DEFAULTS.imageDiskFormat,
      visibility: pick("imageVisibility") ?? DEFAULTS.imageVisibility,
      activeTimeoutMinutes: pick("imageActiveTimeoutMinutes") ?? DEFAULTS.imageActiveTimeoutMinutes,
      metadata: { ...(top.metadata ?? {}), ...(own.metadata ?? {}) },
      deleteOnDestroy: pick("deleteImageOnDestroy") ?? DEFAULTS.deleteImageOnDestroy,
      keep: pick("keepImages"),
    },
    ansible: {
      verbosity: pick("ansibleVerbosity") ?? DEFAULTS.ansibleVerbosity,
      extraVars: { ...(top.extraVars ?? {}), ...(own.extraVars ?? {}) },
      extraVarsFile,
      vaultPasswordFile: resolvePathSetting(pick("vaultPasswordFile"), ctx),
    },
    onError: pick("onError") ?? DEFAULTS.onError,
    sourceImageSignatureVerified:
      pick("sourceImageSignatureVerified") ?? DEFAULTS.sourceImageSignatureVerified,
  };
  return { spec, problems };
}

function imageNameClashes(builds: BuildSpec[]): ConfigProblem[] {
  const byName = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const build of builds) {
    const name =
      build.image.namePrefix +
      (build.image.nameVersion === "auto" ? "-<auto>" : build.image.nameVersion);
    const other = byName.get(name);
    if (other) {
      problems.push({
        key: `builds.${build.key}.imageName`,
        value: build.image.namePrefix,
        message: `gives the same image names as build ${other}; image names must differ (the cluster looks images up by name)`,
      });
    } else byName.set(name, build.key);
  }
  return problems;
}

/** The fingerprinted paths, and the project directory left out of them when it is inside the appliance. */
function fingerprintSettings(
  config: RawStackConfig,
  repoRoot: string,
  environmentRoot: string,
  projectDir: string,
): { fingerprintPaths: string[]; fingerprintExclude?: string[] } {
  const paths = fingerprintPaths(config, repoRoot, environmentRoot);
  const exclude = projectDirExclusion(projectDir, repoRoot, paths);
  return { fingerprintPaths: paths, ...(exclude.length ? { fingerprintExclude: exclude } : {}) };
}

/**
 * The project directory, when it lies strictly inside the appliance and
 * holds none of the fingerprinted paths (a site directory under an
 * environment): its stack config and package files are not image content.
 */
export function projectDirExclusion(
  projectDir: string,
  repoRoot: string,
  paths: string[],
): string[] {
  const inside = (child: string, parent: string) => {
    const rel = path.relative(parent, child);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  };
  const dir = path.resolve(projectDir);
  if (!inside(dir, repoRoot)) return [];
  if (paths.some((p) => p === dir || inside(p, dir))) return [];
  return [dir];
}

function fingerprintPaths(
  config: RawStackConfig,
  repoRoot: string,
  environmentRoot: string,
): string[] {
  if (config.fingerprintPaths) return config.fingerprintPaths.map((p) => path.resolve(repoRoot, p));
  // Ansible reads the playbooks and roles, the requirements, and the environments
  // named in the active ansible.cfg's inventory list (plus the active one itself).
  const environments = environmentInventories(repoRoot, environmentRoot).map((inv) =>
    path.dirname(inv),
  );
  const paths = [
    path.join(repoRoot, "ansible"),
    path.join(repoRoot, "requirements.yml"),
    path.join(repoRoot, "packer", "openhpc_extravars.yml"),
    environmentRoot,
    ...environments,
  ];
  return [...new Set(paths)].filter((p) => fs.existsSync(p)).sort();
}
