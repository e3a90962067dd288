/**
 * The build runner: what the main stack's per-image `@pulumi/command`
 * resource runs (components/ImageBuild.ts), with a mode: `build` (create),
 * `update` or `delete`; `clear` for the builder guard's delete. It starts the work (runner/worker.ts) as a process
 * of its own session and relays its output and exit code.
 *
 * Why: on a cancelled update (Ctrl-C) Pulumi's command plugin kills this
 * process with SIGKILL, and at shutdown the engine kills the plugin's whole
 * process group. A worker in its own session survives both, sees that this
 * process is gone, cancels its build stack's engine the way Ctrl-C does and
 * cleans up according to `onError`, within a bounded time, recording what
 * it did in the build's runner log.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { nodeArguments } from "./launch";

function readStdin(): Buffer {
  if (process.stdin.isTTY) return Buffer.alloc(0);
  try {
    return fs.readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

function main(): void {
  const worker = spawn(
    process.execPath,
    [...nodeArguments("runner/worker"), ...process.argv.slice(2)],
    { detached: true, stdio: ["pipe", "pipe", "pipe"], env: process.env },
  );
  worker.stdin.end(readStdin());
  worker.stdout.pipe(process.stdout);
  worker.stderr.pipe(process.stderr);
  // Asked nicely (SIGINT/SIGTERM): pass it on and wait for the worker's clean-up.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => worker.kill(signal));
  worker.on("close", (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
  worker.on("error", (err) => {
    process.stderr.write(
      `image build failed: could not start the runner's worker: ${err.message}\n`,
    );
    process.exitCode = 1;
  });
}

main();
