// Child processes of the real services: started in their own process group
// (so stopping one ends its workers too), output to a log file, waited for
// until ready, stopped with SIGTERM and, after a grace period, SIGKILL.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { promisify } from "node:util";

const run = promisify(execFile);

export class ServiceProcess {
  private exited: Promise<void>;
  private done = false;

  private constructor(
    readonly name: string,
    private child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        this.done = true;
        resolve();
      }),
    );
  }

  /** Starts `command args` in `cwd`, output appended to `logFile`. */
  static start(
    name: string,
    command: string,
    args: string[],
    opts: { cwd: string; logFile: string; env?: Record<string, string>; groupFile?: string },
  ): ServiceProcess {
    const fd = openSync(opts.logFile, "a");
    try {
      const child = spawn(command, args, {
        cwd: opts.cwd,
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, ...opts.env },
      });
      child.on("error", () => {});
      // the group's id, for killStaleGroups after a crash of the process that started it
      if (opts.groupFile && child.pid !== undefined) {
        const groupFile = opts.groupFile;
        writeFileSync(groupFile, String(child.pid));
        child.once("exit", () => rmSync(groupFile, { force: true }));
      }
      return new ServiceProcess(name, child, opts.logFile);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return !this.done;
  }

  /** Polls `ready` every 200 ms until it resolves true; fails when the process exits or time runs out. */
  async waitReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.done) throw new Error(`${this.name} exited during start (see ${this.logFile})`);
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready after ${timeoutMs} ms (see ${this.logFile})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when the leader exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.done || this.child.pid === undefined) return;
    const pgid = this.child.pid;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        // group already gone
      }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    // workers that outlived their master
    signal("SIGKILL");
  }
}

/**
 * Kills the process groups recorded in `dir/*.pgid` whose leader still runs
 * with `marker` (the state directory) in its command line: what a localcloud
 * killed without its stop() left. Returns what it killed.
 */
export function killStaleGroups(dir: string, marker: string): string[] {
  const killed: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".pgid"));
  } catch {
    return killed;
  }
  for (const file of files) {
    const pgid = Number(readFileSync(join(dir, file), "utf8").trim());
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pgid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      // gone
    }
    if (pgid > 1 && cmdline.includes(marker)) {
      try {
        process.kill(-pgid, "SIGKILL");
        killed.push(`${file.replace(/\.pgid$/, "")} (${pgid})`);
      } catch {
        // already gone
      }
    }
    rmSync(join(dir, file), { force: true });
  }
  return killed;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a one-shot command (setup steps); its output goes into the error when it fails. */
export async function runStep(
  command: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<string> {
  try {
    const { stdout } = await run(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed: ${err.stderr?.slice(-2000) ?? err.message}`,
    );
  }
}
