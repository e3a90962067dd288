/**
 * npm run preview-diff -- --stack <name> [--from <preview.txt>] [--plan <plan.md>]
 *   [--out <comment.md>] [--log-url <url>] [--exit-code <n>] [--limit <characters>]
 *
 * Turns the text of `pulumi preview --diff` (a file, or stdin) into one
 * pull-request comment for the stack: the image plan of `npm run plan`
 * first, then the preview folded in <details> and trimmed to what changed,
 * the whole within GitHub's 65,536 characters (lib/previewDiff.ts). The full
 * text belongs in the job's log; --log-url links it. --exit-code is the
 * preview's exit status: non-zero marks the comment as a failed preview.
 */
import * as fs from "node:fs";
import { COMMENT_LIMIT, renderPreviewComment } from "../lib/previewDiff";
import { parseOptions } from "./pulumiCli";

const USAGE =
  "usage: npm run preview-diff -- --stack <name> [--from <pulumi preview --diff output, default stdin>] [--plan <npm run plan output>] [--out <file>] [--log-url <url>] [--exit-code <n>] [--limit <characters>]";

function readAll(file: string | undefined): string {
  return fs.readFileSync(file === undefined || file === "-" ? 0 : file, "utf8");
}

function main(): void {
  const options = parseOptions(
    process.argv.slice(2),
    {
      stack: "stack name",
      from: "file with the text of pulumi preview --diff",
      plan: "Markdown file of npm run plan",
      out: "Markdown file to write",
      "log-url": "URL of the full text",
      "exit-code": "exit status of the preview",
      limit: "characters",
    },
    USAGE,
  );
  if (!options.stack) throw new Error(`--stack is required\n${USAGE}`);
  const numberOption = (name: string, fallback: number) => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value))
      throw new Error(`--${name}: expected a whole number, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  const limit = numberOption("limit", COMMENT_LIMIT);
  const exitCode = numberOption("exit-code", 0);
  const diff = readAll(options.from);
  const plan = options.plan !== undefined ? fs.readFileSync(options.plan, "utf8") : undefined;
  const comment = renderPreviewComment({
    stack: options.stack,
    diff,
    plan,
    logUrl: options["log-url"],
    failed: exitCode !== 0,
    limit,
  });
  if (options.out) fs.writeFileSync(options.out, comment);
  else process.stdout.write(comment);
  process.stderr.write(
    `preview-diff: ${options.stack}: ${diff.length} characters of preview → a comment of ${comment.length} (limit ${limit})\n`,
  );
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`preview-diff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
