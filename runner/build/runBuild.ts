/**
 * The `build` mode of the build runner: adopt the image an earlier run
 * already made, or build it in the build stack step by step:
 *
 *   sourceCheck → provision → release → upload → properties → teardown → retention
 *
 * The build stack runs the engine twice: one `up` (keypair, volume, server,
 * Ansible) and one `destroy`. In between, the runner stops and deletes the
 * server itself and uploads the volume; before the destroy it deletes the
 * volume itself. The engine tracks every resource throughout; its provider
 * then finds them gone and does not wait (see removableAhead).
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ansibleFailure } from "../../lib/ansible/output";
import { finalImageProperties } from "../../lib/imageProperties";
import { OperationClock } from "../../lib/intervals";
import { buildStackName, imageName } from "../../lib/naming";
import type { GlanceImage } from "../../lib/openstack/images";
import { fingerprintFilter, PROVENANCE, readProvenance } from "../../lib/provenance";
import { builderRefOf, type BuildRequest, type BuildResult } from "../../lib/protocol";
import { builderNames, builderProgram } from "../../buildstack/program";
import {
  destroyBuildStack,
  engineFailureSummary,
  engineOptions,
  openBuildStack,
  provisionedBuilder,
  recoverBuildStack,
} from "../buildStack";
import { buildFiles, type BuildFiles, type RunnerContext } from "../context";
import { applyRetention } from "../retention";
import { keepBuilder } from "./keepBuilder";
import { appendManifest } from "./manifest";
import { checkSourceImage } from "./sourceCheck";
import {
  need,
  runSteps,
  windowSeconds,
  type BuildRun,
  type BuildStep,
  type Timings,
} from "./steps";

export async function runBuild(request: BuildRequest, ctx: RunnerContext): Promise<BuildResult> {
  const { spec } = request;
  const now = ctx.now ?? (() => new Date());
  const startedAt = now();
  const files =
    ctx.files ??
    buildFiles(ctx, request.stack, spec.key, buildStackName(request.stack, spec.key), startedAt);
  const timings: Timings = {};

  // An earlier run may have uploaded this very image and then failed or been
  // interrupted: use it when it is complete, remove it when it is not.
  const earlier = await ctx.images.list(
    fingerprintFilter(request.fingerprint, spec.key, request.stack),
  );
  const already = earlier.find((img) => img.status === "active");
  for (const stale of earlier.filter((img) => img.status !== "active")) {
    ctx.say(
      `removing the incomplete image ${stale.name} (${stale.id}, ${stale.status}) an interrupted run left`,
    );
    await ctx.images.delete(stale.id);
  }

  const stack = await openBuildStack(builderRefOf(request));
  // Reused for this build: one stack per build key, emptied first, also
  // after an interrupted run (whose engine may still be finishing).
  removeSecretsOfKilledRun(files, ctx);
  await recoverBuildStack(
    stack,
    { transcriptFile: files.engineLog, say: ctx.say, debugDir: files.debugDir, ahead: ctx },
    { names: builderNames(builderRefOf(request)), cloud: ctx.leftovers },
    !!already,
  ).catch((err: unknown) => {
    throw new Error(
      `could not clean up the earlier build stack ${stack.name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });

  const claim = randomUUID();
  if (already) return adopt(already, request, ctx, claim, timings);

  const commit = gitCommit(request.appliance.repoRoot);
  const build: BuildRun = {
    request,
    ctx,
    stack,
    files,
    name: imageName(spec.image.namePrefix, spec.image.nameVersion, startedAt, commit),
    commit,
    builtAt: startedAt,
    claim,
    cloud: new OperationClock((type) => type.startsWith("openstack:")),
    made: {},
  };
  ctx.say(
    `build ${spec.key}: image ${build.name} from ${request.sourceImageId}, groups ${["builder", ...spec.inventoryGroups].join(",")}`,
  );
  ctx.say(`logs: Ansible ${files.ansibleLog}, engine ${files.engineLog}`);
  await runSteps(build, BUILD_STEPS, timings);

  const ansible = windowSeconds(build.made.provision?.ansible);
  if (ansible !== undefined) timings.ansible = ansible;
  timings.cloud = build.cloud.seconds();
  const imageId = need(build.made.imageId, "the image", "retention");
  ctx.say(`build ${spec.key}: image ${build.name} (${imageId}) is active`);
  const result: BuildResult = {
    ...resultFrom(imageId, build.name, request, commit, build.builtAt.toISOString(), timings),
    ansibleWindow: build.made.provision?.ansible,
    history: build.made.history,
    claim,
  };
  if (request.manifestOutputPath) appendManifest(request.manifestOutputPath, result, spec.key);
  return result;
}

/** The steps of a build, in order. */
export const BUILD_STEPS: BuildStep[] = [
  {
    name: "sourceCheck",
    run: (b) => onCloud(b, () => checkSourceImage(b.request, b.ctx)).then(() => ({})),
  },
  {
    // Keypair, volume, server, Ansible: one `pulumi up` of the build stack.
    name: "provision",
    failure: "while provisioning the builder",
    run: async (b) => {
      await b.stack.up(stackUp(b)).finally(() => fs.rmSync(failedMarker(b.files), { force: true }));
      const { provision, serverId, volumeId } = await provisionedBuilder(b.stack);
      if (provision) b.cloud.add(provision.sshWait);
      return { provision, serverId, volumeId };
    },
    summarise: (b, err) => provisionFailure(b.files, err),
    cleanup: async (b, failed) => {
      if (failed === "provision" && b.request.spec.onError === "keep") {
        await keepBuilder(b.stack, b.request.spec, b.files.debugDir, b.ctx.say);
        return;
      }
      fs.rmSync(b.files.workDir, { recursive: true, force: true });
      const why = failed === "provision" ? "onError: cleanup" : "cleaning up after the failure";
      await destroyBuildStack(b.stack, cleanupWatch(b), why);
    },
  },
  {
    // Stopped first, as Packer does (a clean shutdown flushes the file system
    // that becomes the image), then deleted; the volume stays for the upload.
    // The server stays in the build stack's state until the destroy, which
    // then finds it gone.
    name: "release",
    failure: "after Ansible",
    run: (b) =>
      onCloud(b, async () => {
        const serverId = need(b.made.serverId, "the builder server", "release");
        const started = Date.now();
        await b.ctx.servers.stop(serverId, RELEASE_TIMEOUT_MS, b.ctx.signal);
        const stopped = Date.now();
        await b.ctx.servers.delete(serverId, RELEASE_TIMEOUT_MS, b.ctx.signal);
        b.ctx.say(
          `builder server stopped (${seconds(started, stopped)} s) and deleted (${seconds(stopped, Date.now())} s)`,
        );
        return {};
      }),
  },
  {
    name: "upload",
    failure: "after Ansible",
    run: (b) =>
      onCloud(b, async () => {
        const { spec } = b.request;
        const volumeId = need(b.made.volumeId, "the builder volume", "upload");
        const started = Date.now();
        await b.ctx.volumes.waitStatus(volumeId, "available", 10 * 60_000, b.ctx.signal);
        b.ctx.say(`uploading volume ${volumeId} to image ${b.name} (${spec.image.diskFormat})`);
        const imageId = await b.ctx.volumes.uploadToImage(volumeId, b.name, spec.image.diskFormat);
        // Recorded before the wait, so a failed wait deletes the incomplete image,
        // and marked, so the next run finds it if this one is killed meanwhile.
        b.made.imageId = imageId;
        await markUpload(b, imageId);
        await b.ctx.images.waitActive(
          imageId,
          spec.image.activeTimeoutMinutes * 60_000,
          b.ctx.say,
          undefined,
          b.ctx.signal,
        );
        b.ctx.say(`image ${b.name} active (${Math.round((Date.now() - started) / 1000)} s)`);
        return { imageId };
      }),
    cleanup: async (b) => {
      if (!b.made.imageId) return;
      // A complete upload is never thrown away: it carries the build's
      // fingerprint, and the next run adopts it (and sets its properties).
      const image = await b.ctx.images.get(b.made.imageId).catch(() => undefined);
      if (image?.status === "active") {
        b.ctx.say(`keeping the uploaded image ${b.made.imageId}: the next run adopts it`);
        return;
      }
      b.ctx.say(`deleting the incomplete image ${b.made.imageId}`);
      await b.ctx.images.delete(b.made.imageId);
    },
  },
  {
    name: "properties",
    failure: "after Ansible",
    run: (b) =>
      onCloud(b, async () => {
        const { spec } = b.request;
        const props = finalImageProperties(
          spec.image.diskFormat,
          spec.sshUsername,
          spec.image.metadata,
          {
            fingerprint: b.request.fingerprint,
            gitCommit: b.commit,
            sourceImageId: b.request.sourceImageId,
            inventoryGroups: spec.inventoryGroups,
            builtAt: b.builtAt,
            buildKey: spec.key,
            stack: b.request.stack,
          },
        );
        // The upload copies the volume's image metadata, which may include
        // signature_verified: an image carrying it can't be a source (bug 1823445).
        await b.ctx.images.update(
          need(b.made.imageId, "the image", "properties"),
          { ...props, [PROVENANCE.claim]: b.claim },
          ["signature_verified"],
          spec.image.visibility,
        );
        return {};
      }),
  },
  {
    // The volume and keypair go; the image is complete from here on.
    name: "teardown",
    completes: true,
    run: async (b) => {
      const started = Date.now();
      await destroyBuildStack(b.stack, cleanupWatch(b), "build finished");
      b.ctx.say(`builder removed (${Math.round((Date.now() - started) / 1000)} s)`);
      return {};
    },
  },
  {
    name: "retention",
    run: async (b) => ({
      history: await applyRetention(
        b.request,
        need(b.made.imageId, "the image", "retention"),
        b.ctx.images,
        b.ctx.say,
      ),
    }),
  },
];

