import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLAIM_PROPERTY, finalImageProperties } from "../lib/imageProperties";
import { applyRetention } from "./retention";
import { OperationClock } from "../lib/intervals";
import { buildStackName, imageName } from "../lib/naming";
import { sshArgv } from "../lib/ansible/command";
import type { ImageService, VolumeService } from "../lib/openstack/images";
import { builderProgram, type BuildPhase } from "./builderProgram";
import type { BuildRequest, BuildResult } from "./request";

export interface RunnerContext {
  images: ImageService;
  volumes: VolumeService;
  projectRoot: string;
  /** Where logs and (for `onError: keep`) debug keys go. */
  stateDir: string;
  vaultPassword?: string;
  say: (message: string) => void;
  now?: () => Date;
}

/** The build stack's project: one per main project, one stack per main stack and build. */
export function buildProjectName(project: string): string {
  return `${project}-build`;
}

function gitCommit(repoRoot: string): string {
  try {
    return execFileSync("git", ["-C", repoRoot, "rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

export async function openBuildStack(request: BuildRequest): Promise<Stack> {
  const projectName = buildProjectName(request.project);
  const stackName = buildStackName(request.stack, request.spec.key);
  const noop = async () => ({});
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName, program: noop },
    {
      projectSettings: {
        name: projectName,
        runtime: "nodejs",
        description: "Short-lived builder resources of one image build (slurm-image-builder)",
        ...(request.buildState.backendUrl
          ? { backend: { url: request.buildState.backendUrl } }
          : {}),
      },
      secretsProvider: request.buildState.secretsProvider,
      envVars: { PULUMI_SKIP_UPDATE_CHECK: "true" },
    },
  );
  return stack;
}

/**
 * The part of an Automation API error worth showing: the engine's
 * "Diagnostics" (what failed and why), not the whole transcript twice.
 */
export function engineFailureSummary(err: unknown, maxLines = 40): string {
  const text = err instanceof Error ? err.message : String(err);
  const start = text.indexOf("Diagnostics:");
  if (start < 0) return text.split("\n").slice(-maxLines).join("\n");
  const lines = text.slice(start).split("\n");
  const end = lines.findIndex((l, i) => i > 0 && /^\s*(Outputs:|Resources:|err\?:)/.test(l));
  const block = (end > 0 ? lines.slice(0, end) : lines).filter(
    (l) => !/provider config warning/.test(l),
  );
  return block.slice(0, maxLines).join("\n");
}

async function resourceCount(stack: Stack): Promise<number> {
  const state = await stack.exportStack();
  const resources = (state.deployment as { resources?: { type: string }[] }).resources ?? [];
  return resources.filter(
    (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
  ).length;
}

/** Removes what an earlier failed (or kept) build left behind, through the engine. */
export async function destroyBuildStack(
  stack: Stack,
  ctx: RunnerContext,
  why: string,
  clock?: OperationClock,
  removeStack = true,
): Promise<void> {
  if ((await resourceCount(stack)) > 0) {
    ctx.say(`${why}: destroying build stack ${stack.name}`);
    await stack.destroy({
      onOutput: (out) => relay(out, ctx),
      onEvent: clock ? (event) => timeCloudOperations(event, clock) : undefined,
      color: "never",
    });
  }
  if (!removeStack) return;
  await stack.workspace.removeStack(stack.name);
  // The key written for `onError: keep` is useless once its builder is gone.
  fs.rmSync(debugDir(ctx, stack.name), { recursive: true, force: true });
}

/** Resource operations on the cloud (not tls keys, not the Ansible command) count as waiting on it. */
function timeCloudOperations(event: EngineEvent, clock: OperationClock): void {
  const pre = event.resourcePreEvent?.metadata;
  if (pre) clock.start(pre.urn, pre.type);
  const done = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
  if (done) clock.end(done.urn);
}

function debugDir(ctx: RunnerContext, stackName: string): string {
  return path.join(ctx.stateDir, "debug", stackName);
}

function relay(out: string, ctx: RunnerContext): void {
  for (const line of out.split("\n")) {
    const trimmed = line.trimEnd();
    if (trimmed) ctx.say(`  ${trimmed}`);
  }
}

export async function runBuild(request: BuildRequest, ctx: RunnerContext): Promise<BuildResult> {
  const { spec } = request;
  const now = ctx.now ?? (() => new Date());
  const timings: Record<string, number> = {};
  const time = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      timings[step] = (timings[step] ?? 0) + (Date.now() - started) / 1000;
    }
  };

  // An earlier run may have uploaded this very image and then failed: use it.
  const already = (
    await ctx.images.findByProperty("image_build_fingerprint", request.fingerprint)
  ).find(
    (img) =>
      img.status === "active" &&
      img.image_build_key === spec.key &&
      img.image_build_stack === request.stack,
  );

  const stack = await openBuildStack(request);
  // Reused for this build: one stack per build key, emptied first.
  await destroyBuildStack(
    stack,
    ctx,
    "leftovers of an earlier build found",
    undefined,
    !!already,
  ).catch((err: unknown) => {
    throw new Error(`could not clean up the earlier build stack ${stack.name}: ${String(err)}`);
  });

  // This create's claim on the image it builds or adopts (see CLAIM_PROPERTY).
  const claim = randomUUID();
  if (already) {
    ctx.say(
      `image ${already.name} (${already.id}) with fingerprint ${request.fingerprint} exists already: using it`,
    );
    await ctx.images.update(already.id, { [CLAIM_PROPERTY]: claim }, []);
    return {
      ...resultFrom(
        already.id,
        already.name,
        request,
        String(already.image_build_git_commit ?? ""),
        String(already.image_build_time ?? ""),
        timings,
      ),
      history: await applyRetention(request, already.id, ctx.images, ctx.say),
      claim,
    };
  }

  // Time spent waiting on the cloud: its resource operations, the REST calls
  // below and the wait for the builder's SSH (the VM booting).
  const cloud = new OperationClock((type) => type.startsWith("openstack:"));
  const onCloud = async <T>(fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      cloud.add({ start, end: Date.now() });
    }
  };
  await time("sourceCheck", () => onCloud(() => checkSourceImage(request, ctx)));

  const commit = gitCommit(request.appliance.repoRoot);
  const builtAt = now();
  const name = imageName(spec.image.namePrefix, spec.image.nameVersion, builtAt, commit);
  const logFile = path.join(
    ctx.stateDir,
    "logs",
    request.stack,
    `${spec.key}-${builtAt.toISOString().replace(/[:.]/g, "")}.log`,
  );
  const fresh = stack;
  const programFor = (phase: BuildPhase) =>
    builderProgram(request, phase, {
      projectRoot: ctx.projectRoot,
      logFile,
      vaultPassword: ctx.vaultPassword,
      ansibleEnvironment: process.env.PATH ? { PATH: process.env.PATH } : undefined,
    });
  const up = (phase: BuildPhase) =>
    fresh.up({
      program: programFor(phase),
      onOutput: (out) => relay(out, ctx),
      onEvent: (event) => timeCloudOperations(event, cloud),
      color: "never",
    });

  ctx.say(
    `build ${spec.key}: image ${name} from ${request.sourceImageId}, groups ${["builder", ...spec.inventoryGroups].join(",")}`,
  );
  let provisioned;
  try {
    provisioned = await time("provision", () => up("provision"));
  } catch (err) {
    const summary = engineFailureSummary(err);
    await onBuildFailure(fresh, request, ctx, summary);
    throw new Error(`build ${spec.key} failed while provisioning the builder:\n${summary}`);
  }
  const window = /ANSIBLE_WINDOW=(\d+)-(\d+)/.exec(provisioned.stdout);
  const ansibleWindow = window ? { start: Number(window[1]), end: Number(window[2]) } : undefined;
  if (ansibleWindow) timings.ansible = (ansibleWindow.end - ansibleWindow.start) / 1000;
  const sshWait = /SSH_WAIT=(\d+)-(\d+)/.exec(provisioned.stdout);
  if (sshWait) cloud.add({ start: Number(sshWait[1]), end: Number(sshWait[2]) });

  let imageId: string | undefined;
  try {
    // The server is stopped, then deleted (stopBeforeDestroy); the volume stays.
    const released = await time("release", () => up("release"));
    const volumeId = String(released.outputs.volumeId?.value ?? "");
    await time("upload", () =>
      onCloud(async () => {
        await ctx.volumes.waitStatus(volumeId, "available", 10 * 60_000);
        ctx.say(`uploading volume ${volumeId} to image ${name} (${spec.image.diskFormat})`);
        imageId = await ctx.volumes.uploadToImage(volumeId, name, spec.image.diskFormat);
        await ctx.images.waitActive(imageId, spec.image.activeTimeoutMinutes * 60_000, ctx.say);
      }),
    );
    await time("properties", () =>
      onCloud(async () => {
        const props = finalImageProperties(
          spec.image.diskFormat,
          spec.sshUsername,
          spec.image.metadata,
          {
            fingerprint: request.fingerprint,
            gitCommit: commit,
            sourceImageId: request.sourceImageId,
            inventoryGroups: spec.inventoryGroups,
            builtAt,
            buildKey: spec.key,
            stack: request.stack,
          },
        );
        // The upload copies the volume's image metadata, which may include
        // signature_verified: an image carrying it can't be a source (bug 1823445).
        await ctx.images.update(
          imageId!,
          { ...props, [CLAIM_PROPERTY]: claim },
          ["signature_verified"],
          spec.image.visibility,
        );
      }),
    );
  } catch (err) {
    const summary = engineFailureSummary(err);
    ctx.say(`build ${spec.key} failed after Ansible:\n${summary}`);
    if (imageId) {
      ctx.say(`deleting the incomplete image ${imageId}`);
      await ctx.images.delete(imageId).catch(() => undefined);
    }
    await destroyBuildStack(fresh, ctx, "cleaning up after the failure").catch(
      (cleanupErr: unknown) =>
        ctx.say(`cleanup failed too: ${engineFailureSummary(cleanupErr)}; the next run retries it`),
    );
    throw new Error(`build ${spec.key} failed after Ansible:\n${summary}`);
  }

  await time("teardown", () => destroyBuildStack(fresh, ctx, "build finished", cloud));
  timings.cloud = cloud.seconds();
  ctx.say(`build ${spec.key}: image ${name} (${imageId}) is active`);
  const result = {
    ...resultFrom(imageId!, name, request, commit, builtAt.toISOString(), timings),
    ansibleWindow,
    history: await applyRetention(request, imageId!, ctx.images, ctx.say),
    claim,
  };
  if (request.manifestOutputPath) appendManifest(request.manifestOutputPath, result, spec.key);
  return result;
}

