// os-volume_attachments: list, show, attach (recorded, not mounted into the
// running server) and detach (not the root volume).
import { badRequest, conflict, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import { type Server, uuid } from "../state";
import { microversionOf } from "./microversion";
import type { NovaEmulator } from "./nova";
import { attachmentView } from "./views";

interface AttachRequest {
  volumeId?: string;
  device?: string;
  delete_on_termination?: boolean;
}

export class VolumeAttachmentHandlers {
  constructor(private nova: NovaEmulator) {}

  list = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    const mv = microversionOf(ctx);
    return {
      status: 200,
      body: { volumeAttachments: server.volumes.map((a) => attachmentView(server, a, mv)) },
    };
  };

  show = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    const attachment = server.volumes.find((a) => a.volume_id === ctx.params.volume);
    if (!attachment) throw notAttached(ctx.params.volume, server);
    return {
      status: 200,
      body: { volumeAttachment: attachmentView(server, attachment, microversionOf(ctx)) },
    };
  };

  attach = (ctx: RequestContext, token: Token): Reply => {
    const { cloud, cinder } = this.nova;
    const server = this.nova.findServer(ctx.params.id, token);
    const body = ctx.json<{ volumeAttachment?: AttachRequest }>().volumeAttachment;
    const volume = this.nova.records.volumes.find(
      (v) => v.id === body?.volumeId && v.project_id === token.project.id,
    );
    if (!volume) throw notFound(`Volume ${body?.volumeId ?? ""} could not be found.`);
    if (volume.status !== "available")
      throw badRequest(
        `Invalid volume: volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
      );
    if (server.status !== "ACTIVE" && server.status !== "SHUTOFF")
      throw conflict(
        `Cannot 'attach_volume' instance ${server.id} while it is in vm_state ${server.status.toLowerCase()}`,
      );
    const attachment = {
      volume_id: volume.id,
      device: freeDevice(server, body?.device),
      attachment_id: uuid(),
      delete_on_termination: Boolean(body?.delete_on_termination),
    };
    server.volumes.push(attachment);
    cinder.reserve(volume);
    cloud.afterTransition(() =>
      cinder.attach(volume, server.id, attachment.device, attachment.attachment_id),
    );
    this.nova.save();
    return {
      status: 200,
      body: { volumeAttachment: attachmentView(server, attachment, microversionOf(ctx)) },
    };
  };

  detach = (ctx: RequestContext, token: Token): Reply => {
    const { cloud, cinder } = this.nova;
    const server = this.nova.findServer(ctx.params.id, token);
    const i = server.volumes.findIndex((a) => a.volume_id === ctx.params.volume);
    if (i < 0) throw notAttached(ctx.params.volume, server);
    if (i === 0 && server.volumes[0].device === "/dev/vda")
      throw badRequest("Cannot detach a root device volume");
    const [attachment] = server.volumes.splice(i, 1);
    const volume = this.nova.records.volumes.find((v) => v.id === attachment.volume_id);
    if (volume) {
      volume.status = "detaching";
      cloud.afterTransition(() => cinder.detach(volume));
    }
    this.nova.save();
    return { status: 202 };
  };
}

const notAttached = (volumeId: string, server: Server) =>
  notFound(`Volume ${volumeId} is not attached to the instance ${server.id}.`);

/** The device asked for when it is free, else the first free /dev/vdX. */
function freeDevice(server: Server, asked: string | undefined): string {
  const used = new Set(server.volumes.map((a) => a.device));
  if (asked && !used.has(asked)) return asked;
  const letter = "bcdefghijklmnopqrstuvwxyz".split("").find((l) => !used.has(`/dev/vd${l}`)) ?? "z";
  return `/dev/vd${letter}`;
}