/** The build's provenance on an image still uploading: how a next run recognises it. */
async function markUpload(b: BuildRun, imageId: string): Promise<void> {
  try {
    await b.ctx.images.update(
      imageId,
      {
        ...fingerprintFilter(b.request.fingerprint, b.request.spec.key, b.request.stack),
        [PROVENANCE.claim]: b.claim,
      },
      [],
    );
  } catch (err) {
    b.ctx.say(
      `could not mark the uploading image ${imageId} (${err instanceof Error ? err.message : String(err)}); if this run is interrupted, delete it by hand`,
    );
  }
}

/** The image an earlier run of this build made (same fingerprint): claim it, build nothing. */
async function adopt(
  image: GlanceImage,
  request: BuildRequest,
  ctx: RunnerContext,
  claim: string,
  timings: Timings,
): Promise<BuildResult> {
  ctx.say(
    `image ${image.name} (${image.id}) with fingerprint ${request.fingerprint} exists already: using it`,
  );
  // Its run may have ended before the properties step: set them all again.
  const provenance = readProvenance(image);
  const { spec } = request;
  const builtAt = provenance.builtAt || String(image.created_at ?? new Date().toISOString());
  const commit = provenance.gitCommit || gitCommit(request.appliance.repoRoot);
  const props = finalImageProperties(spec.image.diskFormat, spec.sshUsername, spec.image.metadata, {
    fingerprint: request.fingerprint,
    gitCommit: commit,
    sourceImageId: request.sourceImageId,
    inventoryGroups: spec.inventoryGroups,
    builtAt: new Date(builtAt),
    buildKey: spec.key,
    stack: request.stack,
  });
  await ctx.images.update(
    image.id,
    { ...props, [PROVENANCE.claim]: claim },
    ["signature_verified"],
    spec.image.visibility,
  );
  return {
    ...resultFrom(image.id, image.name, request, commit, new Date(builtAt).toISOString(), timings),
    history: await applyRetention(request, image.id, ctx.images, ctx.say),
    claim,
  };
}

