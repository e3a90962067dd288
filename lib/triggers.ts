import type { BuildSpec } from "./config/types";
import { buildFingerprint, type ApplianceDigest, type ContentInputs } from "./fingerprint";

/** The inputs that decide what an image contains (see DESIGN: "a build's identity"). */
export function contentInputs(
  spec: BuildSpec,
  sourceImageId: string,
  appliance: ApplianceDigest,
  extraVarsFileDigest?: string,
): ContentInputs & { applianceAreas: Record<string, string> } {
  return {
    sourceImageId,
    inventoryGroups: [...spec.inventoryGroups].sort(),
    volumeSize: spec.volume.size,
    diskFormat: spec.image.diskFormat,
    extraVars: spec.ansible.extraVars,
    extraVarsFileDigest,
    applianceDigest: appliance.digest,
    applianceAreas: appliance.areas,
  };
}

/**
 * What the per-image resource is replaced on. Written out field by field (not
 * just the fingerprint) so `pulumi preview --diff` says *why* an image
 * rebuilds: `sourceImageId`, `inventoryGroups`, `applianceFiles.environments/site`...
 */
export function rebuildTriggers(
  content: ContentInputs & { applianceAreas: Record<string, string> },
): Record<string, unknown> {
  const { applianceAreas, applianceDigest: _digest, ...rest } = content;
  void _digest;
  return {
    ...rest,
    applianceFiles: applianceAreas,
    fingerprint: fingerprintOf(content),
  };
}

/** The build's fingerprint: the area digests are already in `applianceDigest`. */
export function fingerprintOf(
  content: ContentInputs & { applianceAreas?: Record<string, string> },
): string {
  const { applianceAreas: _areas, ...inputs } = content;
  void _areas;
  return buildFingerprint(inputs);
}
