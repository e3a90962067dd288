// Glance's image handlers: list (filters, sort, paging), show, create, JSON-patch
// update, delete, deactivate and reactivate.
import {
  ApiError,
  badRequest,
  conflict,
  forbidden,
  notFound,
  type Reply,
  type RequestContext,
} from "../http";
import type { Token } from "../keystone";
import { type Image, now } from "../state";
import type { GlanceEmulator } from "./glance";
import { type PatchOperation, patchedImage, setImageField } from "./imageFields";
import {
  MEMBER_STATUSES,
  NOT_FILTERS,
  VISIBILITIES,
  compareImages,
  filterFor,
  parseLimit,
  sortOrder,
} from "./listQuery";
import { imageView } from "./views";

/** Glance (Zed) to a project that sees an image but does not own it, when it changes, deletes or (de)activates it. */
const NOT_OWNER = "You do not own this image";

export class ImageHandlers {
  constructor(private glance: GlanceEmulator) {}

  private get records() {
    return this.glance.records;
  }

  /**
   * GET /v2/images as Glance's API and database layers do it: the images the project
   * may list (its own, public and community ones, and shared ones whose membership
   * has `member_status`, default `accepted`), narrowed by `visibility` (without it,
   * only its own community images), `os_hidden` (default false), the columns, `tag`s
   * and any property `key=value`; sorted, then paged by `marker`/`limit`.
   */
  list = (ctx: RequestContext, token: Token): Reply => {
    const query = ctx.query;
    const me = token.project.id;
    const memberStatus = query.get("member_status") ?? "accepted";
    if (!MEMBER_STATUSES.includes(memberStatus))
      throw badRequest(`Invalid status: ${memberStatus}`);
    const visibility = query.get("visibility");
    if (visibility && !VISIBILITIES.includes(visibility))
      throw badRequest(`Invalid visibility value: ${visibility}`);
    if (query.has("changes-since"))
      throw badRequest('The "changes-since" filter is no longer available on v2.');
    const limit = parseLimit(query.get("limit"));
    const compare = compareImages(sortOrder(query));
    const osHidden = (query.get("os_hidden") ?? "false").toLowerCase();
    if (osHidden !== "true" && osHidden !== "false")
      throw badRequest(
        `Invalid value '${osHidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`,
      );
    const membership = (image: Image) =>
      this.records.members.find((m) => m.image_id === image.id && m.member_id === me);
    let images = this.records.images.filter((image) => {
      // Glance lists neither deleted nor killed images
      if (image.status === "deleted" || image.status === "killed") return false;
      if (image.os_hidden !== (osHidden === "true")) return false;
      const member = image.visibility === "shared" ? membership(image) : undefined;
      const reachable =
        image.owner === me ||
        image.visibility === "public" ||
        image.visibility === "community" ||
        (member !== undefined && (memberStatus === "all" || member.status === memberStatus));
      if (!reachable) return false;
      if (visibility !== null) return visibility === "all" || image.visibility === visibility;
      return image.owner === me || image.visibility !== "community";
    });
    for (const [key, value] of query) {
      if (NOT_FILTERS.has(key)) continue;
      images = images.filter(filterFor(key, value));
    }
    for (const tag of query.getAll("tag").map((x) => x.trim()))
      images = images.filter((image) => image.tags.includes(tag));
    images.sort(compare);
    const marker = query.get("marker");
    if (marker !== null) {
      const markerImage = this.glance.visibleImage(marker, token);
      if (!markerImage) throw badRequest(`Invalid marker. Image ${marker} could not be found.`);
      // the page after the marker in this order, as Glance's paginate_query does it
      images = images.filter((image) => compare(image, markerImage) > 0);
    }
    images = images.slice(0, limit);
    const body: Record<string, unknown> = {
      images: images.map(imageView),
      first: "/v2/images",
      schema: "/v2/schemas/images",
    };
    const rest = new URLSearchParams([...query].filter(([key]) => key !== "marker"));
    if (rest.toString()) body.first = `/v2/images?${rest.toString()}`;
    // Glance links a next page whenever this one is full (which may then be empty)
    if (images.length > 0 && images.length === limit) {
      rest.set("marker", images[images.length - 1].id);
      body.next = `/v2/images?${rest.toString()}`;
    }
    return { status: 200, body };
  };

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: imageView(this.glance.findVisible(ctx.params.id, token)),
  });

  create = (ctx: RequestContext, token: Token): Reply => {
    const body = ctx.json<Record<string, unknown>>();
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw badRequest("Request body must be a JSON object.");
    if (typeof body.id === "string" && this.records.images.some((i) => i.id === body.id))
      throw conflict(`Image with identifier ${body.id} already exists!`);
    // a project member may name its own project as the owner, nobody else's
    if ("owner" in body && body.owner !== token.project.id)
      throw forbidden(
        `You are not permitted to create images owned by '${String(body.owner as string)}'.`,
      );
    const image = this.glance.createRecord(token, {
      id: typeof body.id === "string" ? body.id : undefined,
    });
    try {
      for (const [key, value] of Object.entries(body))
        if (key !== "id" && key !== "owner") setImageField(image, key, value);
    } catch (e) {
      this.records.images = this.records.images.filter((i) => i !== image);
      throw e;
    }
    return {
      status: 201,
      body: imageView(image),
      headers: { Location: `${this.glance.cloud.baseUrl()}/image/v2/images/${image.id}` },
    };
  };

  update = (ctx: RequestContext, token: Token): Reply => {
    const contentType = ctx.header("content-type") ?? "";
    if (
      !contentType.startsWith("application/openstack-images-v2.1-json-patch") &&
      !contentType.startsWith("application/openstack-images-v2.0-json-patch")
    )
      throw new ApiError(
        415,
        `Invalid media type '${contentType}' for PATCH. Expected: application/openstack-images-v2.1-json-patch`,
      );
    const image = this.glance.findOwned(ctx.params.id, token, NOT_OWNER);
    const operations = ctx.json<PatchOperation[]>();
    if (!Array.isArray(operations))
      throw badRequest("Request body must be a JSON array of operation objects.");
    Object.assign(image, patchedImage(image, operations), { updated_at: now() });
    this.glance.save();
    return { status: 200, body: imageView(image) };
  };

  remove = async (ctx: RequestContext, token: Token): Promise<Reply> => {
    if (!this.glance.visibleImage(ctx.params.id, token))
      throw notFound(`Failed to find image ${ctx.params.id} to delete`);
    const image = this.glance.findOwned(ctx.params.id, token, NOT_OWNER);
    if (image.protected) throw forbidden(`Image ${image.id} is protected and cannot be deleted.`);
    this.records.images = this.records.images.filter((i) => i !== image);
    this.records.members = this.records.members.filter((m) => m.image_id !== image.id);
    await this.glance.cloud.disk.deleteImage(image.id);
    this.glance.save();
    return { status: 204 };
  };

  deactivate = (ctx: RequestContext, token: Token): Reply =>
    this.setActivation(ctx, token, "active", "deactivated");

  reactivate = (ctx: RequestContext, token: Token): Reply =>
    this.setActivation(ctx, token, "deactivated", "active");

  /** Moves an owned image from one status to the other (any other status: unchanged, still 204). */
  private setActivation(
    ctx: RequestContext,
    token: Token,
    from: Image["status"],
    to: Image["status"],
  ): Reply {
    const image = this.glance.findOwned(ctx.params.id, token, NOT_OWNER);
    if (image.status === from) image.status = to;
    this.glance.save();
    return { status: 204 };
  }
}
