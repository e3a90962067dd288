/**
 * What every runner mode works with: the cloud (the runner's own REST
 * client), where logs go, the secrets from stdin, and how to report.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import {
  decodeConnection,
  describeConnection,
  resolveCloud,
  type CloudSecrets,
  type ResolvedCloud,
} from "../lib/openstack/connection";
import { BuilderLeftovers } from "../lib/openstack/builderLeftovers";
import { ImageService, VolumeService } from "../lib/openstack/images";
import { NetworkService } from "../lib/openstack/network";
import { ServerService } from "../lib/openstack/servers";
import { decodeBuildSecrets, ENV, sayTo, type BuildSecrets, type Say } from "../lib/protocol";

export interface RunnerContext {
  /** The run's cloud connection, as the main stack resolved it (also the build stack's). */
  cloud: ResolvedCloud;
  images: ImageService;
  volumes: VolumeService;
  servers: ServerService;
  network: NetworkService;
  /** Finds what an interrupted build left in the cloud that no state knows. */
  leftovers: BuilderLeftovers;
  /**
   * The Pulumi project directory: the command's working directory (the
   * checkout, or the site directory of the package). A project clouds.yaml
   * and the default `.build-state/` are here.
   */
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
  const projectRoot = process.cwd();
  const secrets = decodeBuildSecrets(readStdin());
  const cloud = runnerCloudFrom(env[ENV.cloud], secrets.cloud, env, projectRoot);
  processCloud = cloud;
  if (cloud.connection.tls.insecure)
    say(
      `warning: TLS certificates of ${cloud.connection.authUrl} are not verified (insecure, from ${cloud.connection.source})`,
    );
  const client = new OpenStackClient(cloudAuth(cloud.connection, cloud.secrets), undefined, {
    notice: say,
    // A delete runs with the credentials stored at the last `up`; after a
    // password change the environment (clouds.yaml, OS_*) may have the new one.
    fallbackSecrets: () => {
      const live = sameIdentity(cloud, env, projectRoot);
      if (live) cloud.secrets = live.secrets;
      return live?.secrets;
    },
  });
  return {
    cloud,
    images: new ImageService(client),
    volumes: new VolumeService(client),
    servers: new ServerService(client),
    network: new NetworkService(client),
    leftovers: new BuilderLeftovers(client),
    projectRoot,
    stateDir: env[ENV.stateDir] ?? path.join(projectRoot, ".build-state"),
    secrets,
    say,
    signal,
  };
}

/** The same cloud, user and project resolved from the environment, with other secrets; else undefined. */
function sameIdentity(
  cloud: ResolvedCloud,
  env: NodeJS.ProcessEnv,
  cwd: string,
): ResolvedCloud | undefined {
  let live: ResolvedCloud;
  try {
    live = resolveCloud({ env, cwd });
  } catch {
    return undefined;
  }
  const a = cloud.connection;
  const b = live.connection;
  const same =
    a.authUrl === b.authUrl &&
    a.authType === b.authType &&
    a.username === b.username &&
    a.userId === b.userId &&
    a.applicationCredentialId === b.applicationCredentialId &&
    a.projectName === b.projectName &&
    a.projectId === b.projectId;
  return same && JSON.stringify(live.secrets) !== JSON.stringify(cloud.secrets) ? live : undefined;
}

let processCloud: ResolvedCloud | undefined;

/**
 * This runner process's cloud connection: the one its context was made
 * with (runnerContext), so that the build stack's engine gets exactly what
 * the REST client uses (runner/buildStack.ts).
 */
export function runnerCloud(env: NodeJS.ProcessEnv = process.env): ResolvedCloud {
  processCloud ??= runnerCloudFrom(env[ENV.cloud], undefined, env, process.cwd());
  return processCloud;
}

/**
 * The connection the main stack passed (ENV.cloud, plain) with its secrets
 * (stdin). A runner started by hand, or by a stack of an earlier release,
 * resolves it from the environment with the same rules. Secrets missing on
 * stdin come from the environment when it has the same cloud.
 */
export function runnerCloudFrom(
  connectionJson: string | undefined,
  secrets: CloudSecrets | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): ResolvedCloud {
  if (!connectionJson) return resolveCloud({ env, cwd });
  const connection = decodeConnection(connectionJson);
  if (secrets && Object.keys(secrets).length > 0) return { connection, secrets };
  let fromEnv: ResolvedCloud | undefined;
  try {
    fromEnv = resolveCloud({ env, cwd });
  } catch {
    // reported below
  }
  if (
    fromEnv &&
    fromEnv.connection.authUrl === connection.authUrl &&
    fromEnv.connection.authType === connection.authType
  )
    return { connection, secrets: fromEnv.secrets };
  throw new Error(
    `no credentials for ${describeConnection(connection)} were passed to this runner: run \`pulumi up\` (it passes them) before this operation`,
  );
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
