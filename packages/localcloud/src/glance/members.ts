/**
 * Image members as Glance's image_members controller and default policies have them:
 * only `shared` images have members; the owner adds and removes them and sees them
 * all; a member sees (and sets the status of) its own membership only.
 */
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
import { type Image, type Member, now } from "../state";
import type { GlanceEmulator } from "./glance";
import { memberView } from "./views";

/** Glance's default image_member_quota. */
const MEMBER_QUOTA = 128;
const ONLY_SHARED = "Only shared images have members.";

export class MemberHandlers {
  constructor(private glance: GlanceEmulator) {}

  private get records() {
    return this.glance.records;
  }

  list = (ctx: RequestContext, token: Token): Reply => {
    const image = this.sharedImage(ctx, token, "list");
    return {
      status: 200,
      body: {
        members: this.visibleMembers(image, token).map(memberView),
        schema: "/v2/schemas/members",
      },
    };
  };

  create = (ctx: RequestContext, token: Token): Reply => {
    const body = objectBody(ctx, 'Expected a member in the form: {"member": "image_id"}');
    if (!("member" in body)) throw badRequest("Member to be added not specified");
    if (!body.member) throw badRequest("Member can't be empty");
    if (typeof body.member !== "string")
      throw badRequest('Expected a member in the form: {"member": "image_id"}');
    const memberId = body.member;
    // Glance (Zed): "Image <id> not found." here, and no reason given for a private image
    const image = this.glance.visibleImage(ctx.params.id, token);
    if (!image) throw notFound(`Image ${ctx.params.id} not found.`);
    if (image.visibility !== "shared" || image.owner !== token.project.id)
      throw forbidden(`Not allowed to create members for image ${image.id}.`);
    const current = this.records.members.filter((m) => m.image_id === image.id);
    if (current.some((m) => m.member_id === memberId))
      throw conflict(`Member ${memberId} is duplicated for image ${image.id}`);
    if (current.length >= MEMBER_QUOTA)
      throw new ApiError(
        413,
        `Image member limit exceeded for image ${image.id}: Maximum number of image members exceeded (${MEMBER_QUOTA}).`,
      );
    const created = now();
    const member: Member = {
      image_id: image.id,
      member_id: memberId,
      status: "pending",
      created_at: created,
      updated_at: created,
    };
    this.records.members.push(member);
    this.glance.save();
    return { status: 200, body: memberView(member) };
  };

  show = (ctx: RequestContext, token: Token): Reply => {
    const image = this.glance.findVisible(ctx.params.id, token);
    // Glance turns every refusal here into 404, not to tell who else is a member
    if (image.visibility !== "shared") throw notFound(ONLY_SHARED);
    return { status: 200, body: memberView(this.findMember(image, token, ctx.params.member)) };
  };

  /** Only the member itself may accept, reject or reset its membership. */
  update = (ctx: RequestContext, token: Token): Reply => {
    const body = objectBody(ctx, 'Expected a status in the form: {"status": "status"}');
    if (!("status" in body)) throw badRequest("Status not specified");
    const image = this.sharedImage(ctx, token, "update");
    if (image.owner === token.project.id)
      throw forbidden(`Not allowed to update members for image ${image.id}.`);
    const member = this.findMember(image, token, ctx.params.member);
    const status = body.status;
    if (status !== "accepted" && status !== "rejected" && status !== "pending")
      throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    member.status = status;
    member.updated_at = now();
    this.glance.save();
    return { status: 200, body: memberView(member) };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    const image = this.sharedImage(ctx, token, "delete");
    if (image.owner !== token.project.id)
      throw forbidden(`Not allowed to delete members for image ${image.id}.`);
    const member = this.findMember(image, token, ctx.params.member);
    this.records.members = this.records.members.filter((m) => m !== member);
    this.glance.save();
    return { status: 204 };
  };

  /** The visible image of the route, if it is `shared` (else 403 for `action` on its members). */
  private sharedImage(ctx: RequestContext, token: Token, action: string): Image {
    const image = this.glance.findVisible(ctx.params.id, token);
    if (image.visibility !== "shared")
      throw forbidden(`Not allowed to ${action} members for image ${image.id}: ${ONLY_SHARED}`);
    return image;
  }

  /** The owner sees every member of its image; a member only itself. */
  private visibleMembers(image: Image, token: Token): Member[] {
    return this.records.members.filter(
      (m) =>
        m.image_id === image.id &&
        (image.owner === token.project.id || m.member_id === token.project.id),
    );
  }

  private findMember(image: Image, token: Token, memberId: string): Member {
    const member = this.visibleMembers(image, token).find((m) => m.member_id === memberId);
    if (!member)
      throw notFound(`${memberId} not found in the member list of the image ${image.id}.`);
    return member;
  }
}

/** The request body as a JSON object: 400 with `expected` for anything else. */
function objectBody(ctx: RequestContext, expected: string): Record<string, unknown> {
  if (ctx.raw.length === 0) throw badRequest("Body expected in request.");
  const body = ctx.json<unknown>();
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest(expected);
  return body as Record<string, unknown>;
}
