/**
 * Which stack config values are secret (`pulumi config set --secret`, at any
 * `--path`), so they travel as Pulumi secrets and never in a plain request.
 *
 * Pulumi tells a program only which *top-level* keys hold a secret somewhere
 * (PULUMI_CONFIG_SECRET_KEYS). Where the stack's config file is readable, the
 * `secure:` leaves in it say exactly which paths are secret; otherwise the
 * whole key counts as secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ConfigProblem } from "./errors";

/** A config path below the namespace, e.g. ["extraVars", "dnf_repos_password"]. */
export type ConfigPath = (string | number)[];

/**
 * Secret paths of `namespace`'s keys. `secretKeys` are the full keys Pulumi
 * marks secret (`ns:key`); `stackConfig` is the stack's config file text.
 */
export function secretConfigPaths(
  secretKeys: string[],
  namespace: string,
  stackConfig?: string,
): ConfigPath[] {
  const prefix = `${namespace}:`;
  let fileConfig: Record<string, unknown> = {};
  try {
    const parsed = stackConfig ? (parse(stackConfig) as { config?: Record<string, unknown> }) : {};
    fileConfig = parsed?.config ?? {};
  } catch {
    // Unreadable: every secret key counts as secret as a whole.
  }
  const paths: ConfigPath[] = [];
  for (const fullKey of secretKeys) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    const leaves = secureLeaves(fileConfig[fullKey]);
    if (leaves.length === 0 || leaves.some((leaf) => leaf.length === 0)) paths.push([key]);
    else paths.push(...leaves.map((leaf) => [key, ...leaf]));
  }
  return paths;
}

/** Paths of the `{ secure: ... }` values inside a config file value. */
function secureLeaves(value: unknown, at: ConfigPath = []): ConfigPath[] {
  if (!value || typeof value !== "object") return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value as Record<string, unknown>);
  if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return [at];
  return entries.flatMap(([k, v]) => secureLeaves(v, [...at, k]));
}

/** The stack's config file (`Pulumi.<stack>.yaml`, in `stackConfigDir` if the project sets one). */
export function readStackConfigFile(projectDir: string, stack: string): string | undefined {
  try {
    const project = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
      stackConfigDir?: string;
    };
    const dir = project?.stackConfigDir
      ? path.resolve(projectDir, project.stackConfigDir)
      : projectDir;
    return fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");
  } catch {
    return undefined;
  }
}

/** True when `at` is a secret path or lies inside one. */
export function isSecretPath(secrets: ConfigPath[], at: ConfigPath): boolean {
  return secrets.some(
    (secret) => secret.length <= at.length && secret.every((s, i) => String(s) === String(at[i])),
  );
}

/** The names of `extraVars` at `base` (a config path) that are secret, wholly or in part. */
export function secretNamesIn(
  secrets: ConfigPath[],
  base: ConfigPath,
  extraVars: Record<string, unknown>,
): Set<string> {
  const names = new Set<string>();
  for (const name of Object.keys(extraVars)) {
    const at = [...base, name];
    const inside = secrets.some(
      (s) => s.length > at.length && at.every((a, i) => String(a) === String(s[i])),
    );
    if (isSecretPath(secrets, at) || inside) names.add(name);
  }
  return names;
}

/** Where a secret may be: the vault password and extraVars entries (they reach Ansible as secrets). */
export function misplacedSecrets(secrets: ConfigPath[]): ConfigProblem[] {
  return secrets
    .filter(
      (s) =>
        !(s[0] === "vaultPassword" && s.length === 1) &&
        !(s[0] === "extraVars") &&
        !(s[0] === "builds" && s.length >= 3 && s[2] === "extraVars"),
    )
    .map((s) => ({
      key: s.map(String).join("."),
      value: "[secret]",
      message:
        s.length === 1 && s[0] === "builds"
          ? "is secret as a whole (and the stack's config file, which says which entries are, could not be read); only extraVars entries may be secret: pulumi config set --secret --path 'builds.<key>.extraVars.<name>' ..."
          : "is set as a secret, but only vaultPassword and extraVars entries can stay secret through a build; set it without --secret",
    }));
}
