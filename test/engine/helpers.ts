/**
 * Shared set-up for the tests that run the real Pulumi engine with the tools
 * of `npm run tools` (see docs/tools.md).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { toolsEnv, toolsRoot, toolVersions } from "../../tools/paths";

/** Fails (never skips) with a clear message when `npm run tools` has not been run. */
export function requireTools(): void {
  const env = toolsEnv();
  const v = toolVersions();
  const needed = [
    join(toolsRoot(), "bin", "pulumi"),
    join(toolsRoot(), "bin", "pulumi-language-nodejs"),
    ...Object.entries(v.plugins).map(([name, version]) =>
      join(env.PULUMI_HOME, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`),
    ),
  ];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`the Pulumi tools are missing (run \`npm run tools\`): ${missing.join(", ")}`);
  }
}

/** The full environment for running the tools' pulumi CLI directly. */
export function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...(process.env as Record<string, string>), ...toolsEnv(), ...extra };
}
