import type { GlanceImage, ImageService } from "../lib/openstack/images";
import type { BuiltImage } from "../lib/pins";
import { buildKeyFilter, hasPromotedTag, readProvenance } from "../lib/provenance";
import type { BuildRequest, Say } from "../lib/protocol";
import { imagesToDelete, type RetentionCandidate } from "../lib/retention";

/**
 * The images this stack keeps for one build key after a build, newest first,
 * having deleted those beyond `keepImages` (never the current one, never one
 * that is promoted). The list becomes the key's `history` output, which a
 * promoting stack checks its pins against.
 */
export async function applyRetention(
  request: BuildRequest,
  currentImageId: string,
  images: ImageService,
  say: Say,
): Promise<BuiltImage[]> {
  const { spec } = request;
  const current = await images.get(currentImageId);
  const mine = (await images.list(buildKeyFilter(spec.key, request.stack))).filter(
    (image) => !current?.owner || image.owner === current.owner,
  );
  const candidates: RetentionCandidate[] = [];
  for (const image of mine) {
    candidates.push({
      imageId: image.id,
      imageName: image.name,
      builtAt: readProvenance(image).builtAt || String(image.created_at ?? ""),
      promoted: await isPromoted(image, images),
      protected: image.protected === true,
    });
  }
  const { remove, spared } = imagesToDelete(candidates, spec.image.keep, currentImageId);
  for (const { image, why } of spared) {
    say(
      `build ${spec.key}: keeping ${image.imageName} (${image.imageId}) beyond keepImages=${spec.image.keep}: ${why}`,
    );
  }
  for (const image of remove) {
    say(
      `build ${spec.key}: deleting old image ${image.imageName} (${image.imageId}) (keepImages=${spec.image.keep})`,
    );
    await images.delete(image.imageId);
  }
  const removed = new Set(remove.map((i) => i.imageId));
  return mine
    .filter((image) => !removed.has(image.id) && image.status === "active")
    .map((image) => ({
      imageId: image.id,
      imageName: image.name,
      fingerprint: readProvenance(image).fingerprint,
      builtAt: readProvenance(image).builtAt,
    }))
    .sort((a, b) => (b.builtAt ?? "").localeCompare(a.builtAt ?? ""));
}

/** In use outside this stack: tagged by a same-project promotion, or shared with a project. */
async function isPromoted(image: GlanceImage, images: ImageService): Promise<boolean> {
  if (hasPromotedTag(image)) return true;
  if (image.visibility !== "shared") return false;
  return (await images.members(image.id)).length > 0;
}
