/**
 * What every runner mode works with: the cloud (the runner's own REST
 * client), where logs go, the secrets from stdin, and how to report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import { ImageService, VolumeService } from "../lib/openstack/images";
import { decodeBuildSecrets, ENV, sayTo, type BuildSecrets, type Say } from "../lib/protocol";

export interface RunnerContext {
  images: ImageService;
  volumes: VolumeService;
  projectRoot: string;
  /** Where logs and (for `onError: keep`) debug keys go. */
  stateDir: string;
  secrets: BuildSecrets;
  say: Say;
  now?: () => Date;
}

/** Secrets come on stdin as JSON (see components/ImageBuild.ts), never in the environment. */
function readStdin(): string {
  if (process.stdin.isTTY) return "";
  try {
    return fs.readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

export function runnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  const projectRoot = path.resolve(__dirname, "..");
  const client = new OpenStackClient(loadCloudAuth(env, projectRoot));
  return {
    images: new ImageService(client),
    volumes: new VolumeService(client),
    projectRoot,
    stateDir: env[ENV.stateDir] ?? path.join(projectRoot, ".build-state"),
    secrets: decodeBuildSecrets(readStdin()),
    say: sayTo(process.stdout),
  };
}

/** Files of one build (or one clean-up) of a build key. */
export interface BuildFiles {
  /** Ansible's whole output. */
  ansibleLog: string;
  /** The build stack engine's transcript. */
  engineLog: string;
  /** The private key written for `onError: keep`. */
  debugDir: string;
}

export function buildFiles(
  ctx: Pick<RunnerContext, "stateDir">,
  stack: string,
  key: string,
  buildStack: string,
  at: Date,
): BuildFiles {
  const base = path.join(
    ctx.stateDir,
    "logs",
    stack,
    `${key}-${at.toISOString().replace(/[:.]/g, "")}`,
  );
  return {
    ansibleLog: `${base}.log`,
    engineLog: `${base}.engine.log`,
    debugDir: path.join(ctx.stateDir, "debug", buildStack),
  };
}
