/**
 * `slurm-image-builder tfvars --stack <name> [--out <file>] [--cwd <pulumi project dir>]`
 * (in this repository: `npm run tfvars -- ...`)
 *
 * Writes the appliance's `cluster_image.auto.tfvars.json` from a stack's
 * outputs, for the cluster's OpenTofu (see README, "From staging to production").
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tfvarsFromOutputs } from "../lib/tfvars";
import { parseArgs, single, UsageError } from "./args";

export const tfvarsUsage = (command = "slurm-image-builder tfvars") =>
  `usage: ${command} --stack <name> [--out <file, default cluster_image.auto.tfvars.json>] [--cwd <Pulumi project dir>]`;

export async function tfvarsCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  command = "slurm-image-builder tfvars",
): Promise<number> {
  const options = parseArgs(
    argv,
    {
      stack: { value: "stack name" },
      out: { value: "file to write" },
      cwd: { value: "Pulumi project directory" },
    },
    tfvarsUsage(command),
  );
  const stack = single(options, "stack");
  if (!stack) throw new UsageError("--stack is required", tfvarsUsage(command));
  const cwd = path.resolve(single(options, "cwd") ?? process.cwd());
  const out = path.resolve(single(options, "out") ?? "cluster_image.auto.tfvars.json");
  const { execa } = await import("execa");
  const res = await execa("pulumi", ["stack", "output", "--json", "--stack", stack], {
    cwd,
    env,
    reject: false,
  });
  if (res.exitCode !== 0) {
    throw new Error(`pulumi stack output --stack ${stack} failed:\n${res.stderr.trim()}`);
  }
  const vars = tfvarsFromOutputs(JSON.parse(res.stdout) as Record<string, unknown>, stack);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(vars, null, 2)}\n`);
  const keys = Object.entries(vars.cluster_image).map(([k, v]) => `${k}=${v}`);
  process.stderr.write(
    `wrote ${out}: ${keys.join(", ")}; cluster_image_id=${vars.cluster_image_id}\n`,
  );
  return 0;
}
