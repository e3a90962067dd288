/**
 * `slurm-image-builder preview-diff --stack <name> [--from <preview.txt>] [--plan <plan.md>]
 *   [--out <comment.md>] [--log-url <url>] [--exit-code <n>] [--limit <characters>]`
 * (in this repository: `npm run preview-diff -- ...`)
 *
 * Turns the text of `pulumi preview --diff` (a file, or stdin) into one
 * pull-request comment for the stack: the image plan of `plan` first, then
 * the preview folded in <details> and trimmed to what changed, the whole
 * within GitHub's 65,536 characters (lib/previewDiff.ts). The full text
 * belongs in the job's log; --log-url links it. --exit-code is the preview's
 * exit status: non-zero marks the comment as a failed preview.
 */
import * as fs from "node:fs";
import { COMMENT_LIMIT, renderPreviewComment } from "../lib/previewDiff";
import { parseArgs, single, UsageError } from "./args";

export const previewDiffUsage = (command = "slurm-image-builder preview-diff") =>
  `usage: ${command} --stack <name> [--from <pulumi preview --diff output, default stdin>] [--plan <plan output>] [--out <file>] [--log-url <url>] [--exit-code <n>] [--limit <characters>]`;

function readAll(file: string | undefined): string {
  return fs.readFileSync(file === undefined || file === "-" ? 0 : file, "utf8");
}

export async function previewDiffCommand(
  argv: string[],
  command = "slurm-image-builder preview-diff",
): Promise<number> {
  const usage = previewDiffUsage(command);
  const options = parseArgs(
    argv,
    {
      stack: { value: "stack name" },
      from: { value: "file with the text of pulumi preview --diff" },
      plan: { value: "Markdown file of the plan" },
      out: { value: "Markdown file to write" },
      "log-url": { value: "URL of the full text" },
      "exit-code": { value: "exit status of the preview" },
      limit: { value: "characters" },
    },
    usage,
  );
  const stack = single(options, "stack");
  if (!stack) throw new UsageError("--stack is required", usage);
  const numberOption = (name: string, fallback: number) => {
    const value = single(options, name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value))
      throw new UsageError(
        `--${name}: expected a whole number, got ${JSON.stringify(value)}`,
        usage,
      );
    return Number(value);
  };
  const limit = numberOption("limit", COMMENT_LIMIT);
  const exitCode = numberOption("exit-code", 0);
  const diff = readAll(single(options, "from"));
  const planFile = single(options, "plan");
  const comment = renderPreviewComment({
    stack,
    diff,
    plan: planFile !== undefined ? fs.readFileSync(planFile, "utf8") : undefined,
    logUrl: single(options, "log-url"),
    failed: exitCode !== 0,
    limit,
  });
  const out = single(options, "out");
  if (out) fs.writeFileSync(out, comment);
  else process.stdout.write(comment);
  process.stderr.write(
    `preview-diff: ${stack}: ${diff.length} characters of preview → a comment of ${comment.length} (limit ${limit})\n`,
  );
  return 0;
}
