import { z } from "zod";
import { ConfigError, valueAt, type ConfigProblem } from "./errors";

/**
 * The configuration of a stack that promotes images instead of building them
 * (production): it pins, per build key, an image that another stack (staging)
 * built and that was tested there.
 */

export const PROMOTION_METHODS = ["share", "copy"] as const;
export type PromotionMethod = (typeof PROMOTION_METHODS)[number];

/** Glance image ids are UUIDs; anything else is a typo or a name. */
const IMAGE_ID =
  /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const imageId = z
  .string({ error: "must be an image id (a UUID)" })
  .trim()
  .regex(IMAGE_ID, "must be an image id (a UUID), not a name");

const pinShape = z.union(
  [
    imageId,
    z.strictObject({
      image: imageId,
      /** An image that the promoting-from stack did not build (a vendor image, a hotfix). */
      outside: z
        .preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean())
        .optional(),
    }),
  ],
  { error: "must be an image id, or { image: <id>, outside: true } for an image built elsewhere" },
);

export const promotionConfigSchema = z.strictObject({
  promoteFrom: z
    .string({ error: "must be a stack name (staging, or org/project/stack)" })
    .trim()
    .min(1, "must be a stack name (staging, or org/project/stack)"),
  pins: z.record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "build keys use letters, digits, . _ -"),
    pinShape,
    { error: "must be a map of build key → image id" },
  ),
  promotionMethod: z
    .enum(PROMOTION_METHODS, { error: `must be one of ${PROMOTION_METHODS.join(", ")}` })
    .optional(),
  promotionSourceCloud: z.string().trim().min(1, "must not be empty").optional(),
  defaultBuild: z.string().trim().min(1).optional(),
});

export interface Pin {
  key: string;
  imageId: string;
  /** Not built by the stack promoted from: its provenance is not checked. */
  outside: boolean;
}

export interface PromotionSettings {
  /** Stack whose outputs say which images it built (a StackReference name). */
  promoteFrom: string;
  pins: Pin[];
  method: PromotionMethod;
  /** clouds.yaml entry of the project that owns the promoted images; unset = this stack's cloud. */
  sourceCloud?: string;
  defaultBuild: string;
}

/** Config keys that only a building stack has: a promoting stack never builds. */
const BUILD_ONLY_KEYS = ["builds", "keepImages"];

/** A stack promotes (rather than builds) when it names a stack to promote from or pins images. */
export function isPromotionConfig(values: Record<string, unknown>): boolean {
  return values.promoteFrom !== undefined || values.pins !== undefined;
}

/**
 * Parses a promoting stack's config; one ConfigError lists every problem.
 * Settings that only mean something to a building stack are rejected by name,
 * so a production stack can never start a build by accident.
 */
export function resolvePromotionConfig(
  values: Record<string, unknown>,
  namespace: string,
): PromotionSettings {
  const problems: ConfigProblem[] = [];
  const buildKeys = Object.keys(values).filter(
    (k) => !(k in promotionConfigSchema.shape) && k !== "vaultPassword",
  );
  for (const key of buildKeys) {
    problems.push({
      key,
      value: key === "builds" ? Object.keys((values[key] as object) ?? {}) : values[key],
      message: BUILD_ONLY_KEYS.includes(key)
        ? "a promoting stack (promoteFrom/pins) does not build images; remove this setting, or remove promoteFrom and pins to build in this stack"
        : "not a setting of a promoting stack (promoteFrom, pins, promotionMethod, promotionSourceCloud, defaultBuild)",
    });
  }
  const known = Object.fromEntries(
    Object.entries(values).filter(([k]) => k in promotionConfigSchema.shape),
  );
  const parsed = promotionConfigSchema.safeParse(known);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join(".") || "(root)";
      problems.push({
        key,
        value: valueAt(known, issue.path),
        message:
          issue.code === "invalid_type" && issue.input === undefined
            ? key === "pins"
              ? "required: build key → image id tested in the stack promoted from"
              : "required: the stack whose images are promoted (e.g. staging)"
            : issue.message,
      });
    }
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems, namespace);

  const config = parsed.data;
  const pins: Pin[] = Object.entries(config.pins).map(([key, pin]) =>
    typeof pin === "string"
      ? { key, imageId: pin, outside: false }
      : { key, imageId: pin.image, outside: pin.outside ?? false },
  );
  if (pins.length === 0) {
    problems.push({ key: "pins", value: {}, message: "at least one pin is required" });
  }
  // One promotion per image: unpinning one key must not unshare an image another key uses.
  const byImage = new Map<string, string>();
  for (const pin of pins) {
    const other = byImage.get(pin.imageId);
    if (other) {
      problems.push({
        key: `pins.${pin.key}`,
        value: pin.imageId,
        message: `the same image is pinned for ${other}; pin each image under one key`,
      });
    } else byImage.set(pin.imageId, pin.key);
  }
  const defaultBuild = config.defaultBuild ?? pins[0]?.key;
  if (config.defaultBuild !== undefined && !pins.some((p) => p.key === config.defaultBuild)) {
    problems.push({
      key: "defaultBuild",
      value: config.defaultBuild,
      message: `not a pinned key; expected one of: ${pins.map((p) => p.key).join(", ")}`,
    });
  }
  if (problems.length) throw new ConfigError(problems, namespace);
  return {
    promoteFrom: config.promoteFrom,
    pins,
    method: config.promotionMethod ?? "share",
    sourceCloud: config.promotionSourceCloud,
    defaultBuild: defaultBuild!,
  };
}
