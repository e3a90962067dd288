/**
 * The build stack of one build: opening it, running its engine with the
 * transcript going to a log file (not to the runner's output), turning its
 * events into milestones and cloud time, and destroying what it holds.
 */
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildStackName } from "../lib/naming";
import { OperationClock } from "../lib/intervals";
import { capText, type BuilderRef, type ProvisionResult, type Say } from "../lib/protocol";
import type { BuilderLeftovers, BuilderNames } from "../lib/openstack/builderLeftovers";
import { OS_ENVIRONMENT, providerConfig, type ResolvedCloud } from "../lib/openstack/connection";
import type { VolumeService } from "../lib/openstack/images";
import type { NetworkService } from "../lib/openstack/network";
import type { ServerService } from "../lib/openstack/servers";
import { runnerCloud } from "./context";
import { lockDirectory, takeOverLocks } from "./locks";
import { engineMilestone, MilestoneClock } from "./milestones";

/** The build stack's project: one per main project, one stack per main stack and build. */
export function buildProjectName(project: string): string {
  return `${project}-build`;
}

/**
 * Opens (or creates) the build stack of a build key, with the run's cloud
 * connection as its provider config: `openstack:*` stack config (password,
 * application credential secret or token as secret config), and the
 * engine's own OS_* variables blanked, so its provider can use nothing but
 * the connection the main stack resolved (lib/openstack/connection.ts).
 */
export async function openBuildStack(
  request: BuilderRef,
  cloud: ResolvedCloud = runnerCloud(),
): Promise<Stack> {
  const projectName = buildProjectName(request.project);
  const stackName = buildStackName(request.stack, request.key);
  const noop = async () => ({});
  // The workspace (Pulumi.yaml, the stack's config file) lives as long as this runner.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "automation-"));
  process.once("exit", () => fs.rmSync(workDir, { recursive: true, force: true }));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName, program: noop },
    {
      workDir,
      projectSettings: {
        name: projectName,
        runtime: "nodejs",
        description: "Short-lived builder resources of one image build (slurm-image-builder)",
        ...(request.buildState.backendUrl
          ? { backend: { url: request.buildState.backendUrl } }
          : {}),
      },
      secretsProvider: request.buildState.secretsProvider,
      envVars: {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        ...Object.fromEntries(OS_ENVIRONMENT.map((name) => [name, ""])),
      },
    },
  );
  await stack.setAllConfig(
    Object.fromEntries(
      providerConfig(cloud).map(({ key, value, secret }) => [
        `openstack:${key}`,
        { value, secret },
      ]),
    ),
  );
  return stack;
}

/** Where one engine run's transcript goes, and who hears about its milestones. */
export interface EngineWatch {
  /** The engine transcript is appended here, never printed. */
  transcriptFile: string;
  say: Say;
  /** Cloud resource operations count as time waiting on the cloud. */
  cloud?: OperationClock;
  /** Aborting it cancels the engine run as Ctrl-C does (SIGINT to the CLI). */
  signal?: AbortSignal;
  /** Told when an operation on a resource fails (its type and URN). */
  onResourceFailed?: (type: string, urn: string) => void;
}

/** Options for `stack.up`/`stack.destroy`: transcript to the file, milestones to `say`. */
export function engineOptions(watch: EngineWatch) {
  fs.mkdirSync(path.dirname(watch.transcriptFile), { recursive: true });
  const milestones = new MilestoneClock();
  return {
    color: "never" as const,
    signal: watch.signal,
    onOutput: (out: string) => fs.appendFileSync(watch.transcriptFile, out),
    onEvent: (event: EngineEvent) => {
      if (watch.cloud) timeCloudOperations(event, watch.cloud);
      const failed = event.resOpFailedEvent?.metadata;
      if (failed) watch.onResourceFailed?.(failed.type, failed.urn);
      const line = engineMilestone(event, milestones);
      if (line) watch.say(line);
    },
  };
}

