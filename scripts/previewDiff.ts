/**
 * npm run preview-diff -- --stack <name> [--from <preview.txt>] [--plan <plan.md>] ...
 *
 * `slurm-image-builder preview-diff` (cli/previewDiff.ts) from this checkout.
 */
import { previewDiffCommand } from "../cli/previewDiff";

previewDiffCommand(process.argv.slice(2), "npm run preview-diff --").then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`preview-diff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
