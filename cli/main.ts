#!/usr/bin/env node
/**
 * The `slurm-image-builder` command of the package:
 *
 *   slurm-image-builder init    write a site directory into an appliance checkout (cli/init.ts)
 *   slurm-image-builder plan    the image plan of a preview, as Markdown (cli/plan.ts)
 *   slurm-image-builder preview-diff  `pulumi preview --diff` trimmed into a PR comment (cli/previewDiff.ts)
 *   slurm-image-builder tfvars  the stack outputs as cluster_image.auto.tfvars.json (cli/tfvars.ts)
 *
 * `pulumi` is whatever is on PATH.
 */
import { INIT_USAGE, initCommand } from "./init";
import { planCommand, planUsage } from "./plan";
import { previewDiffCommand, previewDiffUsage } from "./previewDiff";
import { tfvarsCommand, tfvarsUsage } from "./tfvars";
import { packageVersion } from "./version";

const USAGE = [
  "usage: slurm-image-builder <command> [options]",
  "  init     write a site directory (package.json, Pulumi.yaml, stack config) into this appliance checkout",
  "  plan     render a stack's `pulumi preview` as one table row per image",
  "  preview-diff  trim a stack's `pulumi preview --diff` into a pull-request comment (with the plan)",
  "  tfvars   write a stack's images as the appliance's cluster_image.auto.tfvars.json",
  "  version  print this package's version",
  "`slurm-image-builder <command> --help` shows a command's options.",
].join("\n");

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usages: Record<string, string> = {
    init: INIT_USAGE,
    plan: planUsage(),
    "preview-diff": previewDiffUsage(),
    tfvars: tfvarsUsage(),
  };
  if (command in usages && (rest.includes("--help") || rest.includes("-h"))) {
    process.stdout.write(`${usages[command]}\n`);
    return 0;
  }
  switch (command) {
    case "init":
      await initCommand(rest);
      return 0;
    case "plan":
      return planCommand(rest);
    case "preview-diff":
      return previewDiffCommand(rest);
    case "tfvars":
      return tfvarsCommand(rest);
    case "version":
    case "--version":
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${command}\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(
      `slurm-image-builder ${process.argv[2] ?? ""}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = err instanceof Error && err.name === "UsageError" ? 2 : 1;
  },
);
