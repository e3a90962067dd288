// POST /volumes/{id}/action: upload to an image, image metadata, reset status,
// extend, set bootable.
import { ApiError, badRequest, notFound, type Reply, type RequestContext } from "../http";
import type { GlanceEmulator } from "../glance";
import type { Token } from "../keystone";
import type { Image, Volume } from "../state";
import type { CinderEmulator } from "./cinder";
import { cinderTime } from "./views";
import { VOLUME_TYPES, volumeTypeView } from "./volumeTypes";

/** Glance properties that Cinder does not copy from volume_image_metadata into an uploaded image. */
const NOT_COPIED = new Set([
  "image_id",
  "image_name",
  "checksum",
  "container_format",
  "disk_format",
  "min_disk",
  "min_ram",
  "size",
]);

type ActionArguments = Record<string, unknown>;

export class VolumeActionHandlers {
  constructor(
    private cinder: CinderEmulator,
    private glance: GlanceEmulator,
  ) {}

  /** The action is the body's only key, its arguments that key's value. */
  run = async (ctx: RequestContext, token: Token): Promise<Reply> => {
    const volume = this.cinder.find(ctx.params.id, token);
    const body = ctx.json<Record<string, ActionArguments | null>>();
    const [name] = Object.keys(body);
    const args = body[name] ?? {};
    switch (name) {
      case "os-volume_upload_image":
        return await this.uploadToImage(volume, token, args);
      case "os-set_image_metadata":
        Object.assign(
          volume.volume_image_metadata,
          (args.metadata ?? {}) as Record<string, string>,
        );
        this.cinder.save();
        return { status: 200, body: { metadata: volume.volume_image_metadata } };
      case "os-unset_image_metadata":
        return this.unsetImageMetadata(volume, String(args.key));
      case "os-show_image_metadata":
        return { status: 200, body: { metadata: volume.volume_image_metadata } };
      case "os-reset_status":
        if (args.status) this.cinder.setStatus(volume, args.status as Volume["status"]);
        return { status: 202 };
      case "os-extend":
        return this.extend(volume, Number(args.new_size));
      case "os-set_bootable":
        volume.bootable = Boolean(args.bootable);
        this.cinder.save();
        return { status: 200 };
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  };

  private unsetImageMetadata(volume: Volume, key: string): Reply {
    if (!(key in volume.volume_image_metadata))
      throw notFound(`Glance metadata for volume ${volume.id} with key ${key} not found.`);
    delete volume.volume_image_metadata[key];
    this.cinder.save();
    return { status: 200 };
  }

  private extend(volume: Volume, size: number): Reply {
    if (!(size > volume.size))
      throw badRequest(
        `Invalid input received: New size for extend must be greater than current size. (current: ${volume.size}, extended: ${size}).`,
      );
    if (volume.status !== "available")
      throw badRequest(
        `Volume ${volume.id} status must be available to extend, but current status is: ${volume.status}.`,
      );
    volume.size = size;
    this.cinder.save();
    return { status: 202 };
  }

  /** Cinder's upload-to-image: the volume's tree becomes a new Glance image (queued → saving → active). */
  private async uploadToImage(volume: Volume, token: Token, args: ActionArguments): Promise<Reply> {
    const force = args.force === true || args.force === "True" || args.force === "true";
    if (!(volume.status === "available" || (force && volume.status === "in-use")))
      throw badRequest(
        `Invalid volume: Volume ${volume.id} status must be available or in-use, but current status is: ${volume.status}.`,
      );
    if (volume.status === "in-use" && !force)
      throw badRequest(
        `Invalid volume: Volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
      );
    const properties: Record<string, string> = {};
    for (const [key, value] of Object.entries(volume.volume_image_metadata))
      if (!NOT_COPIED.has(key)) properties[key] = value;
    const visibility = (args.visibility as Image["visibility"] | undefined) ?? "private";
    if (visibility === "public")
      throw new ApiError(
        403,
        "Policy doesn't allow volume_extension:volume_actions:upload_public to be performed.",
        "forbidden",
      );
    const fields = {
      name: (args.image_name as string | undefined) ?? volume.name ?? "",
      disk_format: (args.disk_format as string | undefined) ?? "raw",
      container_format: (args.container_format as string | undefined) ?? "bare",
      visibility,
      protected: args.protected === true,
      min_disk: volume.size,
    };
    // With the real Glance the image is made there, by the caller, as real Cinder does.
    const real = this.cinder.cloud.real;
    const made = real ? await real.createImage(token, { ...properties, ...fields }) : undefined;
    const image = this.glance.createRecord(token, { ...fields, id: made?.id, properties });
    const previous = volume.status;
    this.cinder.setStatus(volume, "uploading");
    image.status = "saving";
    this.cinder.cloud.afterTransition(async () => {
      try {
        await this.glance.storeFromVolume(image, volume.id);
        if (real && image.status === "active")
          await real.glance.upload(token.id, image.id, this.cinder.cloud.disk.imageFile(image.id));
      } finally {
        if (volume.status === "uploading") this.cinder.setStatus(volume, previous);
      }
    });
    return {
      status: 202,
      body: {
        "os-volume_upload_image": {
          id: volume.id,
          updated_at: cinderTime(volume.updated_at),
          status: "uploading",
          display_description: volume.description,
          size: volume.size,
          volume_type: volumeTypeView(
            VOLUME_TYPES.find((type) => type.name === volume.volume_type) ?? VOLUME_TYPES[0],
          ),
          image_id: image.id,
          container_format: image.container_format,
          disk_format: image.disk_format,
          image_name: image.name,
          protected: image.protected,
          visibility: image.visibility,
        },
      },
    };
  }
}
