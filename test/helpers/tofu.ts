/**
 * Runs OpenTofu from `npm run tools` against an OpenTofu configuration (a
 * consumer of the built images) and reads what its image data sources resolved
 * to. Everything is asynchronous: the tests run localcloud in their own
 * process, and a synchronous child process would block the loop that has to
 * answer the provider's calls.
 *
 * ```ts
 * const { resolvedImageIds } = await tofuPlan({
 *   configDir: join(repoRoot, "test", "fixtures", "opentofu"),
 *   workDir,
 *   varFile,
 *   env: cloud.env(cloud.clouds.staging),
 * });
 * ```
 */
import { existsSync } from "node:fs";
import { cp, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { tofuCliConfigPath, tofuEnv, tofuProviderPath, toolPath } from "../../tools/paths";

/** Why `tofu` and the OpenStack provider mirror from `npm run tools` cannot be used, or undefined. */
export function missingTofu(): string | undefined {
  for (const [what, path] of [
    ["tofu", toolPath("tofu")],
    ["the OpenStack provider for OpenTofu", tofuProviderPath()],
    ["the OpenTofu CLI configuration", tofuCliConfigPath()],
  ]) {
    if (!existsSync(path)) return `${what} is missing at ${path} (run \`npm run tools\`)`;
  }
  return undefined;
}

/** A failed `tofu` command, with everything it printed. */
export class TofuError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `tofu ${args.join(" ")} failed (exit ${exitCode ?? "?"}):\n${stderr.trim()}\n${stdout.trim()}`,
    );
    this.name = "TofuError";
  }
}

export interface TofuRunOptions {
  /** Working directory (the root module). */
  cwd: string;
  /** Added over `process.env` and `tofuEnv()` (e.g. `OS_CLOUD`, `OS_CLIENT_CONFIG_FILE`). */
  env?: Record<string, string>;
  /** Milliseconds before the command is killed. Default 5 minutes. */
  timeoutMs?: number;
}

/** Runs `tofu ARGS` with the tools' CLI configuration; resolves with stdout, rejects with a TofuError. */
export async function tofu(args: string[], opts: TofuRunOptions): Promise<string> {
  const { execa } = await import("execa");
  const res = await execa(toolPath("tofu"), args, {
    cwd: opts.cwd,
    env: { ...tofuEnv(), ...(opts.env ?? {}) },
    extendEnv: true,
    stdin: "ignore",
    reject: false,
    timeout: opts.timeoutMs ?? 5 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.exitCode !== 0 || res.failed)
    throw new TofuError(args, res.exitCode, String(res.stdout), String(res.stderr));
  return String(res.stdout);
}

export interface TofuPlanOptions {
  /** The OpenTofu configuration to copy (its *.tf files and any subdirectories). */
  configDir: string;
  /** Where to copy it and run; created if missing. Holds `.terraform/`, the lock file and `plan`. */
  workDir: string;
  /** A `.tfvars` or `.tfvars.json` file (absolute, or relative to workDir). */
  varFile?: string;
  /** Extra environment (e.g. `cloud.env(...)` for the provider's clouds.yaml). */
  env?: Record<string, string>;
}

/** The parts of `tofu show -json <plan>` read here. */
export interface PlanJson {
  format_version: string;
  prior_state?: { values?: { root_module?: ModuleValues } };
  planned_values?: { root_module?: ModuleValues; outputs?: Record<string, { value?: unknown }> };
  resource_changes?: {
    address: string;
    mode: string;
    type: string;
    index?: string | number;
    change: { actions: string[]; after?: Record<string, unknown> };
  }[];
  [key: string]: unknown;
}

interface ResourceValues {
  address: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: string | number;
  values?: Record<string, unknown>;
}

interface ModuleValues {
  resources?: ResourceValues[];
  child_modules?: ModuleValues[];
}

export interface TofuPlanResult {
  /**
   * Id of every `openstack_images_image_v2` data source read while planning,
   * by its `for_each` key (or count index, or its address when it has neither).
   */
  resolvedImageIds: Record<string, string>;
  /** The plan as `tofu show -json` prints it. */
  plan: PlanJson;
  /** What `tofu plan` printed. */
  stdout: string;
}

function resources(mod: ModuleValues | undefined): ResourceValues[] {
  if (!mod) return [];
  return [...(mod.resources ?? []), ...(mod.child_modules ?? []).flatMap(resources)];
}

/**
 * Ids resolved by the `type` data sources of a plan. Data sources that could
 * be read while planning are in `prior_state` (the refreshed state the plan
 * starts from); `planned_values` is read too, for ids known there.
 */
export function resolvedDataIds(
  plan: PlanJson,
  type = "openstack_images_image_v2",
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of [
    ...resources(plan.planned_values?.root_module),
    ...resources(plan.prior_state?.values?.root_module),
  ]) {
    if (r.mode !== "data" || r.type !== type) continue;
    const id = r.values?.id;
    if (typeof id === "string" && id !== "")
      out[r.index === undefined ? r.address : String(r.index)] = id;
  }
  return out;
}

/**
 * Copies `configDir` to `workDir`, then runs `tofu init` (the provider comes
 * from the mirror in the tools' cache, offline), `tofu plan -var-file=...
 * -out=plan` and `tofu show -json plan`. Rejects with a TofuError (its
 * message carries tofu's output) when any of them fails.
 */
export async function tofuPlan(opts: TofuPlanOptions): Promise<TofuPlanResult> {
  const workDir = resolve(opts.workDir);
  await mkdir(workDir, { recursive: true });
  await cp(resolve(opts.configDir), workDir, {
    recursive: true,
    // Never a previous run's state or provider installation.
    filter: (src) => !/(^|\/)(\.terraform|terraform\.tfstate[^/]*)$/.test(src),
  });
  const run = { cwd: workDir, env: opts.env };
  await tofu(["init", "-no-color", "-input=false"], run);
  const varArgs = opts.varFile ? [`-var-file=${resolve(workDir, opts.varFile)}`] : [];
  const stdout = await tofu(
    [
      "plan",
      "-no-color",
      "-input=false",
      "-lock=false",
      ...varArgs,
      `-out=${join(workDir, "plan")}`,
    ],
    run,
  );
  const plan = JSON.parse(await tofu(["show", "-json", "-no-color", "plan"], run)) as PlanJson;
  return { resolvedImageIds: resolvedDataIds(plan), plan, stdout };
}
