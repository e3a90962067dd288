/**
 * Everything that crosses a process boundary between the main stack, the
 * runners and the build stack: environment names, how requests and results
 * are encoded, the marker lines, the step names, and the discipline of
 * runner output.
 *
 * Why output discipline: a runner's stdout is what Pulumi keeps in state and
 * hands back to `update`/`delete` in one environment variable (Linux refuses
 * one over 128 KiB), and Pulumi's released command plugin stops reading, and
 * hangs, on an output line over 64 KiB. So every line leaving a runner is cut
 * to LINE_CAP, and full transcripts go to log files.
 */
import type { ApplianceSettings, BastionSettings, BuildSpec } from "./config/types";
import type { PromotionMethod } from "./config/promotion";
import type { BuiltImage } from "./pins";
import type { CloudSecrets } from "./openstack/connection";

/** Environment variables, by who sets them. */
export const ENV = {
  /** Main stack → build runner: the build's settings (JSON, plain). */
  buildRequest: "IMAGE_BUILD_REQUEST",
  /** Main stack → build runner: kept apart so a preview diff names what changed. */
  sourceImageId: "IMAGE_BUILD_SOURCE_IMAGE_ID",
  fingerprint: "IMAGE_BUILD_FINGERPRINT",
  /** Where runners keep logs and debug keys (default: <project>/.build-state). */
  stateDir: "IMAGE_BUILD_STATE_DIR",
  /** Main stack → promotion runner. */
  promotionRequest: "IMAGE_PROMOTION_REQUEST",
  promotionSourceCloud: "IMAGE_PROMOTION_SOURCE_CLOUD",
  /** Build stack → provision runner (plain) and its secrets (secret inputs). */
  provisionSpec: "PROVISION_SPEC",
  builderPrivateKey: "BUILDER_SSH_PRIVATE_KEY",
  vaultPassword: "ANSIBLE_VAULT_PASSWORD",
  secretExtraVars: "ANSIBLE_SECRET_EXTRA_VARS",
  /** Main stack → runners: the resolved cloud connection without its secrets (JSON, plain; lib/openstack/connection.ts). */
  cloud: "IMAGE_BUILD_CLOUD",
  /** Main stack → promotion runner: the connection of the project that owns the pinned images. */
  promotionSourceConnection: "IMAGE_PROMOTION_SOURCE_CONNECTION",
  /** Set by the command provider for update/delete: the previous stdout. */
  previousStdout: "PULUMI_COMMAND_STDOUT",
  /** Main stack → the builder guard's clean-up: which build stack (BuilderRef, JSON). */
  builderRef: "IMAGE_BUILDER_REF",
} as const;

// ---------------------------------------------------------------- requests

/** What the main stack hands to the build runner for one image. Plain data. */
export interface BuildRequest {
  project: string;
  stack: string;
  spec: BuildSpec;
  sourceImageId: string;
  fingerprint: string;
  appliance: Pick<ApplianceSettings, "repoRoot" | "environmentRoot">;
  buildState: { backendUrl?: string; secretsProvider?: string };
  manifestOutputPath?: string;
}

/** The request without what changes per build (those travel in variables of their own). */
export type BuildSettings = Omit<BuildRequest, "sourceImageId" | "fingerprint">;

/**
 * The build runner's environment for one image. Generic in the value type so
 * a component can pass Pulumi outputs for the per-build values.
 */
export function buildRequestEnvironment<T>(
  settings: BuildSettings,
  sourceImageId: T,
  fingerprint: T,
): Record<string, string | T> {
  return {
    [ENV.buildRequest]: JSON.stringify(settings),
    [ENV.sourceImageId]: sourceImageId,
    [ENV.fingerprint]: fingerprint,
  };
}

/** The settings part of a build request, or undefined when absent or unreadable. */
export function readBuildSettings(
  env: Record<string, string | undefined>,
): BuildSettings | undefined {
  try {
    const settings = JSON.parse(env[ENV.buildRequest] ?? "null") as BuildSettings | null;
    return settings ?? undefined;
  } catch {
    return undefined;
  }
}

export function decodeBuildRequest(env: Record<string, string | undefined>): BuildRequest {
  const settings = readBuildSettings(env);
  const sourceImageId = env[ENV.sourceImageId];
  const fingerprint = env[ENV.fingerprint];
  if (!settings || !sourceImageId || !fingerprint) {
    throw new Error(
      `${ENV.buildRequest}, ${ENV.sourceImageId} and ${ENV.fingerprint} must be set: this runner is started by the image-build program`,
    );
  }
  return { ...settings, sourceImageId, fingerprint };
}

/**
 * Which builder a build key has: enough to find its build stack and, by
 * name, its cloud resources. What the builder guard carries (components/
 * builderGuard.ts): settings that change no builder leave it alone.
 */
