import type { BuildRequest } from "../../lib/protocol";
import type { RunnerContext } from "../context";

/** OpenStack bug 1823445: a volume can't be made from an image carrying `signature_verified`. */
export async function checkSourceImage(request: BuildRequest, ctx: RunnerContext): Promise<void> {
  const source = await ctx.images.get(request.sourceImageId);
  if (!source)
    throw new Error(
      `source image ${request.sourceImageId} of build ${request.spec.key} does not exist (or is not visible to this project)`,
    );
  if (source.status !== "active")
    throw new Error(`source image ${source.name} (${source.id}) is ${source.status}, not active`);
  if ("signature_verified" in source) {
    if (request.spec.sourceImageSignatureVerified === "unset") {
      ctx.say(
        `source image ${source.id} has signature_verified: removing it (sourceImageSignatureVerified: unset)`,
      );
      try {
        await ctx.images.update(source.id, {}, ["signature_verified"]);
      } catch (err) {
        throw new Error(
          `source image ${source.name} (${source.id}) has signature_verified and it could not be removed (${err instanceof Error ? err.message : String(err)}). ` +
            `Only the image's owner or an admin can: ask them to run \`openstack image unset --property signature_verified ${source.id}\`.`,
        );
      }
    } else {
      throw new Error(
        `source image ${source.name} (${source.id}) has the property signature_verified, so the cloud cannot make a volume from it (OpenStack bug 1823445). ` +
          `Fix: openstack image unset --property signature_verified ${source.id} — or set sourceImageSignatureVerified: unset to let the build do it.`,
      );
    }
  }
}
