/**
 * Entry point of a promoting stack's per-key command (components/ImagePromotion.ts):
 *   promote   — check the pinned image again and make it usable in this project;
 *   unpromote — the pin went or changed: undo the share or tag, keep the image.
 * The last stdout line is the result the stack reads.
 */
import * as path from "node:path";
import { loadCloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import { ImageService } from "../lib/openstack/images";
import {
  capText,
  decodePromotionRequest,
  ENV,
  formatPromotionResult,
  parsePromotionResult,
  sayTo,
} from "../lib/protocol";
import { promote, unpromote, type PromotionSides } from "./promote";

const say = sayTo(process.stdout);

async function side(env: NodeJS.ProcessEnv, projectRoot: string) {
  const client = new OpenStackClient(loadCloudAuth(env, projectRoot));
  await client.ready();
  if (!client.projectId) throw new Error(`cloud ${env.OS_CLOUD ?? "(OS_*)"} has no project scope`);
  return {
    images: new ImageService(client),
    projectId: client.projectId,
    cloud: env.OS_CLOUD ?? "(OS_* variables)",
  };
}

async function main(mode: string): Promise<void> {
  const request = decodePromotionRequest(process.env);
  const projectRoot = path.resolve(__dirname, "..");
  const target = await side(process.env, projectRoot);
  const sourceCloud = process.env[ENV.promotionSourceCloud];
  const source = sourceCloud
    ? await side({ ...process.env, OS_CLOUD: sourceCloud }, projectRoot)
    : target;
  const sides: PromotionSides = { source, target, say };
  const previous = parsePromotionResult(process.env[ENV.previousStdout] ?? "");
  switch (mode) {
    case "promote":
      process.stdout.write(`${formatPromotionResult(await promote(request, sides))}\n`);
      return;
    case "unpromote":
      await unpromote(request, previous, sides);
      return;
    default:
      throw new Error(`unknown mode "${mode}": expected promote or unpromote`);
  }
}

main(process.argv[2] ?? "").catch((err: unknown) => {
  process.stderr.write(
    `${capText(`image promotion failed: ${err instanceof Error ? err.message : String(err)}`)}\n`,
  );
  process.exitCode = 1;
});
