/**
 * Pins of a promoting stack, checked against the `images` output of the stack
 * they promote from. Pure: the caller reads that output.
 */
import { ConfigError, type ConfigProblem } from "./config/errors";
import type { Pin } from "./config/promotion";

/** An image a building stack made, as its `images` output lists it. */
export interface BuiltImage {
  imageId: string;
  imageName: string;
  fingerprint: string;
  builtAt?: string;
}

/** One key of a building stack's `images` output (the parts promotion reads). */
export interface BuiltImageEntry extends BuiltImage {
  /** Every image of this key the stack still keeps, newest first (the current one included). */
  history?: BuiltImage[];
}

/** A pin that passed the check, with what the building stack recorded for it. */
export interface CheckedPin extends Pin {
  /** Name and fingerprint the image must still have; absent for outside images. */
  expected?: BuiltImage;
}

/**
 * Checks every pin against the outputs of the stack promoted from: each pinned
 * image must be one that stack built for that key (its current image or one it
 * still keeps), unless the pin is marked `outside`. All problems are reported
 * at once, before anything is created.
 */
export function checkPins(
  pins: Pin[],
  builtImages: unknown,
  promoteFrom: string,
  namespace: string,
): CheckedPin[] {
  const problems: ConfigProblem[] = [];
  const built = asImageEntries(builtImages);
  const checked: CheckedPin[] = [];
  for (const pin of pins) {
    if (pin.outside) {
      checked.push(pin);
      continue;
    }
    const key = `pins.${pin.key}`;
    if (!built) {
      problems.push({
        key,
        value: pin.imageId,
        message: `stack ${promoteFrom} has no \`images\` output to check this pin against: deploy it first (pulumi up -s ${promoteFrom}), or mark the pin { image: ..., outside: true }`,
      });
      continue;
    }
    const entry = built[pin.key];
    if (!entry) {
      const keys = Object.keys(built);
      problems.push({
        key,
        value: pin.imageId,
        message: `stack ${promoteFrom} has no build ${pin.key} (it has: ${keys.join(", ") || "none"}); pin a key it builds, or mark the pin { image: ..., outside: true } for an image built elsewhere`,
      });
      continue;
    }
    const candidates = [entry, ...(entry.history ?? [])];
    const match = candidates.find((c) => c.imageId === pin.imageId);
    if (!match) {
      problems.push({
        key,
        value: pin.imageId,
        message: `not an image that stack ${promoteFrom} built for ${pin.key}; its current ${pin.key} image is ${entry.imageId} (${entry.imageName}). Pin that (or one it still keeps), or mark the pin { image: ..., outside: true } for an image built elsewhere`,
      });
      continue;
    }
    checked.push({
      ...pin,
      expected: {
        imageId: match.imageId,
        imageName: match.imageName,
        fingerprint: match.fingerprint,
        builtAt: match.builtAt,
      },
    });
  }
  if (problems.length) throw new ConfigError(problems, namespace);
  return checked;
}

function asImageEntries(value: unknown): Record<string, BuiltImageEntry> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries: Record<string, BuiltImageEntry> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const e = raw as Partial<BuiltImageEntry> | null;
    if (!e || typeof e.imageId !== "string" || e.imageId === "") continue;
    entries[key] = {
      imageId: e.imageId,
      imageName: String(e.imageName ?? ""),
      fingerprint: String(e.fingerprint ?? ""),
      builtAt: typeof e.builtAt === "string" ? e.builtAt : undefined,
      history: Array.isArray(e.history)
        ? e.history.filter((h): h is BuiltImage => !!h && typeof h.imageId === "string")
        : undefined,
    };
  }
  return entries;
}
