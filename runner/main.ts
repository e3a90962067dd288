/**
 * The build runner: what the main stack's per-image `@pulumi/command`
 * resource runs. Modes:
 *   build  — build the image (create);
 *   update — settings that don't change the image content changed: re-apply
 *            visibility and properties to the existing image, keep it;
 *   delete — the image left the stack: keep it (default) or delete it
 *            (deleteImageOnDestroy), and remove any leftover build stack.
 * The last stdout line is the result the main stack reads.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import { ImageService, VolumeService } from "../lib/openstack/images";
import { claimedByAnother, finalImageProperties } from "../lib/imageProperties";
import { destroyBuildStack, openBuildStack, runBuild, type RunnerContext } from "./build";
import { applyRetention } from "./retention";
import { formatResult, parseResult, type BuildRequest } from "./request";

function say(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Secrets come on stdin as JSON (see components/ImageBuild.ts), never in the environment. */
function readSecrets(): { vaultPassword?: string } {
  if (process.stdin.isTTY) return {};
  try {
    const text = fs.readFileSync(0, "utf8").trim();
    return text ? (JSON.parse(text) as { vaultPassword?: string }) : {};
  } catch {
    return {};
  }
}

function readRequest(env: NodeJS.ProcessEnv): BuildRequest {
  type Settings = Omit<BuildRequest, "sourceImageId" | "fingerprint">;
  const settings = JSON.parse(env.IMAGE_BUILD_REQUEST ?? "null") as
    (Settings & Partial<Pick<BuildRequest, "sourceImageId" | "fingerprint">>) | null;
  // Resources created by earlier versions carried both inside the request.
  const sourceImageId = env.IMAGE_BUILD_SOURCE_IMAGE_ID ?? settings?.sourceImageId;
  const fingerprint = env.IMAGE_BUILD_FINGERPRINT ?? settings?.fingerprint;
  if (!settings || !sourceImageId || !fingerprint) {
    throw new Error(
      "IMAGE_BUILD_REQUEST, IMAGE_BUILD_SOURCE_IMAGE_ID and IMAGE_BUILD_FINGERPRINT must be set: this runner is started by the image-build program",
    );
  }
  return { ...settings, sourceImageId, fingerprint };
}

async function main(mode: string): Promise<void> {
  const request = readRequest(process.env);
  const projectRoot = path.resolve(__dirname, "..");
  const client = new OpenStackClient(loadCloudAuth(process.env, projectRoot));
  const ctx: RunnerContext = {
    images: new ImageService(client),
    volumes: new VolumeService(client),
    projectRoot,
    stateDir: process.env.IMAGE_BUILD_STATE_DIR ?? path.join(projectRoot, ".build-state"),
    vaultPassword: readSecrets().vaultPassword,
    say,
  };
  const previous = parseResult(process.env.PULUMI_COMMAND_STDOUT ?? "");

  switch (mode) {
    case "build": {
      const result = await runBuild(request, ctx);
      process.stdout.write(`${formatResult(result)}\n`);
      return;
    }
    case "update": {
      if (!previous)
        throw new Error(
          `no earlier result for build ${request.spec.key}: run \`pulumi up --refresh\` or replace it`,
        );
      const image = await ctx.images.get(previous.imageId);
      if (!image)
        throw new Error(
          `image ${previous.imageId} of build ${request.spec.key} no longer exists: replace the build with \`pulumi up --replace <urn>\``,
        );
      const { spec } = request;
      const props = finalImageProperties(
        spec.image.diskFormat,
        spec.sshUsername,
        spec.image.metadata,
        {
          fingerprint: previous.fingerprint,
          gitCommit: previous.gitCommit,
          sourceImageId: previous.sourceImageId,
          inventoryGroups: previous.inventoryGroups,
          builtAt: new Date(previous.builtAt),
          buildKey: spec.key,
          stack: request.stack,
        },
      );
      say(
        `build ${spec.key}: content unchanged; updating properties and visibility of ${previous.imageName}`,
      );
      await ctx.images.update(previous.imageId, props, [], spec.image.visibility);
      const history = await applyRetention(request, previous.imageId, ctx.images, say);
      process.stdout.write(`${formatResult({ ...previous, history })}\n`);
      return;
    }
    case "delete": {
      const stack = await openBuildStack(request);
      await destroyBuildStack(stack, ctx, "leftovers of a build");
      const image = previous ? await ctx.images.get(previous.imageId) : undefined;
      if (previous && image && claimedByAnother(image, previous.claim)) {
        // A replacement with the same fingerprint adopted this very image.
        say(
          `keeping image ${previous.imageName} (${previous.imageId}): a newer build of this stack uses it`,
        );
      } else if (previous && request.spec.image.deleteOnDestroy) {
        say(`deleting image ${previous.imageName} (${previous.imageId}) (deleteImageOnDestroy)`);
        await ctx.images.delete(previous.imageId);
      } else if (previous) {
        say(
          `keeping image ${previous.imageName} (${previous.imageId}); it is no longer managed by this stack`,
        );
      }
      return;
    }
    default:
      throw new Error(`unknown mode "${mode}": expected build, update or delete`);
  }
}

main(process.argv[2] ?? "").catch((err: unknown) => {
  process.stderr.write(`image build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
