/**
 * What the program itself would still say of an imported config: the config
 * handed over as Pulumi hands it to the program (top-level scalars as
 * strings, objects as JSON) and checked by the program's own resolver.
 */
import { ConfigError, type ConfigProblem } from "../config/errors";
import { decodeConfig, resolveStackConfig } from "../config/resolve";

export interface CheckContext {
  /** Where the stack file goes (the Pulumi project directory: relative paths start there). */
  cwd: string;
  env: Record<string, string | undefined>;
  namespace?: string;
}

/** As `pulumi.runtime.allConfig()` gives the stack file's values to the program. */
export function asPulumiConfig(
  config: Record<string, unknown>,
  namespace = "slurm-image-builder",
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      `${namespace}:${key}`,
      value !== null && typeof value === "object" ? JSON.stringify(value) : String(value),
    ]),
  );
}

/** The problems `pulumi preview` would stop at (none: the config is complete). */
export function checkImportedConfig(
  config: Record<string, unknown>,
  ctx: CheckContext,
): ConfigProblem[] {
  const namespace = ctx.namespace ?? "slurm-image-builder";
  try {
    resolveStackConfig(decodeConfig(asPulumiConfig(config, namespace), namespace), {
      env: ctx.env,
      cwd: ctx.cwd,
      namespace,
    });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
