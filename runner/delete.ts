/**
 * The `delete` mode of the build runner: the build left the stack. Removes
 * any builder a failed or kept build left, then keeps the image (default) or
 * deletes it (deleteImageOnDestroy) — never one a newer build adopted.
 */
import * as fs from "node:fs";
import { buildStackName } from "../lib/naming";
import { claimedByAnother } from "../lib/provenance";
import {
  builderRefOf,
  type BuilderRef,
  type BuildRequest,
  type BuildResult,
} from "../lib/protocol";
import { builderNames } from "../buildstack/program";
import { openBuildStack, recoverBuildStack } from "./buildStack";
import { buildFiles, type RunnerContext } from "./context";

export async function runDelete(
  request: BuildRequest,
  previous: BuildResult | undefined,
  ctx: RunnerContext,
): Promise<void> {
  const { spec } = request;
  await clearBuilder(builderRefOf(request), ctx);
  if (!previous) {
    ctx.say(
      `build ${spec.key}: no earlier result was passed to this delete; any image it made is kept`,
    );
    return;
  }
  const image = await ctx.images.get(previous.imageId);
  if (image && claimedByAnother(image, previous.claim)) {
    // A replacement with the same fingerprint adopted this very image.
    ctx.say(
      `keeping image ${previous.imageName} (${previous.imageId}): a newer build of this stack uses it`,
    );
  } else if (spec.image.deleteOnDestroy) {
    ctx.say(`deleting image ${previous.imageName} (${previous.imageId}) (deleteImageOnDestroy)`);
    await ctx.images.delete(previous.imageId);
  } else {
    ctx.say(
      `keeping image ${previous.imageName} (${previous.imageId}); it is no longer managed by this stack`,
    );
  }
}

/**
 * Removes whatever the build stack of a build key still holds, also after an
 * interrupted build (a locked stack, pending operations, resources no state
 * knows), and the private files of a killed Ansible step. The builder guard's
 * delete (mode `clear`) and the build's own delete both do this.
 */
export async function clearBuilder(ref: BuilderRef, ctx: RunnerContext): Promise<void> {
  const stack = await openBuildStack(ref);
  const files =
    ctx.files ??
    buildFiles(ctx, ref.stack, ref.key, buildStackName(ref.stack, ref.key), new Date());
  await recoverBuildStack(
    stack,
    { transcriptFile: files.engineLog, say: ctx.say, debugDir: files.debugDir, ahead: ctx },
    { names: builderNames(ref), cloud: ctx.leftovers },
    true,
  );
  fs.rmSync(files.workDir, { recursive: true, force: true });
}
