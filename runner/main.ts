/**
 * The build runner: what the main stack's per-image `@pulumi/command`
 * resource runs (components/ImageBuild.ts). Modes:
 *   build  — build the image (create): build/runBuild.ts;
 *   update — settings that don't change the image content changed: update.ts;
 *   delete — the image left the stack: delete.ts.
 * The last stdout line is the result the main stack reads (lib/protocol.ts).
 */
import {
  capText,
  decodeBuildRequest,
  ENV,
  formatResult,
  parseResult,
  type BuildResult,
} from "../lib/protocol";
import { runBuild } from "./build/runBuild";
import { runnerContext } from "./context";
import { runDelete } from "./delete";
import { runUpdate } from "./update";

async function main(mode: string): Promise<void> {
  const request = decodeBuildRequest(process.env);
  const ctx = runnerContext(process.env);
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
      throw new Error(`unknown mode "${mode}": expected build, update or delete`);
  }
}

main(process.argv[2] ?? "").catch((err: unknown) => {
  process.stderr.write(
    `${capText(`image build failed: ${err instanceof Error ? err.message : String(err)}`)}\n`,
  );
  process.exitCode = 1;
});
