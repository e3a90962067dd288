/** Which of a build key's images to delete after a build (`keepImages`). Pure. */
/** What retention decides for one kept image of a build key. */
export interface RetentionCandidate {
  imageId: string;
  imageName: string;
  builtAt: string;
  /** Shared with another project, or tagged as promoted: in use outside this stack. */
  promoted: boolean;
  protected: boolean;
}

/**
 * Which images of one build key to delete: all but the newest `keep`, never
 * the image just built, never one that is promoted or protected. `keep`
 * undefined keeps everything.
 */
export function imagesToDelete(
  images: RetentionCandidate[],
  keep: number | undefined,
  currentImageId: string,
): { remove: RetentionCandidate[]; spared: { image: RetentionCandidate; why: string }[] } {
  if (keep === undefined) return { remove: [], spared: [] };
  const newestFirst = [...images].sort((a, b) => b.builtAt.localeCompare(a.builtAt));
  const current = newestFirst.filter((i) => i.imageId === currentImageId);
  const others = newestFirst.filter((i) => i.imageId !== currentImageId);
  // The current image always counts as one of the kept.
  const beyond = others.slice(Math.max(0, keep - current.length));
  const remove: RetentionCandidate[] = [];
  const spared: { image: RetentionCandidate; why: string }[] = [];
  for (const image of beyond) {
    if (image.promoted) spared.push({ image, why: "promoted (shared or tagged promoted-*)" });
    else if (image.protected) spared.push({ image, why: "protected" });
    else remove.push(image);
  }
  return { remove, spared };
}
