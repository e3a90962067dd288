/**
 * The build runner's work, started by runner/main.ts in a session of its own.
 * Modes:
 *   build  — build the image (create): build/runBuild.ts;
 *   update — settings that don't change the image content changed: update.ts;
 *   delete — the image left the stack: delete.ts;
 *   clear  — the builder guard's delete: what the build stack still holds.
 * The last stdout line is the result the main stack reads (lib/protocol.ts).
 * When its runner goes away (killed on a cancelled update) or it gets
 * SIGINT/SIGTERM, it aborts: the running engine is cancelled as Ctrl-C does
 * and the build cleans up.
 */
import {
  capText,
  decodeBuildRequest,
  readBuilderRef,
  progressLine,
  ENV,
  formatResult,
  parseResult,
  type BuildResult,
} from "../lib/protocol";
import { runBuild } from "./build/runBuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildStackName } from "../lib/naming";
import { buildFiles, runnerContext } from "./context";
import { clearBuilder, runDelete } from "./delete";
import { runUpdate } from "./update";

/** Aborted when the runner that started this worker is gone, or on SIGINT/SIGTERM. */
function interruption(): AbortController {
  const controller = new AbortController();
  const runner = process.ppid;
  const stop = (why: string) => {
    if (controller.signal.aborted) return;
    say(`interrupted: ${why}; cancelling and cleaning up`);
    controller.abort(why);
  };
  setInterval(() => {
    if (process.ppid !== runner) stop("the runner was stopped (a cancelled pulumi up)");
  }, 500).unref();
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  return controller;
}

/** Output goes to the runner while it is there, and always to the run's runner log. */
let teeFile: string | undefined;
function say(message: string): void {
  const line = `${progressLine(message)}\n`;
  process.stdout.write(line);
  if (teeFile) fs.appendFileSync(teeFile, line);
}

async function main(mode: string): Promise<void> {
  // A runner killed mid-write must not kill this worker with EPIPE.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  const ref = readBuilderRef(process.env);
  const ctx = runnerContext(process.env, say, interruption().signal);
  ctx.files = buildFiles(ctx, ref.stack, ref.key, buildStackName(ref.stack, ref.key), new Date());
  fs.mkdirSync(path.dirname(ctx.files.runnerLog), { recursive: true });
  teeFile = ctx.files.runnerLog;
  // The builder guard's delete: only the builder, nothing of the image.
  if (mode === "clear") return clearBuilder(ref, ctx);
  const request = decodeBuildRequest(process.env);
  const previous = parseResult(process.env[ENV.previousStdout] ?? "");
  const print = (result: BuildResult): void => {
    process.stdout.write(`${formatResult(result)}\n`);
  };
  switch (mode) {
    case "build":
      return print(await runBuild(request, ctx));
    case "update":
      return print(await runUpdate(request, previous, ctx));
    case "delete":
      return runDelete(request, previous, ctx);
    default:
      throw new Error(`unknown mode "${mode}": expected build, update, delete or clear`);
  }
}

main(process.argv[2] ?? "")
  .catch((err: unknown) => {
    const message = `${capText(`image build failed: ${err instanceof Error ? err.message : String(err)}`)}\n`;
    process.stderr.write(message);
    if (teeFile) fs.appendFileSync(teeFile, message);
    process.exitCode = 1;
  })
  // Timers (the runner watch) must not keep it alive.
  .finally(() => setTimeout(() => process.exit(), 100).unref());