function resultFrom(
  imageId: string,
  name: string,
  request: BuildRequest,
  commit: string,
  builtAt: string,
  timings: Record<string, number>,
): BuildResult {
  return {
    imageId,
    imageName: name,
    fingerprint: request.fingerprint,
    sourceImageId: request.sourceImageId,
    inventoryGroups: request.spec.inventoryGroups,
    gitCommit: commit,
    builtAt,
    timings: Object.fromEntries(
      Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]),
    ),
  };
}

/** OpenStack bug 1823445: a volume can't be made from an image carrying `signature_verified`. */
async function checkSourceImage(request: BuildRequest, ctx: RunnerContext): Promise<void> {
  const source = await ctx.images.get(request.sourceImageId);
  if (!source)
    throw new Error(
      `source image ${request.sourceImageId} of build ${request.spec.key} does not exist (or is not visible to this project)`,
    );
  if (source.status !== "active")
    throw new Error(`source image ${source.name} (${source.id}) is ${source.status}, not active`);
  if ("signature_verified" in source) {
    if (request.spec.sourceImageSignatureVerified === "unset") {
      ctx.say(
        `source image ${source.id} has signature_verified: removing it (sourceImageSignatureVerified: unset)`,
      );
      try {
        await ctx.images.update(source.id, {}, ["signature_verified"]);
      } catch (err) {
        throw new Error(
          `source image ${source.name} (${source.id}) has signature_verified and it could not be removed (${err instanceof Error ? err.message : String(err)}). ` +
            `Only the image's owner or an admin can: ask them to run \`openstack image unset --property signature_verified ${source.id}\`.`,
        );
      }
    } else {
      throw new Error(
        `source image ${source.name} (${source.id}) has the property signature_verified, so the cloud cannot make a volume from it (OpenStack bug 1823445). ` +
          `Fix: openstack image unset --property signature_verified ${source.id} — or set sourceImageSignatureVerified: unset to let the build do it.`,
      );
    }
  }
}

