/**
 * Locks of a build stack left by an engine whose runner was interrupted.
 *
 * A killed runner leaves its build stack locked: by its engine, which may
 * still be running (it was the runner's child, now an orphan finishing or
 * cancelling its update), or by an engine that died too. The next run tells
 * them apart by the lock's host and process id: it waits for a live engine
 * on this host and removes the lock of a dead one. Pulumi's file backend
 * keeps a lock as `<backend>/.pulumi/locks/organization/<project>/<stack>/<id>.json`
 * holding the engine's pid, user, host and start time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Say } from "../lib/protocol";

export interface StackLock {
  file: string;
  pid: number;
  hostname: string;
  username: string;
  timestamp: string;
}

export type LockVerdict =
  | { kind: "live"; lock: StackLock }
  | { kind: "dead"; lock: StackLock }
  | { kind: "elsewhere"; lock: StackLock };

/** The directory of a stack's locks in a file backend, or undefined for other backends. */
export function lockDirectory(
  backendUrl: string,
  project: string,
  stack: string,
): string | undefined {
  if (!backendUrl.startsWith("file://")) return undefined;
  const root =
    backendUrl === "file://~" || backendUrl.startsWith("file://~/")
      ? path.join(os.homedir(), backendUrl.slice("file://~".length))
      : fileURLToPath(backendUrl.replace(/\?.*$/, ""));
  return path.join(root, ".pulumi", "locks", "organization", project, stack);
}

export function readLocks(dir: string): StackLock[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const locks: StackLock[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const content = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StackLock>;
      locks.push({
        file,
        pid: Number(content.pid),
        hostname: String(content.hostname ?? ""),
        username: String(content.username ?? ""),
        timestamp: String(content.timestamp ?? ""),
      });
    } catch {
      // Half-written or removed meanwhile: the next look sees it settled.
    }
  }
  return locks;
}

/** Live, dead or (another host's, which this machine can't check) elsewhere. */
export function judgeLock(
  lock: StackLock,
  hostname = os.hostname(),
  isAlive: (pid: number) => boolean = processAlive,
): LockVerdict {
  if (lock.hostname !== hostname) return { kind: "elsewhere", lock };
  return isAlive(lock.pid) ? { kind: "live", lock } : { kind: "dead", lock };
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Makes the stack usable: waits (with progress) while a live engine on this
 * host holds it, removes the locks of dead ones, and refuses, with what to
 * do, a lock taken on another machine. True when it removed a dead engine's
 * lock (its update was cut short: there may be pending operations).
 */
export async function takeOverLocks(
  dir: string | undefined,
  stackName: string,
  say: Say,
  waitMinutes = 90,
): Promise<boolean> {
  if (!dir) return false;
  const started = Date.now();
  let lastReport = 0;
  let removedDead = false;
  for (;;) {
    const verdicts = readLocks(dir).map((lock) => judgeLock(lock));
    for (const v of verdicts.filter((v) => v.kind === "dead")) {
      say(
        `build stack ${stackName} was locked by engine pid ${v.lock.pid} (since ${v.lock.timestamp}), which no longer runs: removing its lock ${v.lock.file}`,
      );
      fs.rmSync(v.lock.file, { force: true });
      removedDead = true;
    }
    const elsewhere = verdicts.find((v) => v.kind === "elsewhere");
    if (elsewhere) {
      throw new Error(
        `build stack ${stackName} is locked by an engine on ${elsewhere.lock.hostname} (pid ${elsewhere.lock.pid}, since ${elsewhere.lock.timestamp}). ` +
          `If that machine is gone, remove ${elsewhere.lock.file} and run again.`,
      );
    }
    const live = verdicts.find((v) => v.kind === "live");
    if (!live) return removedDead;
    const waited = Date.now() - started;
    if (waited > waitMinutes * 60_000) {
      throw new Error(
        `build stack ${stackName} is still locked by engine pid ${live.lock.pid} after ${waitMinutes} min; stop it (kill -INT ${live.lock.pid}) or wait, then run again`,
      );
    }
    if (Date.now() - lastReport >= 30_000) {
      lastReport = Date.now();
      say(
        `build stack ${stackName} is in use by engine pid ${live.lock.pid} (an interrupted earlier build finishing or cancelling); waiting (${Math.round(waited / 1000)} s)`,
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