/** Engine runs of the build's steps: cancelled (SIGINT) when the run is interrupted. */
function watch(b: BuildRun) {
  return {
    transcriptFile: b.files.engineLog,
    say: b.ctx.say,
    cloud: b.cloud,
    debugDir: b.files.debugDir,
    signal: b.ctx.signal,
    ahead: b.ctx,
  };
}

/** How long stopping or deleting the builder server may take. */
const RELEASE_TIMEOUT_MS = 10 * 60_000;

function seconds(from: number, to: number): number {
  return Math.round((to - from) / 1000);
}

/** Clean-ups run after an interruption too, but not for ever. */
function cleanupWatch(b: BuildRun) {
  return { ...watch(b), signal: AbortSignal.timeout(CLEANUP_MINUTES * 60_000) };
}

/** How long the clean-up after an interruption may take before it is left to the next run. */
const CLEANUP_MINUTES = 15;

/** A killed Ansible step leaves its private directory (key, vault password): never for long. */
function removeSecretsOfKilledRun(files: BuildFiles, ctx: RunnerContext): void {
  if (!fs.existsSync(files.workDir)) return;
  ctx.say(`removing the private files an interrupted Ansible step left (${files.workDir})`);
  fs.rmSync(files.workDir, { recursive: true, force: true });
}

