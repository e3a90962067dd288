// Cinder's volumes as the other services use them: lookups, the record of a
// new volume filled in the background (blank, or a copy of an image's tree),
// and the status changes of attaching, detaching and deleting.
import { ServiceEmulator } from "../cloud";
import { Faults } from "../faults";
import { ApiError, badRequest, notFound } from "../http";
import { withinLimit } from "../quotas";
import type { Token } from "../keystone";
import { type Image, type Volume, now, uuid } from "../state";
import { findVolumeType } from "./volumeTypes";

export interface NewVolume {
  name?: string | null;
  description?: string | null;
  size: number;
  volume_type?: string;
  image?: Image;
  availability_zone?: string;
  metadata?: Record<string, string>;
}

export class CinderEmulator extends ServiceEmulator {
  /** A volume of the token's project, else 404. */
  find(id: string, token: Token): Volume {
    const volume = this.records.volumes.find(
      (v) => v.id === id && v.project_id === token.project.id,
    );
    if (!volume) throw notFound(`Volume ${id} could not be found.`);
    return volume;
  }

  setStatus(volume: Volume, status: Volume["status"]): void {
    volume.status = status;
    volume.updated_at = now();
    this.save();
  }

  /** Cinder's quota check (413, as Cinder answers): volumes and gigabytes, overall and per type. */
  private checkQuota(projectId: string, typeName: string, size: number): void {
    const quota = this.cloud.quotas.of(projectId);
    const mine = this.records.volumes.filter((v) => v.project_id === projectId);
    const ofType = mine.filter((v) => v.volume_type === typeName);
    const gb = (vs: Volume[]) => vs.reduce((sum, v) => sum + v.size, 0);
    const perType = quota.perType[typeName] ?? { volumes: -1, gigabytes: -1 };
    if (quota.per_volume_gigabytes >= 0 && size > quota.per_volume_gigabytes)
      throw new ApiError(
        413,
        `VolumeSizeExceedsLimit: Requested volume size ${size}G is larger than maximum allowed limit ${quota.per_volume_gigabytes}G.`,
        "overLimit",
      );
    const checks: [string, number, number, number][] = [
      ["volumes", quota.volumes, mine.length, 1],
      [`volumes_${typeName}`, perType.volumes, ofType.length, 1],
      ["gigabytes", quota.gigabytes, gb(mine), size],
      [`gigabytes_${typeName}`, perType.gigabytes, gb(ofType), size],
    ];
    for (const [resource, limit, used, more] of checks)
      if (!withinLimit(limit, used, more))
        throw new ApiError(
          413,
          resource.startsWith("volumes")
            ? `VolumeLimitExceeded: Maximum number of volumes allowed (${limit}) exceeded for quota '${resource}'.`
            : `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${more}G, quota is ${limit}G and ${used}G has been consumed.`,
          "overLimit",
        );
  }

  /** Creates a volume record and fills it in the background (copy of the image's tree). */
  create(token: Token, request: NewVolume): Volume {
    const type = findVolumeType(request.volume_type ?? "__DEFAULT__", request.volume_type);
    if (!type)
      throw notFound(`Volume type with name ${request.volume_type ?? ""} could not be found.`);
    if (request.availability_zone && request.availability_zone !== "nova")
      throw badRequest("Availability zone is invalid.");
    this.checkQuota(token.project.id, type.name, request.size);
    const image = request.image;
    const created = now();
    const volume: Volume = {
      id: uuid(),
      name: request.name ?? null,
      description: request.description ?? null,
      project_id: token.project.id,
      user_id: token.user.id,
      status: "creating",
      size: request.size,
      volume_type: type.name,
      availability_zone: "nova",
      bootable: Boolean(image),
      image_id: image?.id ?? null,
      volume_image_metadata: image ? volumeImageMetadata(image) : {},
      metadata: request.metadata ?? {},
      attachments: [],
      created_at: created,
      updated_at: created,
    };
    this.records.volumes.push(volume);
    this.save();
    const failNow = Faults.takeTarget(this.cloud.faults.volumeErrors, volume.id, volume.name);
    this.cloud.afterTransition(async () => {
      if (failNow) return this.setStatus(volume, "error");
      if (image) {
        if (!(await this.copyImage(volume, image))) return this.setStatus(volume, "error");
      } else {
        this.cloud.disk.blankVolume(volume.id);
      }
      if (volume.status === "creating" || volume.status === "downloading")
        this.setStatus(volume, "available");
    });
    return volume;
  }

  /** Fills a new volume with an image's tree; false when that fails (the volume goes to error). */
  private async copyImage(volume: Volume, image: Image): Promise<boolean> {
    // OpenStack bug 1823445: Cinder records signature_verified for every volume made
    // from an image; if the image already carries it, the duplicate makes the create fail.
    if (
      this.cloud.options.emulateSignatureVerifiedBug &&
      "signature_verified" in image.properties
    ) {
      this.cloud.log(
        `volume ${volume.id}: image ${image.id} has signature_verified: failing as OpenStack bug 1823445`,
      );
      return false;
    }
    // Cinder reports "downloading" while it copies the image's data.
    this.setStatus(volume, "downloading");
    try {
      await this.cloud.disk.volumeFromImage(image.id, volume.id);
    } catch (e) {
      this.cloud.log(
        `volume ${volume.id}: copy of image ${image.id} failed: ${(e as Error).message}`,
      );
      return false;
    }
    volume.volume_image_metadata.signature_verified = "False";
    return true;
  }

  attach(volume: Volume, serverId: string, device: string, attachmentId: string): void {
    volume.attachments = [
      { server_id: serverId, attachment_id: attachmentId, device, attached_at: now() },
    ];
    this.setStatus(volume, "in-use");
  }

  detach(volume: Volume): void {
    volume.attachments = [];
    this.setStatus(volume, "available");
  }

  reserve(volume: Volume): void {
    this.setStatus(volume, "reserved");
  }

  /** Deletes in the background: deleting → gone. */
  remove(volume: Volume): void {
    this.setStatus(volume, "deleting");
    this.cloud.afterTransition(async () => {
      await this.cloud.disk.deleteVolume(volume.id);
      this.records.volumes = this.records.volumes.filter((v) => v !== volume);
    });
  }
}

/** What Cinder records of the image a volume is made from (`volume_image_metadata`). */
function volumeImageMetadata(image: Image): Record<string, string> {
  return {
    ...image.properties,
    image_id: image.id,
    image_name: image.name ?? "",
    checksum: image.checksum ?? "",
    container_format: image.container_format ?? "bare",
    disk_format: image.disk_format ?? "raw",
    min_disk: String(image.min_disk),
    min_ram: String(image.min_ram),
    size: String(image.size ?? 0),
  };
}
