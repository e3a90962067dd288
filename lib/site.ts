/**
 * The site directory `slurm-image-builder init` writes into an appliance
 * checkout (by default `environments/site/images/`): a Pulumi project that
 * runs this program from the installed package. What it holds, and where the
 * appliance and its environment are relative to it, decided here as plain
 * functions; cli/init.ts does the file system work.
 */
import * as path from "node:path";
import { stringify } from "yaml";

/** The package's name: the site's dependency, and the Pulumi project (config namespace). */
export const PACKAGE_NAME = "slurm-image-builder";

/** The site directory, relative to the appliance checkout, when `--dir` is not given. */
export const DEFAULT_SITE_DIR = path.join("environments", "site", "images");

/** What to write, and where. */
export interface SiteLayout {
  /** The appliance checkout (absolute): the directory with `ansible/fatimage.yml`. */
  applianceRoot: string;
  /** The site directory (absolute). */
  siteDir: string;
  /** The appliance environment the images are built with (absolute). */
  environmentRoot: string;
  /** The stack whose config file is written. */
  stack: string;
  /** The version of this package the site depends on (exact: a bump is a reviewed diff). */
  version: string;
  /** The stack file, when made elsewhere (imported from Packer); else a commented template. */
  stackFile?: string;
}

/**
 * The appliance checkout that contains `start` (or is it): the nearest
 * directory at or above it with `ansible/fatimage.yml`.
 */
export function findApplianceRoot(
  start: string,
  isFile: (file: string) => boolean,
): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (isFile(path.join(dir, "ansible", "fatimage.yml"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The environment a site directory belongs to: the `environments/<name>`
 * directory of the appliance that contains it; undefined when it lies
 * elsewhere (then `--environment` has to say).
 */
export function environmentOf(siteDir: string, applianceRoot: string): string | undefined {
  const parts = path.relative(applianceRoot, siteDir).split(path.sep);
  if (parts.length < 2 || parts[0] !== "environments" || parts[1] === "") return undefined;
  return path.join(applianceRoot, "environments", parts[1]);
}

/** A path for a config file: relative to the site directory, with forward slashes. */
function relativeFromSite(siteDir: string, target: string): string {
  const rel = path.relative(siteDir, target) || ".";
  return rel.split(path.sep).join("/");
}

/**
 * The stack config's appliance paths, relative to the site directory (the
 * program resolves them against its project directory): no environment
 * variable has to be exported, and the checkout can live anywhere.
 */
export function appliancePaths(layout: SiteLayout): { repoRoot: string; environmentRoot: string } {
  return {
    repoRoot: relativeFromSite(layout.siteDir, layout.applianceRoot),
    environmentRoot: relativeFromSite(layout.siteDir, layout.environmentRoot),
  };
}

/** The site's files: name (relative to the site directory) → content. */
export function siteFiles(layout: SiteLayout): Record<string, string> {
  const environment = relativeFromSite(layout.applianceRoot, layout.environmentRoot);
  return {
    "package.json": `${JSON.stringify(sitePackageJson(layout, environment), null, 2)}\n`,
    "Pulumi.yaml": pulumiYaml(environment),
    [`Pulumi.${layout.stack}.yaml`]: stackConfigYaml(layout),
    ".gitignore":
      "# Installed by npm; the build logs of this machine.\nnode_modules/\n.build-state/\n",
  };
}

function sitePackageJson(layout: SiteLayout, environment: string) {
  return {
    name: `${path.basename(layout.environmentRoot)}-images`
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, "-"),
    private: true,
    description: `Slurm appliance images of ${environment}, built by ${PACKAGE_NAME}`,
    // Pulumi runs the package's compiled program; this directory only configures it.
    main: `node_modules/${PACKAGE_NAME}/dist/index.js`,
    dependencies: { [PACKAGE_NAME]: layout.version },
  };
}

function pulumiYaml(environment: string): string {
  return [
    `# The images of ${environment}: run by ${PACKAGE_NAME} (package.json), configured`,
    "# per stack in Pulumi.<stack>.yaml. The project name is the config namespace.",
    `name: ${PACKAGE_NAME}`,
    `description: Slurm appliance images of ${environment} (${PACKAGE_NAME})`,
    "runtime:",
    "  name: nodejs",
    "  options:",
    "    # The package ships compiled JavaScript: no TypeScript at run time.",
    "    typescript: false",
    "",
  ].join("\n");
}

/** The stack config file: the given one, or the appliance paths and a commented template. */
export function stackConfigYaml(layout: SiteLayout): string {
  if (layout.stackFile !== undefined) return layout.stackFile;
  const header = [
    `# Stack ${layout.stack} of ${PACKAGE_NAME}: see its README (Configuration reference).`,
    "# repoRoot and environmentRoot are relative to this directory.",
  ];
  const paths = appliancePaths(layout);
  const body = stringify({
    config: Object.fromEntries(Object.entries(paths).map(([k, v]) => [`${PACKAGE_NAME}:${k}`, v])),
  });
  const template = [
    "  # The builder VM and the images; fill in and uncomment (or import the Packer",
    "  # var files: slurm-image-builder init --from-packer <file.pkrvars.hcl> --force).",
    `  # ${PACKAGE_NAME}:flavor: <flavor with ~8 GB RAM>`,
    `  # ${PACKAGE_NAME}:networks: [<network id or name>]`,
    `  # ${PACKAGE_NAME}:builds:`,
    "  #   RL9:",
    "  #     sourceImageName: Rocky-9-GenericCloud-Base-9.4",
    "  #     inventoryGroups: fatimage",
  ];
  return [...header, body.trimEnd(), ...template, ""].join("\n");
}
