/**
 * The Packer side of `npm run bench`: `packer build` of this project's
 * template (bench/packer/openstack.pkr.hcl) against the bench's localcloud,
 * one process per image as the appliance's CI runs it, followed by what the
 * CI does to the new image (`signature_verified` unset, the appliance's image
 * properties set).
 */
import { createInterface } from "node:readline";
import * as fs from "node:fs";
import * as path from "node:path";
import { applianceImageDefaults } from "../../lib/imageProperties";
import { loadCloudAuth } from "../../lib/openstack/cloudConfig";
import { OpenStackClient } from "../../lib/openstack/client";
import { ImageService } from "../../lib/openstack/images";
import { packerEnv, packerPluginPath, PACKER_PLUGINS, repoRoot, toolPath } from "../../tools/paths";
import type { LocalProject } from "../localProject";
import {
  formatLogEntry,
  manifestImageId,
  packerPhases,
  stepMessage,
  type LogEntry,
} from "./packerLog";
import type { Phases } from "./phases";

export const PACKER_TEMPLATE = path.join(repoRoot, "bench", "packer", "openstack.pkr.hcl");

/** What `npm run bench` says when Packer is not built, or undefined when it is. */
export function packerMissing(): string | undefined {
  const missing = [
    ...(fs.existsSync(toolPath("packer")) ? [] : ["packer"]),
    ...Object.keys(PACKER_PLUGINS)
      .filter((p) => packerPluginPath(p as keyof typeof PACKER_PLUGINS) === undefined)
      .map((p) => `packer-plugin-${p}`),
  ];
  if (missing.length === 0) return undefined;
  return [
    `Packer is not built (missing: ${missing.join(", ")}). Build it with`,
    "  npm run tools -- --with packer",
    "(Packer 1.11.2 and its OpenStack and Ansible plugins from the Go module proxy, into the",
    "tools cache: ~3.5 min the first time on 2 cores; see docs/tools.md), then run `npm run bench` again.",
  ].join("\n");
}

/** Where and how the bench runs Packer against its localcloud. */
export interface PackerSite {
  dir: string;
  env: Record<string, string>;
  /** The cloud's settings for the template, as the appliance keeps them per cloud (`<cloud>.pkrvars.hcl`). */
  varFile: string;
  gitCommit: string;
  images: ImageService;
}

export async function packerSite(
  project: LocalProject,
  settings: { networkId: string; flavor: string },
  gitCommit: string,
): Promise<PackerSite> {
  const dir = path.join(project.dir, "packer");
  fs.mkdirSync(dir, { recursive: true });
  const varFile = path.join(dir, "localcloud.pkrvars.hcl");
  fs.writeFileSync(
    varFile,
    [
      `networks = [${JSON.stringify(settings.networkId)}]`,
      `flavor = ${JSON.stringify(settings.flavor)}`,
      "",
    ].join("\n"),
  );
  const { repoRoot: applianceRoot, environmentRoot } = project.appliance;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...project.env,
    ...packerEnv(),
    // What the appliance environment's `activate` exports.
    ANSIBLE_CONFIG: path.join(environmentRoot, "ansible.cfg"),
    PKR_VAR_repo_root: applianceRoot,
    PKR_VAR_environment_root: environmentRoot,
    PACKER_LOG: "1",
    PACKER_CONFIG_DIR: path.join(dir, "config"),
  };
  const images = new ImageService(new OpenStackClient(loadCloudAuth(project.env, dir)));
  return { dir, env, varFile, gitCommit, images };
}

/** One image as the appliance's CI matrix gives it to `packer build` (`-var`s). */
export interface PackerBuildSpec {
  /** Names the run's directory and log. */
  label: string;
  imageName: string;
  sourceImageName: string;
  inventoryGroups: string;
  volumeSize?: number;
}

