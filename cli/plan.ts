/**
 * `slurm-image-builder plan --stack <name> [--from <preview.json>] [--out <file.md>] [--cwd <project dir>]`
 * (in this repository: `npm run plan -- ...`)
 *
 * Renders `pulumi preview --json` as a Markdown table of what happens to each
 * image (build / rebuild / unchanged / promote / unpin, and why). Without
 * --from it runs the preview itself.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderPlan, type PreviewJson } from "../lib/previewPlan";
import { parseArgs, single, UsageError } from "./args";

export const planUsage = (command = "slurm-image-builder plan") =>
  `usage: ${command} --stack <name> [--from <pulumi preview --json output>] [--out <file>] [--cwd <Pulumi project dir>]`;

async function previewJson(stack: string, cwd: string, env: NodeJS.ProcessEnv) {
  const { execa } = await import("execa");
  process.stderr.write(`plan: pulumi preview --json --show-sames --stack ${stack} ...\n`);
  // --show-sames: unchanged images are rows of the plan too (Pulumi leaves them out otherwise).
  const res = await execa("pulumi", ["preview", "--json", "--show-sames", "--stack", stack], {
    cwd,
    env,
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

/** Runs the subcommand; the exit code is 1 when the preview reported an error. */
export async function planCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  command = "slurm-image-builder plan",
): Promise<number> {
  const options = parseArgs(
    argv,
    {
      stack: { value: "stack name" },
      from: { value: "preview JSON file" },
      out: { value: "Markdown file" },
      cwd: { value: "project dir" },
    },
    planUsage(command),
  );
  const stack = single(options, "stack");
  if (!stack) throw new UsageError("--stack is required", planUsage(command));
  const from = single(options, "from");
  const preview = from
    ? (JSON.parse(fs.readFileSync(from, "utf8")) as PreviewJson)
    : await previewJson(stack, path.resolve(single(options, "cwd") ?? process.cwd()), env);
  const markdown = renderPlan(stack, preview);
  const out = single(options, "out");
  if (out) fs.writeFileSync(out, markdown);
  else process.stdout.write(markdown);
  return (preview.diagnostics ?? []).some((d) => d.severity === "error") ? 1 : 0;
}
