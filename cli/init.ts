/**
 * `slurm-image-builder init [--dir <site dir>] [--stack <name>] [--environment <dir>]
 *  [--from-packer <file.pkrvars.hcl>...] [--build <key>=<file>...] [--force]`
 *
 * Writes a site directory into the appliance checkout it is run in (default
 * `environments/site/images/`): package.json (depends on this package, at
 * this version), Pulumi.yaml, Pulumi.<stack>.yaml with the appliance paths
 * relative to it, and a .gitignore. What goes in, lib/site.ts decides.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblems } from "../lib/config/errors";
import {
  checkImportedConfig,
  importPackerVarFiles,
  importReport,
  readVarFiles,
  renderStackFile,
  type PackerImport,
} from "../lib/packer";
import {
  appliancePaths,
  DEFAULT_SITE_DIR,
  environmentOf,
  findApplianceRoot,
  PACKAGE_NAME,
  siteFiles,
  type SiteLayout,
} from "../lib/site";
import { parseArgs, single, UsageError } from "./args";
import { packageVersion } from "./version";

export const INIT_USAGE = [
  "usage: slurm-image-builder init [--dir <site dir>] [--stack <name>] [--environment <environment dir>]",
  "                                [--from-packer <file.pkrvars.hcl>...] [--build <key>=<file.pkrvars.hcl>...] [--force]",
  `  --dir          the site directory to write (default: ${DEFAULT_SITE_DIR} of the appliance checkout around the current directory)`,
  "  --stack        the stack whose config file is written (default: staging)",
  "  --environment  the appliance environment to build with (default: the environments/<name> that holds the site directory)",
  "  --from-packer  Packer variable files to import into the stack config",
  "  --build        a build of the imported config and its own var file (the CI matrix), repeatable",
  "  --force        overwrite files that exist",
].join("\n");

export interface InitResult {
  siteDir: string;
  written: string[];
  layout: SiteLayout;
}

export async function initCommand(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<InitResult> {
  const cwd = opts.cwd ?? process.cwd();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const options = parseArgs(
    argv,
    {
      dir: { value: "site directory" },
      stack: { value: "stack name" },
      environment: { value: "appliance environment directory" },
      "from-packer": { value: "Packer variable files", repeat: true },
      build: { value: "<build key>=<Packer variable file>", repeat: true },
      force: { flag: true },
    },
    INIT_USAGE,
  );
  const dirOption = single(options, "dir");
  const start = dirOption ? path.resolve(cwd, dirOption) : cwd;
  const applianceRoot = findApplianceRoot(start, isFile);
  if (!applianceRoot)
    throw new UsageError(
      `${start} is not inside a Slurm appliance checkout (no ansible/fatimage.yml there or above): run init in the checkout, or give --dir inside one`,
      INIT_USAGE,
    );
  const siteDir = dirOption ? start : path.join(applianceRoot, DEFAULT_SITE_DIR);
  const environmentOption = single(options, "environment");
  const environmentRoot = environmentOption
    ? path.resolve(cwd, environmentOption)
    : environmentOf(siteDir, applianceRoot);
  if (!environmentRoot)
    throw new UsageError(
      `${siteDir} is not under ${path.join(applianceRoot, "environments")}/<name>: say which environment with --environment`,
      INIT_USAGE,
    );
  if (!isDirectory(environmentRoot))
    throw new UsageError(`--environment ${environmentRoot}: not a directory`, INIT_USAGE);
  const stack = single(options, "stack") ?? "staging";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new UsageError(`--stack ${stack}: expected letters, digits, '.', '_' or '-'`, INIT_USAGE);

  const layout: SiteLayout = {
    applianceRoot,
    siteDir,
    environmentRoot,
    stack,
    version: packageVersion(),
  };
  const imported = await importPacker(options.values, cwd);
  if (imported) {
    const text = renderStackFile(withSitePaths(imported, layout), {
      namespace: PACKAGE_NAME,
      writtenBy: `slurm-image-builder init ${argv.join(" ")}`,
    });
    layout.stackFile = text.endsWith("\n") ? text : `${text}\n`;
  }
  const files = siteFiles(layout);
  const existing = Object.keys(files).filter((f) => fs.existsSync(path.join(siteDir, f)));
  if (existing.length > 0 && !options.flags.has("force"))
    throw new Error(
      `${siteDir} already has ${existing.join(", ")}: not overwritten (--force overwrites them)`,
    );
  fs.mkdirSync(siteDir, { recursive: true });
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(siteDir, name), content);
  if (imported) {
    const problems = checkImportedConfig(withSitePaths(imported, layout).config, {
      cwd: siteDir,
      env: opts.env ?? process.env,
      namespace: PACKAGE_NAME,
    });
    log(
      importReport(
        imported,
        path.join(siteDir, `Pulumi.${stack}.yaml`),
        problems.length ? formatProblems(problems, PACKAGE_NAME) : undefined,
      ).trimEnd(),
    );
  }
  const rel = path.relative(cwd, siteDir) || ".";
  log(
    [
      `wrote ${Object.keys(files).join(", ")} in ${siteDir}`,
      "next:",
      `  cd ${rel} && npm install`,
      `  pulumi stack init ${stack}      # or: pulumi stack select ${stack}`,
      `  pulumi preview --diff           # what would build, and why`,
    ].join("\n"),
  );
  return { siteDir, written: Object.keys(files), layout };
}

/** The Packer import (lib/packer/) of --from-packer and --build, if any were given. */
async function importPacker(
  values: Record<string, string[]>,
  cwd: string,
): Promise<PackerImport | undefined> {
  const files = values["from-packer"] ?? [];
  const builds = values.build ?? [];
  if (files.length === 0 && builds.length === 0) return undefined;
  return importPackerVarFiles(readVarFiles(files, cwd), {
    builds: builds.map((spec) => {
      const at = spec.indexOf("=");
      if (at <= 0 || at === spec.length - 1)
        throw new UsageError(
          `--build ${spec}: expected <build key>=<Packer variable file>`,
          INIT_USAGE,
        );
      return { key: spec.slice(0, at), files: readVarFiles([spec.slice(at + 1)], cwd) };
    }),
  });
}

/**
 * The import with the appliance paths of the site directory: where the
 * checkout is comes from where this directory is, not from a `repo_root` of
 * the machine Packer ran on (that one is reported instead).
 */
export function withSitePaths(imported: PackerImport, layout: SiteLayout): PackerImport {
  const { repoRoot, environmentRoot, ...rest } = imported.config;
  const paths = appliancePaths(layout);
  const replaced = Object.entries({ repoRoot, environmentRoot })
    .filter(([key, value]) => value !== undefined && value !== paths[key as keyof typeof paths])
    .map(
      ([key, value]) =>
        `${key}: ${JSON.stringify(value)} from the var files replaced by ${paths[key as keyof typeof paths]}, where this directory is`,
    );
  const origins = { ...imported.origins };
  delete origins.repoRoot;
  delete origins.environmentRoot;
  return {
    ...imported,
    config: { ...paths, ...rest },
    origins,
    notes: [
      "repoRoot and environmentRoot are relative to this directory (written by init).",
      ...replaced,
      ...imported.notes,
    ],
  };
}

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
