/**
 * npm run tfvars -- --stack <name> [--out <file>] [--cwd <pulumi project dir>]
 *
 * Writes the appliance's `cluster_image.auto.tfvars.json` from a stack's
 * outputs, for the cluster's OpenTofu (see README, "From staging to production").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tfvarsFromOutputs } from "../lib/tfvars";
import { parseOptions, pulumiCliEnv } from "./pulumiCli";

const USAGE =
  "usage: npm run tfvars -- --stack <name> [--out <file, default cluster_image.auto.tfvars.json>] [--cwd <Pulumi project dir>]";

async function main(): Promise<void> {
  const options = parseOptions(
    process.argv.slice(2),
    { stack: "stack name", out: "file to write", cwd: "Pulumi project directory" },
    USAGE,
  );
  if (!options.stack) throw new Error(`--stack is required\n${USAGE}`);
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const out = path.resolve(options.out ?? "cluster_image.auto.tfvars.json");
  const { execa } = await import("execa");
  const res = await execa("pulumi", ["stack", "output", "--json", "--stack", options.stack], {
    cwd,
    env: pulumiCliEnv(),
    reject: false,
  });
  if (res.exitCode !== 0) {
    throw new Error(`pulumi stack output --stack ${options.stack} failed:\n${res.stderr.trim()}`);
  }
  const vars = tfvarsFromOutputs(JSON.parse(res.stdout) as Record<string, unknown>, options.stack);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(vars, null, 2)}\n`);
  const keys = Object.entries(vars.cluster_image).map(([k, v]) => `${k}=${v}`);
  process.stderr.write(
    `wrote ${out}: ${keys.join(", ")}; cluster_image_id=${vars.cluster_image_id}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`tfvars: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