/** Resource operations on the cloud (not tls keys, not the Ansible command) count as waiting on it. */
function timeCloudOperations(event: EngineEvent, clock: OperationClock): void {
  const pre = event.resourcePreEvent?.metadata;
  if (pre) clock.start(pre.urn, pre.type);
  const done = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
  if (done) clock.end(done.urn);
}

/**
 * The part of an Automation API error worth showing: the engine's
 * "Diagnostics" (what failed and why), not the whole transcript twice.
 */
export function engineFailureSummary(err: unknown, maxLines = 40): string {
  const text = err instanceof Error ? err.message : String(err);
  const start = text.indexOf("Diagnostics:");
  if (start < 0) return capText(text.split("\n").slice(-maxLines).join("\n"));
  const lines = text.slice(start).split("\n");
  const end = lines.findIndex((l, i) => i > 0 && /^\s*(Outputs:|Resources:|err\?:)/.test(l));
  const block = (end > 0 ? lines.slice(0, end) : lines).filter(
    (l) => !/provider config warning/.test(l),
  );
  return capText(block.slice(0, maxLines).join("\n"));
}

interface StateResource {
  type: string;
  id?: string;
  outputs?: Record<string, unknown>;
}

function stateResources(state: { deployment: unknown }): StateResource[] {
  return (state.deployment as { resources?: StateResource[] }).resources ?? [];
}

/** Resources a build stack holds, not counting the stack and its providers. */
export function heldResources(resources: StateResource[]): StateResource[] {
  return resources.filter(
    (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
  );
}

/**
 * The builder's servers, volumes and ports in a build stack's state: what
 * the runner deletes itself, polling every second, before the engine's
 * destroy, whose provider would pause before each first look (10 s; servers
 * twice, with stopBeforeDestroy; ports 5 s). The engine then finds them gone
 * and drops them.
 */
export function removableAhead(resources: StateResource[]): RemovableAhead {
  const ids = (type: string) =>
    resources.filter((r) => r.type === type && r.id).map((r) => r.id as string);
  return {
    servers: ids("openstack:compute/instance:Instance"),
    volumes: ids("openstack:blockstorage/volume:Volume"),
    ports: ids("openstack:networking/port:Port"),
  };
}

/**
 * Ids by kind. Not floating IPs: the engine disassociates one before it
 * deletes it, and the provider fails on a floating IP that is gone.
 */
export interface RemovableAhead {
  servers: string[];
  volumes: string[];
  ports: string[];
}

/** The REST services that delete a builder's server and volume ahead of the engine. */
export interface AheadOfEngine {
  servers: ServerService;
  volumes: VolumeService;
  network: NetworkService;
}

/** Deletes the servers (all at once), then their volumes and ports. */
async function removeAheadOfEngine(
  found: RemovableAhead,
  cloud: AheadOfEngine,
  watch: EngineWatch,
): Promise<void> {
  const start = Date.now();
  await Promise.all(found.servers.map((id) => cloud.servers.delete(id, DELETE_TIMEOUT_MS)));
  await Promise.all([
    ...found.volumes.map((id) => cloud.volumes.deleteWhenDetached(id, DELETE_TIMEOUT_MS)),
    ...found.ports.map((id) => cloud.network.deletePort(id)),
  ]);
  watch.cloud?.add({ start, end: Date.now() });
}

const DELETE_TIMEOUT_MS = 10 * 60_000;

/**
 * Removes what the build stack holds (a finished build's volume and keypair,
 * or what a failed or kept build left), then, unless told to keep it, the
 * stack itself and the debug key of `onError: keep`.
 */
export async function destroyBuildStack(
  stack: Stack,
  watch: EngineWatch & { debugDir: string; ahead?: AheadOfEngine },
  why: string,
  removeStack = true,
): Promise<void> {
  const held = heldResources(stateResources(await stack.exportStack()));
  if (held.length > 0) {
    watch.say(`${why}: destroying build stack ${stack.name}`);
    if (watch.ahead) await removeAheadOfEngine(removableAhead(held), watch.ahead, watch);
    await stack.destroy(engineOptions(watch));
  }
  if (!removeStack) return;
  await stack.workspace.removeStack(stack.name);
  // The key written for `onError: keep` is useless once its builder is gone.
  fs.rmSync(watch.debugDir, { recursive: true, force: true });
}

/**
 * Makes a build stack that an interrupted run may have left usable again and
 * empty: waits for a still-running engine of that run or clears a dead one's
 * lock (runner/locks.ts), drops the operations such an engine left pending
 * (their resources are in no state), destroys what the stack holds, and then
 * removes by name what the cut-short operations may have made.
 */
export async function recoverBuildStack(
  stack: Stack,
  watch: EngineWatch & { debugDir: string; ahead?: AheadOfEngine },
  leftovers: { names: BuilderNames; cloud: BuilderLeftovers },
  removeStack: boolean,
): Promise<void> {
  const backend = (await stack.workspace.whoAmI()).url ?? "";
  const projectName = (await stack.workspace.projectSettings()).name;
  const deadEngine = await takeOverLocks(
    lockDirectory(backend, projectName, stack.name),
    stack.name,
    watch.say,
  );
  // The run waited for may remove the stack just after its engine ends.
  const pending = await evenIfRemoved(stack, () => dropPendingOperations(stack, watch.say));
  await evenIfRemoved(stack, () =>
    destroyBuildStack(stack, watch, "leftovers of an earlier build found", removeStack),
  );
  if (deadEngine || pending > 0) {
    const found = await leftovers.cloud.find(leftovers.names);
    await leftovers.cloud.remove(found, watch.say);
  }
}

/**
 * Runs `fn` on the stack; when the stack was removed meanwhile (by the clean-
 * up of an interrupted run that just finished), makes it again and retries.
 */
async function evenIfRemoved<T>(stack: Stack, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const gone = /no stack named/.test(err instanceof Error ? err.message : String(err));
      if (!gone || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 1000));
      await stack.workspace
        .createStack(stack.name)
        .catch(() => stack.workspace.selectStack(stack.name));
    }
  }
}

