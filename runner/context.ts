/**
 * What every runner mode works with: the cloud (the runner's own REST
 * client), where logs go, the secrets from stdin, and how to report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import { BuilderLeftovers } from "../lib/openstack/builderLeftovers";
import { ImageService, VolumeService } from "../lib/openstack/images";
import { decodeBuildSecrets, ENV, sayTo, type BuildSecrets, type Say } from "../lib/protocol";

export interface RunnerContext {
  images: ImageService;
  volumes: VolumeService;
  /** Finds what an interrupted build left in the cloud that no state knows. */
  leftovers: BuilderLeftovers;
  projectRoot: string;
  /** Where logs and (for `onError: keep`) debug keys go. */
  stateDir: string;
  secrets: BuildSecrets;
  say: Say;
  /** Aborted when the run is to stop (its runner was interrupted). */
  signal?: AbortSignal;
  /** This run's files, when the caller named them already. */
  files?: BuildFiles;
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

export function runnerContext(
  env: NodeJS.ProcessEnv = process.env,
  say: Say = sayTo(process.stdout),
  signal?: AbortSignal,
): RunnerContext {
  const projectRoot = path.resolve(__dirname, "..");
  const client = new OpenStackClient(loadCloudAuth(env, projectRoot));
  return {
    images: new ImageService(client),
    volumes: new VolumeService(client),
    leftovers: new BuilderLeftovers(client),
    projectRoot,
    stateDir: env[ENV.stateDir] ?? path.join(projectRoot, ".build-state"),
    secrets: decodeBuildSecrets(readStdin()),
    say,
    signal,
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
  /** What the runner said (also after its output was cut by an interruption). */
  runnerLog: string;
  /** The Ansible step's private working directory (key, vault password, extra vars). */
  workDir: string;
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
    runnerLog: `${base}.runner.log`,
    debugDir: path.join(ctx.stateDir, "debug", buildStack),
    workDir: workDirOf(ctx, buildStack),
  };
}

/**
 * Where the Ansible step keeps its secrets while it runs (0700): a known
 * place, so that the next run removes what a killed one left.
 */
export function workDirOf(ctx: Pick<RunnerContext, "stateDir">, buildStack: string): string {
  return path.join(ctx.stateDir, "work", buildStack);
}
