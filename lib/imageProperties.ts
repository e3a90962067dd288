import { PROVENANCE, PROVENANCE_PREFIX, provenanceProperties, type Provenance } from "./provenance";

/**
 * Properties the appliance's CI sets on every image it builds
 * (hw_* for the hypervisor, os_* for tooling), by disk format.
 */
export function applianceImageDefaults(
  diskFormat: string,
  adminUser: string,
): Record<string, string> {
  const props: Record<string, string> = {
    hw_machine_type: "q35",
    hw_architecture: "x86_64",
    hw_vif_multiqueue_enabled: "true",
    hw_firmware_type: "uefi",
    os_type: "linux",
    os_admin_user: adminUser,
  };
  if (diskFormat === "raw") {
    props.hw_scsi_model = "virtio-scsi";
    props.hw_disk_bus = "scsi";
  } else if (diskFormat === "qcow2") {
    props.hw_disk_bus = "virtio";
  }
  return props;
}

/** Properties Glance manages itself or that must not be copied onto a new image. */
const RESERVED = new Set([
  "id",
  "name",
  "status",
  "visibility",
  "owner",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "created_at",
  "updated_at",
  "disk_format",
  "container_format",
  "min_disk",
  "min_ram",
  "protected",
  "tags",
  "file",
  "schema",
  "self",
  "locations",
  "direct_url",
]);

/**
 * Final properties of a built image: appliance defaults, then the user's
 * `metadata` (which may override them), then provenance (which may not).
 */
export function finalImageProperties(
  diskFormat: string,
  adminUser: string,
  metadata: Record<string, string>,
  provenance: Provenance,
): Record<string, string> {
  const user = Object.fromEntries(Object.entries(metadata).filter(([k]) => !RESERVED.has(k)));
  return {
    ...applianceImageDefaults(diskFormat, adminUser),
    ...user,
    ...provenanceProperties(provenance),
  };
}

/** An image's own properties (what a copy of it carries over), without Glance's attributes. */
export function customProperties(image: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(image)
      .filter(([k, v]) => typeof v === "string" && !RESERVED.has(k) && !notCopied(k))
      .map(([k, v]) => [k, v as string]),
  );
}

/**
 * Glance refuses `os_glance_*` (import/store bookkeeping) and `stores` on a
 * new image; the claim belongs to the original's build resource, not a copy.
 */
function notCopied(key: string): boolean {
  return key.startsWith("os_glance") || key === "stores" || key === PROVENANCE.claim;
}

/** Keys of `metadata` that Glance reserves: reported as config errors. */
export function reservedMetadataKeys(metadata: Record<string, string>): string[] {
  return Object.keys(metadata).filter((k) => RESERVED.has(k) || k.startsWith(PROVENANCE_PREFIX));
}
