/**
 * Provenance: the Glance properties every built image carries, how they are
 * written, read back and used as list filters. The one place that knows the
 * property names (`image_build_*`) and the promotion tag.
 */

export const PROVENANCE_PREFIX = "image_build_";

/** Property names, by meaning. */
export const PROVENANCE = {
  fingerprint: `${PROVENANCE_PREFIX}fingerprint`,
  gitCommit: `${PROVENANCE_PREFIX}git_commit`,
  sourceImageId: `${PROVENANCE_PREFIX}source_image_id`,
  inventoryGroups: `${PROVENANCE_PREFIX}inventory_groups`,
  builtAt: `${PROVENANCE_PREFIX}time`,
  buildKey: `${PROVENANCE_PREFIX}key`,
  stack: `${PROVENANCE_PREFIX}stack`,
  /**
   * Which resource instance holds the image: a new id at every create, set on
   * the image it builds or adopts. A replaced resource whose image a newer one
   * adopted (same fingerprint) sees another claim and must not delete it.
   */
  claim: `${PROVENANCE_PREFIX}claim`,
  /** On a copy made by a promoting stack: the id of the image it copies. */
  promotedFrom: `${PROVENANCE_PREFIX}promoted_from`,
} as const;

/** Where an image came from; also how a later run recognises an image it already built. */
export interface Provenance {
  fingerprint: string;
  gitCommit: string;
  sourceImageId: string;
  inventoryGroups: string[];
  builtAt: Date;
  buildKey: string;
  stack: string;
}

export function provenanceProperties(p: Provenance): Record<string, string> {
  return {
    [PROVENANCE.fingerprint]: p.fingerprint,
    [PROVENANCE.gitCommit]: p.gitCommit || "unknown",
    [PROVENANCE.sourceImageId]: p.sourceImageId,
    [PROVENANCE.inventoryGroups]: ["builder", ...p.inventoryGroups].join(","),
    [PROVENANCE.builtAt]: p.builtAt.toISOString(),
    [PROVENANCE.buildKey]: p.buildKey,
    [PROVENANCE.stack]: p.stack,
  };
}

/** What an image's properties say about its build; "" where a property is missing. */
export interface ImageProvenance {
  fingerprint: string;
  gitCommit: string;
  builtAt: string;
  buildKey: string;
  stack: string;
  claim: string;
}

export function readProvenance(image: Record<string, unknown>): ImageProvenance {
  const text = (name: string) => (typeof image[name] === "string" ? (image[name] as string) : "");
  return {
    fingerprint: text(PROVENANCE.fingerprint),
    gitCommit: text(PROVENANCE.gitCommit),
    builtAt: text(PROVENANCE.builtAt),
    buildKey: text(PROVENANCE.buildKey),
    stack: text(PROVENANCE.stack),
    claim: text(PROVENANCE.claim),
  };
}

/** Glance list filter: the images one build key of one stack made. */
export function buildKeyFilter(buildKey: string, stack: string): Record<string, string> {
  return { [PROVENANCE.buildKey]: buildKey, [PROVENANCE.stack]: stack };
}

/** Glance list filter: images with this content fingerprint, made by this key and stack. */
export function fingerprintFilter(
  fingerprint: string,
  buildKey: string,
  stack: string,
): Record<string, string> {
  return { [PROVENANCE.fingerprint]: fingerprint, ...buildKeyFilter(buildKey, stack) };
}

/** Glance list filter: copies a promoting stack made of `imageId` in project `owner`. */
export function copiesFilter(imageId: string, owner: string): Record<string, string> {
  return { [PROVENANCE.promotedFrom]: imageId, owner };
}

/** True when a later create took the image over (its claim is not `claim`). */
export function claimedByAnother(
  image: Record<string, unknown>,
  claim: string | undefined,
): boolean {
  const current = readProvenance(image).claim;
  return current !== "" && current !== claim;
}

const PROMOTED_TAG_PREFIX = "promoted-";

/** The tag a same-project promotion puts on an image, so staging's retention spares it. */
export function promotedTag(stack: string): string {
  return `${PROMOTED_TAG_PREFIX}${stack}`;
}

/** Tagged by some promoting stack. */
export function hasPromotedTag(image: Record<string, unknown>): boolean {
  const tags = Array.isArray(image.tags) ? (image.tags as unknown[]) : [];
  return tags.some((t) => typeof t === "string" && t.startsWith(PROMOTED_TAG_PREFIX));
}
