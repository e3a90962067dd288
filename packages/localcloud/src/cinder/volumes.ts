// Cinder's volume handlers: list (name, status, marker, limit), show, create
// (blank or from an image), update, delete.
import { badRequest, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import type { Image } from "../state";
import type { CinderEmulator } from "./cinder";
import type { GlanceEmulator } from "../glance";
import { volumeView } from "./views";

/** The statuses a volume may be deleted in (and then only when detached). */
const DELETABLE = ["available", "error", "error_restoring", "error_extending", "error_managing"];

export class VolumeHandlers {
  constructor(
    private cinder: CinderEmulator,
    private glance: GlanceEmulator,
  ) {}

  private view = (volume: Parameters<typeof volumeView>[1]) =>
    volumeView(this.cinder.cloud.baseUrl(), volume);

  list = (ctx: RequestContext, token: Token): Reply => this.listing(ctx, token, false);

  detail = (ctx: RequestContext, token: Token): Reply => this.listing(ctx, token, true);

  private listing(ctx: RequestContext, token: Token, detail: boolean): Reply {
    let volumes = this.cinder.records.volumes.filter((v) => v.project_id === token.project.id);
    const name = ctx.query.get("name");
    if (name !== null) volumes = volumes.filter((v) => v.name === name);
    const status = ctx.query.get("status");
    if (status !== null) volumes = volumes.filter((v) => v.status === status);
    const marker = ctx.query.get("marker");
    if (marker) volumes = volumes.slice(volumes.findIndex((v) => v.id === marker) + 1);
    const limit = Number(ctx.query.get("limit") ?? 0);
    if (limit > 0) volumes = volumes.slice(0, limit);
    return {
      status: 200,
      body: {
        volumes: volumes.map((v) =>
          detail ? this.view(v) : { id: v.id, name: v.name, links: this.view(v).links },
        ),
      },
    };
  }

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { volume: this.view(this.cinder.find(ctx.params.id, token)) },
  });

  create = (ctx: RequestContext, token: Token): Reply => {
    const body = ctx.json<{ volume?: Record<string, unknown> }>().volume;
    if (!body) throw badRequest("Missing required element 'volume' in request body.");
    const size = Number(body.size);
    if (!Number.isInteger(size) || size < 1)
      throw badRequest(
        `Invalid input for field/attribute size. Value: ${String(body.size)}. ${String(body.size)} is not of type 'integer'`,
      );
    const imageRef = (body.imageRef ?? body.image_id) as string | undefined;
    const image = imageRef ? this.sourceImage(imageRef, token, size) : undefined;
    const volume = this.cinder.create(token, {
      name: (body.name as string | undefined) ?? null,
      description: (body.description as string | undefined) ?? null,
      size,
      volume_type: body.volume_type as string | undefined,
      availability_zone: body.availability_zone as string | undefined,
      metadata: (body.metadata as Record<string, string> | undefined) ?? {},
      image,
    });
    return { status: 202, body: { volume: this.view(volume) } };
  };

  /** The image a new volume is made from: visible, active, and not larger than the volume. */
  private sourceImage(imageRef: string, token: Token, size: number): Image {
    const image = this.glance.visibleImage(imageRef, token);
    if (!image) throw badRequest("Invalid image identifier or unable to access requested image.");
    if (image.status !== "active") throw badRequest(`Image ${image.id} is not active.`);
    if (image.min_disk > size)
      throw badRequest(
        `Volume size ${size}GB cannot be smaller than the image minDisk size ${image.min_disk}GB.`,
      );
    return image;
  }

  update = (ctx: RequestContext, token: Token): Reply => {
    const volume = this.cinder.find(ctx.params.id, token);
    const body =
      ctx.json<{
        volume?: { name?: string; description?: string; metadata?: Record<string, string> };
      }>().volume ?? {};
    if (body.name !== undefined) volume.name = body.name;
    if (body.description !== undefined) volume.description = body.description;
    if (body.metadata !== undefined) volume.metadata = body.metadata;
    this.cinder.save();
    return { status: 200, body: { volume: this.view(volume) } };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    const volume = this.cinder.find(ctx.params.id, token);
    if (!DELETABLE.includes(volume.status) || volume.attachments.length > 0)
      throw badRequest(
        "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.",
      );
    this.cinder.remove(volume);
    return { status: 202 };
  };
}