async function onBuildFailure(
  stack: Stack,
  request: BuildRequest,
  ctx: RunnerContext,
  err: unknown,
): Promise<void> {
  const { spec } = request;
  ctx.say(
    `build ${spec.key} failed: ${err instanceof Error ? err.message.split("\n").slice(-30).join("\n") : String(err)}`,
  );
  if (spec.onError === "keep") {
    const outputs = await stack.outputs().catch(() => ({}) as Record<string, { value: unknown }>);
    const address = outputs.address?.value as string | undefined;
    const privateKey = outputs.privateKey?.value as string | undefined;
    if (address && privateKey) {
      const keyFile = path.join(debugDir(ctx, stack.name), "id_builder");
      fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
      fs.writeFileSync(keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, {
        mode: 0o600,
      });
      const ssh = sshArgv({
        host: String(outputs.hostName?.value ?? ""),
        address,
        user: spec.sshUsername,
        privateKeyFile: keyFile,
        bastion: spec.bastion,
      });
      ctx.say(
        `onError: keep — the builder is left running for debugging. Log in with:\n    ${ssh.map(shellQuote).join(" ")}`,
      );
    } else {
      ctx.say(`onError: keep — the builder's resources are kept in build stack ${stack.name}`);
    }
    ctx.say(`the next \`pulumi up\` removes it and builds again`);
    return;
  }
  await destroyBuildStack(stack, ctx, "onError: cleanup").catch((cleanupErr: unknown) =>
    ctx.say(`cleanup failed too: ${String(cleanupErr)}; the next run retries it`),
  );
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Packer's manifest (`manifestOutputPath`): one entry per build, artifact_id = image id. */
function appendManifest(file: string, result: BuildResult, key: string): void {
  let manifest: { builds: unknown[]; last_run_uuid?: string } = { builds: [] };
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // new manifest
  }
  manifest.builds.push({
    name: key,
    builder_type: "openstack",
    build_time: Math.floor(Date.parse(result.builtAt) / 1000),
    artifact_id: result.imageId,
    custom_data: {
      image_name: result.imageName,
      fingerprint: result.fingerprint,
      source_image_id: result.sourceImageId,
    },
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
}