/** What the provision step left in the build stack's state. */
export interface ProvisionedBuilder {
  /** What the Ansible step did: the AnsibleProvision component's `result` output. */
  provision?: ProvisionResult;
  serverId?: string;
  volumeId?: string;
}

/**
 * Read from the state, not the stack outputs: a failure (Ansible's, say)
 * before every output has resolved keeps all of them from being recorded.
 */
export async function provisionedBuilder(stack: Stack): Promise<ProvisionedBuilder> {
  return provisionedFrom(stateResources(await stack.exportStack()));
}

export function provisionedFrom(resources: StateResource[]): ProvisionedBuilder {
  const component = resources.find((r) => r.type === "slurm-image:builder:AnsibleProvision");
  const { servers, volumes } = removableAhead(resources);
  return {
    provision: component?.outputs?.result as ProvisionResult | undefined,
    serverId: servers[0],
    volumeId: volumes[0],
  };
}

/** Removes the pending operations of an engine that was killed mid-update; returns how many. */
async function dropPendingOperations(stack: Stack, say: Say): Promise<number> {
  const state = await stack.exportStack();
  const deployment = state.deployment as {
    pending_operations?: { resource?: { urn?: string }; type?: string }[];
  };
  const pending = deployment.pending_operations ?? [];
  if (pending.length === 0) return 0;
  for (const op of pending)
    say(
      `an interrupted engine left ${op.type ?? "an operation"} of ${op.resource?.urn ?? "a resource"} pending`,
    );
  deployment.pending_operations = [];
  await stack.importStack(state);
  return pending.length;
}
