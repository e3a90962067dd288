// An image's tags: the owner adds (PUT, up to Glance's tag quota) and removes (DELETE) them.
import { ApiError, badRequest, notFound, type Reply, type RequestContext } from "../http";
import type { Authenticate } from "../keystone";
import { now } from "../state";
import type { GlanceEmulator } from "./glance";

/** Glance's default image_tag_quota. */
const TAG_QUOTA = 128;

export class TagHandlers {
  constructor(
    private glance: GlanceEmulator,
    private authenticate: Authenticate,
  ) {}

  /** Checks the tag before the token, as Glance's schema validation comes first. */
  add = (ctx: RequestContext): Reply => {
    const tag = ctx.params.tag;
    if (tag.length > 255)
      throw badRequest(`Provided object does not match schema 'image': '${tag}' is too long`);
    const image = this.glance.findOwned(
      ctx.params.id,
      this.authenticate(ctx),
      `Not allowed to update tags for image ${ctx.params.id}.`,
    );
    if (!image.tags.includes(tag)) {
      if (image.tags.length >= TAG_QUOTA)
        throw new ApiError(
          413,
          `Image tag limit exceeded for image ${image.id}: Maximum number of tags exceeded (${TAG_QUOTA}).`,
        );
      image.tags.push(tag);
      image.updated_at = now();
      this.glance.save();
    }
    return { status: 204 };
  };

  remove = (ctx: RequestContext): Reply => {
    const image = this.glance.findOwned(
      ctx.params.id,
      this.authenticate(ctx),
      `Not allowed to delete tags for image ${ctx.params.id}.`,
    );
    const tag = ctx.params.tag;
    if (!image.tags.includes(tag)) throw notFound(`Tag ${tag} not found`);
    image.tags = image.tags.filter((x) => x !== tag);
    image.updated_at = now();
    this.glance.save();
    return { status: 204 };
  };
}