export interface PackerBuildRun {
  spec: PackerBuildSpec;
  imageId: string;
  imageName: string;
  /** `packer build`, start to exit (seconds). */
  packerSeconds: number;
  /** The CI's post-build calls (seconds). */
  postBuildSeconds: number;
  /** Phases from the log, the post-build counted in `properties`. */
  phases: Phases;
  /** Marker lines the log lacked. */
  missing: string[];
  logFile: string;
}

/**
 * Runs `packer build` for one image and then the CI's post-build on it.
 * The log (both streams, each line stamped on arrival) goes to
 * `<site>/<label>-<n>.log`.
 */
export async function packerBuild(
  site: PackerSite,
  spec: PackerBuildSpec,
): Promise<PackerBuildRun> {
  const { execa } = await import("execa");
  const runDir = fs.mkdtempSync(path.join(site.dir, `${spec.label}-`));
  const logFile = `${runDir}.log`;
  const manifest = path.join(runDir, "packer-manifest.json");
  const vars: Record<string, string> = {
    source_image_name: spec.sourceImageName,
    image_name: spec.imageName,
    inventory_groups: spec.inventoryGroups,
    git_commit: site.gitCommit,
    manifest_output_path: manifest,
    ...(spec.volumeSize !== undefined ? { volume_size: String(spec.volumeSize) } : {}),
  };
  const args = [
    "build",
    `-var-file=${site.varFile}`,
    ...Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`]),
    PACKER_TEMPLATE,
  ];
  const entries: LogEntry[] = [];
  const spawn = Date.now();
  const child = execa(toolPath("packer"), args, {
    cwd: runDir,
    env: site.env,
    extendEnv: false,
    stdin: "ignore",
    buffer: false,
    reject: false,
  });
  const collect = (stream: NodeJS.ReadableStream | null, name: LogEntry["stream"]) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on("line", (text) => entries.push({ t: Date.now(), stream: name, text }));
      rl.on("close", () => resolve());
    });
  const [result] = await Promise.all([
    child,
    collect(child.stdout, "out"),
    collect(child.stderr, "err"),
  ]);
  const exit = Date.now();
  fs.writeFileSync(logFile, entries.map(formatLogEntry).join("\n") + "\n");
  if (result.exitCode !== 0) {
    const tail = entries
      .filter((e) => e.stream === "out")
      .slice(-30)
      .map((e) => e.text)
      .join("\n");
    throw new Error(
      `packer build ${spec.label} failed (exit ${result.exitCode}); log ${logFile}:\n${tail}`,
    );
  }
  const imageId = manifestImageId(fs.readFileSync(manifest, "utf8"));
  if (!imageId) throw new Error(`packer build ${spec.label}: no artifact in ${manifest}`);
  const created = entries
    .map((e) => stepMessage(e.text))
    .find((m) => m?.startsWith("Creating the image: "));
  const imageName = created?.slice("Creating the image: ".length).trim() ?? spec.imageName;

  // The CI's post-build, through the REST client (the CI runs the same
  // calls with the `openstack` CLI, a second or more each).
  const postStart = Date.now();
  await ciPostBuild(site.images, imageId);
  const postBuildSeconds = (Date.now() - postStart) / 1000;

  const { phases, missing } = packerPhases(entries, spawn, exit);
  if (phases.properties !== undefined)
    phases.properties = Math.round((phases.properties + postBuildSeconds) * 10) / 10;
  return {
    spec,
    imageId,
    imageName,
    packerSeconds: (exit - spawn) / 1000,
    postBuildSeconds,
    phases,
    missing,
    logFile,
  };
}

/**
 * What the appliance's CI does after `packer build`: unset
 * `signature_verified` so that the image can be a source image (OpenStack bug
 * 1823445), then `dev/image-set-properties.sh` (the hw_* and os_* properties
 * by disk format).
 */
async function ciPostBuild(images: ImageService, imageId: string): Promise<void> {
  const image = await images.get(imageId);
  if (!image) throw new Error(`image ${imageId} from packer's manifest does not exist`);
  await images.update(imageId, applianceImageDefaults(image.disk_format ?? "raw", "rocky"), [
    "signature_verified",
  ]);
}
