/**
 * Promotion of one pinned image into the promoting stack's project (what the
 * production stack's per-key command runs). Never deletes an image.
 *
 *   same project → tag the image `promoted-<stack>` (staging's retention spares it);
 *   share        → make it `shared`, add the project as a member (owner), accept it (member);
 *   copy         → a new image in this project with the same data and properties.
 */
import { customProperties } from "../lib/imageProperties";
import type { GlanceImage, ImageService } from "../lib/openstack/images";
import { copiesFilter, promotedTag, PROVENANCE, readProvenance } from "../lib/provenance";
import type { PromotionRequest, PromotionResult, Say } from "../lib/protocol";

/** The two sides: the project that owns the pinned image, and this stack's project. */
export interface PromotionSides {
  source: { images: ImageService; projectId: string; cloud: string };
  target: { images: ImageService; projectId: string; cloud: string };
  say: Say;
}

/** Why a pinned image may not be promoted, or undefined when it may. */
export function provenanceMismatch(
  image: GlanceImage,
  request: PromotionRequest,
): string | undefined {
  if (image.status !== "active") return `its status is ${image.status}, not active`;
  if (request.outside || !request.expected) return undefined;
  const expected = request.expected;
  const provenance = readProvenance(image);
  const actual = {
    name: image.name,
    fingerprint: provenance.fingerprint,
    key: provenance.buildKey,
  };
  if (actual.fingerprint !== expected.fingerprint)
    return `its ${PROVENANCE.fingerprint} is ${JSON.stringify(actual.fingerprint)}, but stack ${request.promoteFrom} recorded ${expected.fingerprint}`;
  if (actual.key !== request.key)
    return `its ${PROVENANCE.buildKey} is ${JSON.stringify(actual.key)}, not ${request.key}`;
  if (actual.name !== expected.imageName)
    return `its name is ${JSON.stringify(actual.name)}, but stack ${request.promoteFrom} recorded ${expected.imageName}`;
  return undefined;
}

export async function promote(
  request: PromotionRequest,
  sides: PromotionSides,
): Promise<PromotionResult> {
  const { source, target, say } = sides;
  const where = `pins.${request.key}`;
  const image = await source.images.get(request.imageId);
  if (!image) {
    throw new Error(
      `${where}: image ${request.imageId} does not exist or is not visible to cloud ${source.cloud} (set promotionSourceCloud to the project that owns it)`,
    );
  }
  const mismatch = provenanceMismatch(image, request);
  if (mismatch) {
    throw new Error(
      `${where}: image ${request.imageId} (${image.name}) can't be promoted: ${mismatch}`,
    );
  }
  const fingerprint = readProvenance(image).fingerprint;
  const result = (imageId: string, how: PromotionResult["how"]): PromotionResult => ({
    imageId,
    imageName: image.name,
    fingerprint,
    pinnedImageId: request.imageId,
    how,
    promotedAt: new Date().toISOString(),
  });

  // A public image this project owns is still tagged (below): staging's retention
  // in the same project spares only tagged or shared images.
  if (
    (image.visibility === "public" || image.visibility === "community") &&
    image.owner !== target.projectId
  ) {
    say(`${request.key}: ${image.name} (${image.id}) is ${image.visibility}; nothing to share`);
    // Staging's own public image: tag it there, so its retention spares it.
    if (image.owner === source.projectId) {
      await source.images.addTag(image.id, promotedTag(request.stack));
    }
    return result(image.id, "public");
  }
  if (source.projectId === target.projectId || image.owner === target.projectId) {
    say(
      `${request.key}: ${image.name} (${image.id}) is in this project; tagging it ${promotedTag(request.stack)}`,
    );
    await target.images.addTag(image.id, promotedTag(request.stack));
    return result(image.id, "same-project");
  }

  if (request.method === "share") {
    if (image.visibility === "private") {
      say(`${request.key}: making ${image.name} shared (it was private) so it can have members`);
      await source.images.update(image.id, {}, [], "shared");
    }
    say(`${request.key}: sharing ${image.name} (${image.id}) with project ${target.projectId}`);
    await source.images.addMember(image.id, target.projectId);
    await target.images.setMemberStatus(image.id, target.projectId, "accepted");
    say(`${request.key}: accepted in project ${target.projectId}`);
    return result(image.id, "share");
  }

  // copy: reuse a finished copy from an earlier run; a half-made one is replaced.
  const copies = await target.images.list(copiesFilter(image.id, target.projectId));
  const done = copies.find((c) => c.status === "active");
  for (const stale of copies.filter((c) => c !== done)) {
    say(`${request.key}: removing unfinished copy ${stale.id} (${stale.status}) of an earlier run`);
    await target.images.delete(stale.id);
  }
  if (done) {
    say(`${request.key}: ${image.name} was already copied as ${done.id}`);
    return result(done.id, "copy");
  }
  const copy = await target.images.create({
    name: image.name,
    disk_format: image.disk_format ?? "raw",
    container_format: (image.container_format as string | undefined) ?? "bare",
    visibility: "private",
    ...(typeof image.min_disk === "number" ? { min_disk: image.min_disk } : {}),
    ...customProperties(image),
    [PROVENANCE.promotedFrom]: image.id,
  });
  const size = typeof image.size === "number" ? ` (${(image.size / 2 ** 20).toFixed(0)} MiB)` : "";
  say(
    `${request.key}: copying ${image.name}${size} into project ${target.projectId} as ${copy.id}`,
  );
  const started = Date.now();
  await target.images.upload(copy.id, await source.images.download(image.id));
  const copied = await target.images.get(copy.id);
  if (copied?.status !== "active") {
    throw new Error(
      `${where}: the copy ${copy.id} of ${image.name} is ${copied?.status ?? "missing"} after its upload, not active`,
    );
  }
  say(`${request.key}: copied in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result(copy.id, "copy");
}

/** Undoes a promotion when its pin goes: removes the share or the tag, never an image. */
export async function unpromote(
  request: PromotionRequest,
  previous: PromotionResult | undefined,
  sides: PromotionSides,
): Promise<void> {
  const { source, target, say } = sides;
  const how = previous?.how;
  if (how === "copy") {
    say(
      `${request.key}: keeping the copy ${previous!.imageId} (${previous!.imageName}); a promoting stack never deletes images`,
    );
  } else if (how === "share") {
    say(
      `${request.key}: no longer sharing ${request.imageId} with project ${target.projectId}; the image stays`,
    );
    await source.images.removeMember(request.imageId, target.projectId);
  } else if (how === "public") {
    // Tagged only when the promoted-from project owns it; another owner's tag can't be ours.
    const image = await source.images.get(request.imageId);
    if (image && image.owner === source.projectId) {
      say(`${request.key}: removing tag ${promotedTag(request.stack)} from ${request.imageId}`);
      await source.images.removeTag(request.imageId, promotedTag(request.stack));
    }
  } else if (how === "same-project") {
    say(`${request.key}: removing tag ${promotedTag(request.stack)} from ${request.imageId}`);
    await target.images.removeTag(request.imageId, promotedTag(request.stack));
  }
}