export interface BuilderRef {
  project: string;
  stack: string;
  key: string;
  /** The builder volume's name, when set (`volumeName`); else the host name. */
  volumeName?: string;
  buildState: { backendUrl?: string; secretsProvider?: string };
}

export function builderRefOf(settings: BuildSettings): BuilderRef {
  return {
    project: settings.project,
    stack: settings.stack,
    key: settings.spec.key,
    ...(settings.spec.volume.name ? { volumeName: settings.spec.volume.name } : {}),
    buildState: settings.buildState,
  };
}

export function readBuilderRef(env: Record<string, string | undefined>): BuilderRef {
  try {
    const ref = JSON.parse(env[ENV.builderRef] ?? "null") as BuilderRef | null;
    if (ref) return ref;
  } catch {
    // reported below
  }
  const settings = readBuildSettings(env);
  if (settings) return builderRefOf(settings);
  throw new Error(
    `${ENV.builderRef} or ${ENV.buildRequest} must be set: this runner is started by the image-build program`,
  );
}

/** Secrets of a build, on the runner's stdin as JSON: never in its environment or request. */
export interface BuildSecrets {
  vaultPassword?: string;
  /** extraVars entries that are secret in the stack config (see lib/config/secrets.ts). */
  secretExtraVars?: Record<string, unknown>;
  /** The secret part of the cloud connection (ENV.cloud): password, application credential secret or token. */
  cloud?: CloudSecrets;
  /** The same for the promotion source's connection (ENV.promotionSourceConnection). */
  sourceCloud?: CloudSecrets;
}

export function encodeBuildSecrets(secrets: BuildSecrets): string {
  return JSON.stringify(secrets);
}

export function decodeBuildSecrets(text: string): BuildSecrets {
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as BuildSecrets | null;
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    throw new Error("the build's secrets on stdin are not valid JSON");
  }
}

/** What the main stack hands to the promotion runner for one pin. */
export interface PromotionRequest {
  /** The promoting stack (production). */
  stack: string;
  key: string;
  /** The pinned image (owned by the source project). */
  imageId: string;
  outside: boolean;
  /** What the stack promoted from recorded for this image; checked again here. */
  expected?: BuiltImage;
  promoteFrom: string;
  method: PromotionMethod;
}

export function promotionRequestEnvironment(
  request: PromotionRequest,
  sourceCloud?: string,
): Record<string, string> {
  return {
    [ENV.promotionRequest]: JSON.stringify(request),
    ...(sourceCloud ? { [ENV.promotionSourceCloud]: sourceCloud } : {}),
  };
}

export function readPromotionRequest(
  env: Record<string, string | undefined>,
): PromotionRequest | undefined {
  try {
    return (
      (JSON.parse(env[ENV.promotionRequest] ?? "null") as PromotionRequest | null) ?? undefined
    );
  } catch {
    return undefined;
  }
}

export function decodePromotionRequest(env: Record<string, string | undefined>): PromotionRequest {
  const request = readPromotionRequest(env);
  if (!request)
    throw new Error(
      `${ENV.promotionRequest} must be set: this runner is started by the image-build program`,
    );
  return request;
}

/** What the Ansible step in the build stack needs; plain data (secrets apart). */
export interface ProvisionSpec {
  buildKey: string;
  hostName: string;
  address: string;
  sshUser: string;
  bastion?: BastionSettings;
  sshTimeoutMinutes: number;
  inventoryGroups: string[];
  repoRoot: string;
  environmentRoot: string;
  /** The plain extraVars; secret ones come in ENV.secretExtraVars. */
  extraVars: Record<string, unknown>;
  extraVarsFile?: string;
  vaultPasswordFile?: string;
  verbosity: number;
  /** Full Ansible output goes here; the command's own output stays short. */
  logFile: string;
  /**
   * Private working directory for the run's key, vault password and extra
   * vars: a known place, so the next run removes what a killed one left.
   */
  workDir: string;
  /**
   * Appears when a builder resource (volume, port, server) failed in the same
   * engine run: the SSH wait, which starts before the server is ACTIVE,
   * stops then instead of waiting out its timeout. Holds the reason.
   */
  builderFailedFile?: string;
}

// ----------------------------------------------------------------- results

/** Steps of a build in the order they run (runner/build/steps.ts); `ansible` is inside `provision`. */
export const BUILD_STEP_NAMES = [
  "sourceCheck",
  "provision",
  "release",
  "upload",
  "properties",
  "teardown",
  "retention",
] as const;
export type BuildStepName = (typeof BUILD_STEP_NAMES)[number];

/** Timings a build reports, in the order a summary shows them: the steps, `ansible` after `provision`. */
export const TIMING_NAMES = BUILD_STEP_NAMES.flatMap((step) =>
  step === "provision" ? [step, "ansible"] : [step],
);

/** When something ran, epoch ms. */
export interface Window {
  start: number;
  end: number;
}

