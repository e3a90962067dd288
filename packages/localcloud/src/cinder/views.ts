// Cinder's response bodies: volume, version document; its version headers.
import type { RequestContext } from "../http";
import type { Volume } from "../state";
import { VOLUME_TYPES } from "./volumeTypes";

export const VOLUME_MAX_MICROVERSION = "3.70";

/** Cinder's times carry microseconds. */
export const cinderTime = (time: string) => time.replace("Z", ".000000");

export function volumeView(baseUrl: string, volume: Volume) {
  return {
    id: volume.id,
    name: volume.name,
    description: volume.description,
    status: volume.status,
    size: volume.size,
    volume_type: volume.volume_type,
    volume_type_id: VOLUME_TYPES.find((type) => type.name === volume.volume_type)?.id,
    availability_zone: volume.availability_zone,
    bootable: String(volume.bootable),
    encrypted: false,
    multiattach: false,
    snapshot_id: null,
    source_volid: null,
    consistencygroup_id: null,
    group_id: null,
    replication_status: null,
    migration_status: null,
    "os-vol-tenant-attr:tenant_id": volume.project_id,
    user_id: volume.user_id,
    metadata: volume.metadata,
    ...(Object.keys(volume.volume_image_metadata).length > 0
      ? { volume_image_metadata: volume.volume_image_metadata }
      : {}),
    attachments: volume.attachments.map((attachment) => ({
      id: volume.id,
      attachment_id: attachment.attachment_id,
      volume_id: volume.id,
      server_id: attachment.server_id,
      host_name: null,
      device: attachment.device,
      attached_at: cinderTime(attachment.attached_at),
    })),
    created_at: cinderTime(volume.created_at),
    updated_at: cinderTime(volume.updated_at),
    links: [
      { rel: "self", href: `${baseUrl}/volume/v3/${volume.project_id}/volumes/${volume.id}` },
    ],
    shared_targets: false,
    service_uuid: null,
    cluster_name: null,
    provider_id: null,
    consumes_quota: true,
  };
}

export function versionDocument(baseUrl: string) {
  return {
    id: "v3.0",
    status: "CURRENT",
    version: VOLUME_MAX_MICROVERSION,
    min_version: "3.0",
    updated: "2023-08-31T00:00:00Z",
    links: [{ rel: "self", href: `${baseUrl}/volume/v3/` }],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.volume+json;version=3" },
    ],
  };
}

/** The microversion a response names: the one asked for (`latest`: the maximum), else 3.0. */
export function volumeVersionHeaders(ctx: RequestContext): Record<string, string> {
  const asked = ctx.header("openstack-api-version")?.match(/volume\s+(\S+)/)?.[1];
  return {
    "OpenStack-API-Version": `volume ${asked === "latest" ? VOLUME_MAX_MICROVERSION : (asked ?? "3.0")}`,
    Vary: "OpenStack-API-Version",
  };
}
