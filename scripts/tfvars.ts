/**
 * npm run tfvars -- --stack <name> [--out <file>] [--cwd <pulumi project dir>]
 *
 * `slurm-image-builder tfvars` (cli/tfvars.ts) with this repository's tools
 * on PATH.
 */
import { tfvarsCommand } from "../cli/tfvars";
import { pulumiCliEnv } from "./pulumiCli";

tfvarsCommand(process.argv.slice(2), pulumiCliEnv(), "npm run tfvars --").then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`tfvars: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
