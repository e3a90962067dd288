/**
 * One image build as an ordered list of named steps, run by one loop that
 * times them and, when a step fails, runs the clean-ups of the steps that
 * ran, newest first (as Packer's builders do). Each step returns what it
 * made; the loop keeps it on the run for the steps after it.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { OperationClock } from "../../lib/intervals";
import type { BuiltImage } from "../../lib/pins";
import type { BuildRequest, BuildStepName, ProvisionResult, Window } from "../../lib/protocol";
import type { BuildFiles, RunnerContext } from "../context";

/** A build in progress: what it started with and what its steps made so far. */
export interface BuildRun {
  request: BuildRequest;
  ctx: RunnerContext;
  stack: Stack;
  files: BuildFiles;
  name: string;
  commit: string;
  builtAt: Date;
  /** This create's claim on the image it builds (see PROVENANCE.claim). */
  claim: string;
  /** Time spent waiting on the cloud. */
  cloud: OperationClock;
  made: Made;
}

/** What steps make, by the step that makes it. */
export interface Made {
  provision?: ProvisionResult;
  volumeId?: string;
  serverId?: string;
  imageId?: string;
  history?: BuiltImage[];
}

export interface BuildStep {
  name: BuildStepName;
  run(build: BuildRun): Promise<Made>;
  /** Undoes what this step made, when it or a later step fails. */
  cleanup?(build: BuildRun, failed: BuildStepName): Promise<void>;
  /** "failed <how>" in the error; without it the step's own error is shown as it is. */
  failure?: string;
  /**
   * Once this step succeeds the build is complete: a later failure (e.g.
   * retention) must not undo it.
   */
  completes?: boolean;
  /** How to summarise this step's error (default: its message). */
  summarise?(build: BuildRun, err: unknown): Promise<string>;
}

/** A value a step needs from an earlier one; a clear error instead of a `!`. */
export function need<T>(value: T | undefined, what: string, step: BuildStepName): T {
  if (value === undefined)
    throw new Error(`internal: step ${step} needs ${what}, which no earlier step made`);
  return value;
}

export class BuildStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildStepError";
  }
}

/** Seconds per step, added up (a step may run more than once in a retry). */
export type Timings = Record<string, number>;

/** Runs `steps` in order, adding to `timings`. Throws the first failure, after clean-up. */
export async function runSteps(
  build: BuildRun,
  steps: BuildStep[],
  timings: Timings,
): Promise<void> {
  const ran: BuildStep[] = [];
  const key = build.request.spec.key;
  for (const step of steps) {
    const signal = build.ctx.signal;
    if (signal?.aborted) {
      const why = `build ${key} was interrupted before step ${step.name} (${String(signal.reason ?? "cancelled")})`;
      build.ctx.say(`${why}; cleaning up`);
      await cleanUp(build, ran, step.name);
      throw new BuildStepError(why);
    }
    ran.push(step);
    const started = Date.now();
    try {
      Object.assign(build.made, await step.run(build));
    } catch (err) {
      const summary = step.summarise
        ? await step.summarise(build, err)
        : err instanceof Error
          ? err.message
          : String(err);
      const interrupted = signal?.aborted
        ? ` (interrupted: ${String(signal.reason ?? "cancelled")})`
        : "";
      const headline = step.failure
        ? `build ${key} failed ${step.failure}${interrupted}`
        : undefined;
      build.ctx.say(
        `${headline ?? `build ${key} failed in step ${step.name}${interrupted}`}; cleaning up`,
      );
      await cleanUp(build, ran, step.name);
      throw headline ? new BuildStepError(`${headline}:\n${summary}`) : err;
    } finally {
      timings[step.name] = (timings[step.name] ?? 0) + (Date.now() - started) / 1000;
    }
    if (step.completes) ran.length = 0;
  }
}

/** The clean-ups of the steps that ran, newest first; one failing does not stop the others. */
async function cleanUp(build: BuildRun, ran: BuildStep[], failed: BuildStepName): Promise<void> {
  for (const done of [...ran].reverse()) {
    await done
      .cleanup?.(build, failed)
      .catch((cleanupErr: unknown) =>
        build.ctx.say(
          `clean-up of step ${done.name} failed too: ${cleanupErr instanceof Error ? cleanupErr.message : String(cleanupErr)}; the next run retries it`,
        ),
      );
  }
}

/** Seconds of a window, or undefined. */
export function windowSeconds(w: Window | undefined): number | undefined {
  return w ? (w.end - w.start) / 1000 : undefined;
}
