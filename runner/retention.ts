import type { BuildRequest } from "./request";
import type { GlanceImage, ImageService } from "../lib/openstack/images";
import { imagesToDelete, type BuiltImage, type RetentionCandidate } from "../lib/promotion";

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
  say: (message: string) => void,
): Promise<BuiltImage[]> {
  const { spec } = request;
  const current = await images.get(currentImageId);
  const mine = (
    await images.list({ image_build_key: spec.key, image_build_stack: request.stack })
  ).filter((image) => !current?.owner || image.owner === current.owner);
  const candidates: RetentionCandidate[] = [];
  for (const image of mine) {
    candidates.push({
      imageId: image.id,
      imageName: image.name,
      builtAt: String(image.image_build_time ?? image.created_at ?? ""),
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
      fingerprint: String(image.image_build_fingerprint ?? ""),
      builtAt: String(image.image_build_time ?? ""),
    }))
    .sort((a, b) => (b.builtAt ?? "").localeCompare(a.builtAt ?? ""));
}

/** In use outside this stack: tagged by a same-project promotion, or shared with a project. */
async function isPromoted(image: GlanceImage, images: ImageService): Promise<boolean> {
  const tags = Array.isArray(image.tags) ? (image.tags as string[]) : [];
  if (tags.some((t) => t.startsWith("promoted-"))) return true;
  if (image.visibility !== "shared") return false;
  return (await images.members(image.id)).length > 0;
}