function stackUp(b: BuildRun) {
  const builderFailedFile = failedMarker(b.files);
  fs.rmSync(builderFailedFile, { force: true });
  return {
    ...engineOptions({
      ...watch(b),
      onResourceFailed: (type) => {
        if (!type.startsWith("openstack:")) return;
        fs.mkdirSync(path.dirname(builderFailedFile), { recursive: true });
        fs.writeFileSync(
          builderFailedFile,
          `creating the builder's ${type.split(":").pop()} failed (see ${b.files.engineLog})\n`,
        );
      },
    }),
    program: builderProgram(b.request, {
      projectRoot: b.ctx.projectRoot,
      logFile: b.files.ansibleLog,
      workDir: b.files.workDir,
      builderFailedFile,
      vaultPassword: b.ctx.secrets.vaultPassword,
      secretExtraVars: b.ctx.secrets.secretExtraVars,
      ansibleEnvironment: process.env.PATH ? { PATH: process.env.PATH } : undefined,
    }),
  };
}

/** Where the provision step learns that a builder resource failed (ProvisionSpec.builderFailedFile). */
function failedMarker(files: BuildFiles): string {
  return `${files.workDir}.failed`;
}

/** Runs `fn`, counting its time as time waiting on the cloud. */
async function onCloud<T>(b: BuildRun, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    b.cloud.add({ start, end: Date.now() });
  }
}

/** Ansible's failed task and message first (from its log), then the engine's diagnostics. */
async function provisionFailure(files: BuildFiles, err: unknown): Promise<string> {
  const ansible = ansibleFailure(logTail(files.ansibleLog));
  const engine = engineFailureSummary(err, ansible ? 20 : 40);
  return ansible
    ? `${ansible}\n(full Ansible output: ${files.ansibleLog})\n\n${engine}`
    : `${engine}\n(engine transcript: ${files.engineLog})`;
}

/** The last lines of a log (up to its last 4 MiB): where Ansible's failure is. */
function logTail(file: string, bytes = 4 * 2 ** 20): string[] {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(0, size - bytes);
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString("utf8").split("\n");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
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

function resultFrom(
  imageId: string,
  name: string,
  request: BuildRequest,
  commit: string,
  builtAt: string,
  timings: Timings,
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
