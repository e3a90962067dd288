// Glance's images as the other services use them: lookups with Glance's
// visibility rules, new records, data from a volume (Cinder's upload).
import { ServiceEmulator } from "../cloud";
import { describe } from "../diskStore";
import { Faults } from "../faults";
import { forbidden, notFound } from "../http";
import type { Token } from "../keystone";
import { type Image, now, uuid } from "../state";

export class GlanceEmulator extends ServiceEmulator {
  /** The image if this token may see it (owner, public, community, or a member of a shared one). */
  visibleImage(id: string, token: Token): Image | undefined {
    return this.records.images.find((i) => i.id === id && this.cloud.canSeeImage(i, token));
  }

  /** A visible image, else 404 as Glance says it. */
  findVisible(id: string, token: Token): Image {
    const image = this.visibleImage(id, token);
    if (!image) throw notFound(`No image found with ID ${id}`);
    return image;
  }

  /** An image the project owns: 404 when it cannot see it, else 403 (`message`) unless it owns it. */
  findOwned(id: string, token: Token, message: string): Image {
    const image = this.findVisible(id, token);
    if (image.owner !== token.project.id) throw forbidden(message);
    return image;
  }

  createRecord(
    owner: Token | { project: { id: string } },
    fields: Partial<Image> & { properties?: Record<string, string> },
  ): Image {
    const created = now();
    const image: Image = {
      id: fields.id ?? uuid(),
      name: fields.name ?? null,
      status: "queued",
      visibility: fields.visibility ?? "shared",
      protected: fields.protected ?? false,
      os_hidden: fields.os_hidden ?? false,
      owner: owner.project.id,
      disk_format: fields.disk_format ?? null,
      container_format: fields.container_format ?? null,
      min_disk: fields.min_disk ?? 0,
      min_ram: fields.min_ram ?? 0,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      tags: fields.tags ?? [],
      properties: fields.properties ?? {},
      created_at: created,
      updated_at: created,
    };
    this.records.images.push(image);
    this.save();
    return image;
  }

  /** Whether an `imageStuckSaving` fault holds this image in `saving` (logged). */
  stuckSaving(image: Image): boolean {
    if (!Faults.matches(this.cloud.faults.stuckImages, image.id, image.name)) return false;
    this.cloud.log(`image ${image.id}: stays in saving (fault)`);
    return true;
  }

  /** Archives a volume into the image (used by Cinder's upload); honours the stuck-in-saving fault. */
  async storeFromVolume(image: Image, volumeId: string): Promise<void> {
    image.status = "saving";
    try {
      const info = await this.cloud.disk.archiveVolume(volumeId, image.id);
      if (this.stuckSaving(image)) return;
      Object.assign(image, info, { status: "active", virtual_size: info.size, updated_at: now() });
    } catch (e) {
      this.cloud.log(
        `image ${image.id}: upload from volume ${volumeId} failed: ${(e as Error).message}`,
      );
      image.status = "killed";
    }
    this.save();
  }

  /** Marks an image active whose data file is already on disk (the base image). */
  async activate(image: Image): Promise<void> {
    const info = await describe(this.cloud.disk.imageFile(image.id));
    Object.assign(image, info, { status: "active", virtual_size: info.size, updated_at: now() });
    this.save();
  }
}
