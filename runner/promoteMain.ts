/**
 * Entry point of a promoting stack's per-key command (components/ImagePromotion.ts):
 *   promote   — check the pinned image again and make it usable in this project;
 *   unpromote — the pin went or changed: undo the share or tag, keep the image.
 * The last stdout line is the result the stack reads.
 */
import * as fs from "node:fs";
import { cloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import {
  decodeConnection,
  describeConnection,
  resolveCloud,
  type ResolvedCloud,
} from "../lib/openstack/connection";
import { ImageService } from "../lib/openstack/images";
import {
  capText,
  decodeBuildSecrets,
  decodePromotionRequest,
  ENV,
  formatPromotionResult,
  parsePromotionResult,
  sayTo,
} from "../lib/protocol";
import { runnerCloudFrom } from "./context";
import { promote, unpromote, type PromotionSides } from "./promote";

const say = sayTo(process.stdout);

/** The credentials on stdin (components/ImagePromotion.ts), never in the environment. */
function readStdin(): string {
  if (process.stdin.isTTY) return "";
  try {
    return fs.readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

async function side(cloud: ResolvedCloud) {
  const client = new OpenStackClient(cloudAuth(cloud.connection, cloud.secrets), undefined, {
    notice: say,
  });
  await client.ready();
  const name = describeConnection(cloud.connection);
  if (!client.projectId) throw new Error(`${name} has no project scope`);
  return { images: new ImageService(client), projectId: client.projectId, cloud: name };
}

async function main(mode: string): Promise<void> {
  const request = decodePromotionRequest(process.env);
  // The command's working directory: the Pulumi project directory.
  const projectRoot = process.cwd();
  const secrets = decodeBuildSecrets(readStdin());
  const targetCloud = runnerCloudFrom(
    process.env[ENV.cloud],
    secrets.cloud,
    process.env,
    projectRoot,
  );
  const target = await side(targetCloud);
  // The source's own connection as the main stack resolved it, else its clouds.yaml entry.
  const sourceJson = process.env[ENV.promotionSourceConnection];
  const sourceName = process.env[ENV.promotionSourceCloud];
  const sourceCloud: ResolvedCloud | undefined = sourceJson
    ? { connection: decodeConnection(sourceJson), secrets: secrets.sourceCloud ?? {} }
    : sourceName
      ? resolveCloud({ config: { cloud: sourceName }, env: process.env, cwd: projectRoot })
      : undefined;
  const source = sourceCloud ? await side(sourceCloud) : target;
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
