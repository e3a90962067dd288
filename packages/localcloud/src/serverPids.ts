// Pid files of server processes (<stateDir>/servers/<id>/pid), so that a start
// can kill the servers a crashed run of the same state directory left behind.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerRunner } from "./serverRunner";
import type { Store } from "./state";

/** Kills `unshare` processes of this state directory recorded in pid files. */
export function killStaleServers(stateDir: string, log: (line: string) => void): void {
  const dir = join(stateDir, "servers");
  if (!existsSync(dir)) return;
  for (const id of readdirSync(dir)) {
    const pidFile = join(dir, id, "pid");
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (command.startsWith("unshare") && command.includes(stateDir)) {
        process.kill(pid, "SIGKILL");
        log(`killed stale server process ${pid} (server ${id})`);
      }
    } catch {
      // gone already
    }
  }
}

/** Writes the pid of every running server every second; returns the stop function. */
export function keepPidFiles(stateDir: string, store: Store, runner: ServerRunner): () => void {
  const timer = setInterval(() => {
    for (const server of store.records.servers) {
      const dir = join(stateDir, "servers", server.id);
      if (!existsSync(dir)) continue;
      const pid = runner.pidOf(server.id);
      if (pid) writeFileSync(join(dir, "pid"), String(pid));
    }
  }, 1000);
  return () => clearInterval(timer);
}