/** What a build produced; the build runner's result line, read back by the main stack. */
export interface BuildResult {
  imageId: string;
  imageName: string;
  fingerprint: string;
  sourceImageId: string;
  inventoryGroups: string[];
  gitCommit: string;
  builtAt: string;
  /** Seconds per step (TIMING_NAMES) and `cloud`, for the summary and the benchmarks. */
  timings: Record<string, number>;
  /** When Ansible ran, when it did in this run. */
  ansibleWindow?: Window;
  /** Images of this build key the stack keeps (after keepImages), newest first. */
  history?: BuiltImage[];
  /** This resource instance's claim on the image (see PROVENANCE.claim). */
  claim?: string;
}

/** What the provision step did: the build stack's `provision` output. */
export interface ProvisionResult {
  sshWait: Window;
  ansible: Window;
  /** TASK lines Ansible printed. */
  tasks: number;
}

export interface PromotionResult {
  /** The image this stack's cluster uses: the pinned one, or its copy. */
  imageId: string;
  imageName: string;
  fingerprint: string;
  /** The pinned image. */
  pinnedImageId: string;
  how: "same-project" | "share" | "copy" | "public";
  promotedAt: string;
}

export const MARKERS = {
  buildResult: "IMAGE_BUILD_RESULT=",
  promotionResult: "IMAGE_PROMOTION_RESULT=",
  provisionResult: "PROVISION_RESULT=",
} as const;

/** A result as one output line: `<marker><json>`. */
export function formatMarkedLine(marker: string, value: unknown): string {
  return `${marker}${JSON.stringify(value)}`;
}

/** The last `<marker><json>` line in a command's output, parsed. */
export function parseMarkedLine<T>(marker: string, stdout: string): T | undefined {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(marker));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(marker.length)) as T;
  } catch {
    return undefined;
  }
}

export const formatResult = (r: BuildResult) => formatMarkedLine(MARKERS.buildResult, r);
export const parseResult = (stdout: string) =>
  parseMarkedLine<BuildResult>(MARKERS.buildResult, stdout);
export const formatPromotionResult = (r: PromotionResult) =>
  formatMarkedLine(MARKERS.promotionResult, r);
export const parsePromotionResult = (stdout: string) =>
  parseMarkedLine<PromotionResult>(MARKERS.promotionResult, stdout);
export const formatProvisionResult = (r: ProvisionResult) =>
  formatMarkedLine(MARKERS.provisionResult, r);
export const parseProvisionResult = (stdout: string) =>
  parseMarkedLine<ProvisionResult>(MARKERS.provisionResult, stdout);

// ------------------------------------------------------------------ output

/**
 * Longest line a runner prints (characters, marker included): far under the
 * 64 KiB at which the released command plugin hangs.
 */
export const LINE_CAP = 2000;

/**
 * `line` cut to `cap` characters with a marker saying how much was cut and
 * where the whole text is.
 */
export function capLine(line: string, fullTextIn?: string, cap = LINE_CAP): string {
  if (line.length <= cap) return line;
  const where = fullTextIn ? `; full text in ${fullTextIn}` : "";
  const marker = (cut: number) => `…[${cut} more characters cut${where}]`;
  const keep = Math.max(0, cap - marker(line.length).length);
  return `${line.slice(0, keep)}${marker(line.length - keep)}`;
}

/** Every line of `text` capped; at most `maxLines` lines (the first ones), with a note. */
export function capText(text: string, fullTextIn?: string, maxLines = 60, cap = LINE_CAP): string {
  const lines = text.split("\n").map((l) => capLine(l, fullTextIn, cap));
  if (lines.length <= maxLines) return lines.join("\n");
  const where = fullTextIn ? ` (full text in ${fullTextIn})` : "";
  return [...lines.slice(0, maxLines), `…[${lines.length - maxLines} more lines cut${where}]`].join(
    "\n",
  );
}

/** A progress line as runners print it: `[hh:mm:ss] message`, each line capped. */
export function progressLine(message: string, at = new Date(), fullTextIn?: string): string {
  const stamp = `[${at.toISOString().slice(11, 19)}] `;
  return message
    .split("\n")
    .map((l, i) => capLine(i === 0 ? `${stamp}${l}` : l, fullTextIn))
    .join("\n");
}

export type Say = (message: string) => void;

/** A `say` that writes capped, time-stamped lines to `stream` (the runner's stdout). */
export function sayTo(stream: { write(text: string): unknown }, fullTextIn?: () => string): Say {
  return (message) => stream.write(`${progressLine(message, new Date(), fullTextIn?.())}\n`);
}

/**
 * Whether a periodic progress line is due: the gap grows with the number
 * already printed (30 s for the first ten, then doubling every ten), so an
 * hour-long step prints a few dozen lines, not hundreds.
 */
export function progressDue(sinceLastMs: number, printed: number, baseMs = 30_000): boolean {
  return sinceLastMs >= baseMs * 2 ** Math.floor(printed / 10);
}
