// An image's data: upload into a queued image (PUT), download (GET).
import { createReadStream, writeFileSync } from "node:fs";
import { describe } from "../diskStore";
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  type Reply,
  type RequestContext,
} from "../http";
import type { Token } from "../keystone";
import { now } from "../state";
import type { GlanceEmulator } from "./glance";

export class ImageDataHandlers {
  constructor(private glance: GlanceEmulator) {}

  upload = async (ctx: RequestContext, token: Token): Promise<Reply> => {
    const contentType = (ctx.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (contentType !== "application/octet-stream")
      throw new ApiError(415, `Invalid content type ${contentType || "None"}`);
    const image = this.glance.findOwned(
      ctx.params.id,
      token,
      `Not allowed to upload image data for image ${ctx.params.id}`,
    );
    if (image.status !== "queued")
      throw conflict(`Image status transition from ${image.status} to saving is not allowed`);
    if (!image.disk_format || !image.container_format)
      throw badRequest(
        "Properties disk_format, container_format must be set prior to saving data.",
      );
    const file = this.glance.cloud.disk.imageFile(image.id);
    image.status = "saving";
    writeFileSync(file, ctx.raw);
    const info = await describe(file);
    Object.assign(image, info, { virtual_size: info.size, updated_at: now() });
    if (!this.glance.stuckSaving(image)) image.status = "active";
    this.glance.save();
    return { status: 204 };
  };

  download = (ctx: RequestContext, token: Token): Reply => {
    const image = this.glance.findVisible(ctx.params.id, token);
    if (image.status === "deactivated")
      throw forbidden(
        "The requested image has been deactivated. Image data download is forbidden.",
      );
    const disk = this.glance.cloud.disk;
    // no data yet (queued, saving): 204, as Glance answers when the store has nothing
    if (image.status !== "active" || !disk.hasImageData(image.id)) return { status: 204 };
    return {
      status: 200,
      body: createReadStream(disk.imageFile(image.id)),
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-MD5": image.checksum ?? "",
        "Content-Length": String(image.size ?? 0),
      },
    };
  };
}
