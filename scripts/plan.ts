/**
 * npm run plan -- --stack <name> [--from <preview.json>] [--out <file.md>] [--cwd <project dir>]
 *
 * `slurm-image-builder plan` (cli/plan.ts) with this repository's tools on
 * PATH. The pull-request workflow posts its table.
 */
import { planCommand } from "../cli/plan";
import { pulumiCliEnv } from "./pulumiCli";

planCommand(process.argv.slice(2), pulumiCliEnv(), "npm run plan --").then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`plan: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
