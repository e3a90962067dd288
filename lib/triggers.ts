import type { BuildSpec } from "./config/types";
import { buildFingerprint, type ApplianceDigest, type ContentInputs } from "./fingerprint";

/** The inputs that decide what an image contains: a build's identity (README: "What decides a rebuild"). */
export function contentInputs(
  spec: BuildSpec,
  sourceImageId: string,
  appliance: ApplianceDigest,
  extraVarsFileDigest?: string,
  secretExtraVars?: Record<string, string>,
): ContentInputs & { applianceFiles: ApplianceDigest["files"] } {
  return {
    sourceImageId,
    inventoryGroups: [...spec.inventoryGroups].sort(),
    volumeSize: spec.volume.size,
    diskFormat: spec.image.diskFormat,
    extraVars: spec.ansible.extraVars,
    extraVarsFileDigest,
    // Only when there are any: triggers of existing builds stay as they were.
    ...(secretExtraVars && Object.keys(secretExtraVars).length ? { secretExtraVars } : {}),
    applianceDigest: appliance.digest,
    applianceFiles: appliance.files,
  };
}

/**
 * What the per-image resource is replaced on. Written out field by field (not
 * just the fingerprint) so `pulumi preview --diff` says *why* an image
 * rebuilds: `sourceImageId`, `inventoryGroups`, and per appliance file
 * (`applianceFiles["environments/site"]["inventory/group_vars/all.yml"]`).
 */
export function rebuildTriggers(
  content: ContentInputs & { applianceFiles: ApplianceDigest["files"] },
): Record<string, unknown> {
  const { applianceDigest: _digest, ...rest } = content;
  void _digest;
  return { ...rest, fingerprint: fingerprintOf(content) };
}

/** The build's fingerprint: the file digests are already in `applianceDigest`. */
export function fingerprintOf(
  content: ContentInputs & { applianceFiles?: ApplianceDigest["files"] },
): string {
  const { applianceFiles: _files, ...inputs } = content;
  void _files;
  return buildFingerprint(inputs);
}
