/**
 * The `update` mode of the build runner: settings that don't change the
 * image content changed. Re-applies properties and visibility to the image
 * the build made, runs retention, and prints the result again.
 */
import { finalImageProperties } from "../lib/imageProperties";
import { fingerprintFilter, readProvenance } from "../lib/provenance";
import type { BuildRequest, BuildResult } from "../lib/protocol";
import type { RunnerContext } from "./context";
import { applyRetention } from "./retention";

export async function runUpdate(
  request: BuildRequest,
  previous: BuildResult | undefined,
  ctx: RunnerContext,
): Promise<BuildResult> {
  const { spec } = request;
  const before = previous ?? (await recoverResult(request, ctx));
  const image = await ctx.images.get(before.imageId);
  if (!image)
    throw new Error(
      `image ${before.imageId} of build ${spec.key} no longer exists: replace the build with \`pulumi up --replace <urn>\``,
    );
  const props = finalImageProperties(spec.image.diskFormat, spec.sshUsername, spec.image.metadata, {
    fingerprint: before.fingerprint,
    gitCommit: before.gitCommit,
    sourceImageId: before.sourceImageId,
    inventoryGroups: before.inventoryGroups,
    builtAt: new Date(before.builtAt),
    buildKey: spec.key,
    stack: request.stack,
  });
  ctx.say(
    `build ${spec.key}: content unchanged; updating properties and visibility of ${before.imageName}`,
  );
  await ctx.images.update(before.imageId, props, [], spec.image.visibility);
  const history = await applyRetention(request, before.imageId, ctx.images, ctx.say);
  return { ...before, history };
}

/**
 * The previous result when the command provider passed none (a stack whose
 * stored output was too large to pass back): the image this build key made
 * with this fingerprint, read from its provenance in Glance.
 */
async function recoverResult(request: BuildRequest, ctx: RunnerContext): Promise<BuildResult> {
  const { spec } = request;
  const image = (
    await ctx.images.list(fingerprintFilter(request.fingerprint, spec.key, request.stack))
  ).find((i) => i.status === "active");
  if (!image)
    throw new Error(
      `no earlier result for build ${spec.key} and no active image with its fingerprint ${request.fingerprint}: replace the build with \`pulumi up --replace <urn>\``,
    );
  const provenance = readProvenance(image);
  ctx.say(`build ${spec.key}: found its image ${image.name} (${image.id}) by fingerprint`);
  return {
    imageId: image.id,
    imageName: image.name,
    fingerprint: request.fingerprint,
    sourceImageId: request.sourceImageId,
    inventoryGroups: spec.inventoryGroups,
    gitCommit: provenance.gitCommit === "unknown" ? "" : provenance.gitCommit,
    builtAt: provenance.builtAt,
    timings: {},
    claim: provenance.claim || undefined,
  };
}
