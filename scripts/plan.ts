/**
 * npm run plan -- --stack <name> [--from <preview.json>] [--out <file.md>] [--cwd <project dir>]
 *
 * Renders `pulumi preview --json` as a Markdown table of what happens to each
 * image (build / rebuild / unchanged / promote / unpin, and why). Without
 * --from it runs the preview itself. The pull-request workflow posts this.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderPlan, type PreviewJson } from "../lib/previewPlan";
import { parseOptions, pulumiCliEnv } from "./pulumiCli";

const USAGE =
  "usage: npm run plan -- --stack <name> [--from <pulumi preview --json output>] [--out <file>] [--cwd <Pulumi project dir>]";

async function previewJson(stack: string, cwd: string): Promise<PreviewJson> {
  const { execa } = await import("execa");
  process.stderr.write(`plan: pulumi preview --json --show-sames --stack ${stack} ...\n`);
  // --show-sames: unchanged images are rows of the plan too (Pulumi leaves them out otherwise).
  const res = await execa("pulumi", ["preview", "--json", "--show-sames", "--stack", stack], {
    cwd,
    env: pulumiCliEnv(),
    reject: false,
  });
  try {
    // On a failed preview the JSON still comes, with the error in its diagnostics.
    return JSON.parse(res.stdout) as PreviewJson;
  } catch {
    throw new Error(
      `pulumi preview --stack ${stack} failed:\n${(res.stderr || res.stdout).trim()}`,
    );
  }
}

async function main(): Promise<void> {
  const options = parseOptions(
    process.argv.slice(2),
    { stack: "stack name", from: "preview JSON file", out: "Markdown file", cwd: "project dir" },
    USAGE,
  );
  if (!options.stack) throw new Error(`--stack is required\n${USAGE}`);
  const preview = options.from
    ? (JSON.parse(fs.readFileSync(options.from, "utf8")) as PreviewJson)
    : await previewJson(options.stack, path.resolve(options.cwd ?? process.cwd()));
  const markdown = renderPlan(options.stack, preview);
  if (options.out) fs.writeFileSync(options.out, markdown);
  else process.stdout.write(markdown);
  if ((preview.diagnostics ?? []).some((d) => d.severity === "error")) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`plan: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
