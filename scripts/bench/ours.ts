/**
 * This program's side of `npm run bench`: `pulumi up` of a stack of the
 * bench's local project, and what each build it made reports.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LocalProject } from "../localProject";
import { ourPhases, type OurBuild, type Phases } from "./phases";

/** A build's entry of the `images` output, as far as the bench reads it. */
export interface ImageEntry {
  imageId: string;
  imageName: string;
  build?: OurBuild & { builtAt: string };
}

export interface OurBuildRun {
  key: string;
  build: OurBuild;
  phases: Phases;
}

export interface UpRun {
  /** Seconds of `pulumi up`. */
  wall: number;
  images: Record<string, ImageEntry>;
  /** The builds this `up` made (not those it kept). */
  built: OurBuildRun[];
}

/**
 * The text of the runner log of the build of `key` that made `imageName`, among those
 * written in `dir` since `since` (epoch ms): the one whose runner says
 * `build <key>: image <imageName> ...` (a replaced build's delete writes a log
 * of its own too).
 */
export function runnerLogOf(
  dir: string,
  key: string,
  imageName: string,
  since: number,
): string | undefined {
  const pattern = new RegExp(
    `^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{4}-\\d\\d-\\d\\dT\\d+Z\\.runner\\.log$`,
  );
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => pattern.test(n));
  } catch {
    return undefined;
  }
  for (const f of names.map((n) => path.join(dir, n))) {
    if (fs.statSync(f).mtimeMs < since) continue;
    const text = fs.readFileSync(f, "utf8");
    if (text.includes(`build ${key}: image ${imageName} `)) return text;
  }
  return undefined;
}

/** `pulumi up` of `stack`, timed, with the phases of each build it made. */
export async function timedUp(project: LocalProject, stack: Stack): Promise<UpRun> {
  const start = Date.now();
  await stack.up({ color: "never" });
  const wall = (Date.now() - start) / 1000;
  const images = (await stack.outputs()).images.value as Record<string, ImageEntry>;
  const logDir = path.join(project.env.IMAGE_BUILD_STATE_DIR, "logs", stack.name);
  const built: OurBuildRun[] = [];
  for (const [key, entry] of Object.entries(images)) {
    const b = entry.build;
    if (!b || Date.parse(b.builtAt) < start) continue;
    const phases = ourPhases(b, runnerLogOf(logDir, key, entry.imageName, start));
    built.push({ key, build: b, phases });
  }
  return { wall, images, built };
}
