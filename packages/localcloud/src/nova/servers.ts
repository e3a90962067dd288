// Servers: list and detail (name regex, status, marker, limit), show, rename,
// delete; their ips, tags (empty), metadata and interfaces.
import { badRequest, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import { type Server, now } from "../state";
import { microversionOf } from "./microversion";
import type { NovaEmulator } from "./nova";
import { serverLinks } from "./views";

export class ServerHandlers {
  constructor(private nova: NovaEmulator) {}

  list = (ctx: RequestContext, token: Token): Reply => this.listing(ctx, token, false);

  detail = (ctx: RequestContext, token: Token): Reply => this.listing(ctx, token, true);

  private listing(ctx: RequestContext, token: Token, detail: boolean): Reply {
    const mv = microversionOf(ctx);
    const baseUrl = this.nova.cloud.baseUrl();
    let servers = this.nova.records.servers.filter((s) => s.project_id === token.project.id);
    const name = ctx.query.get("name");
    if (name) servers = servers.filter(nameMatcher(name));
    const status = ctx.query.get("status");
    if (status) servers = servers.filter((s) => s.status === status.toUpperCase());
    const marker = ctx.query.get("marker");
    if (marker) {
      const i = servers.findIndex((s) => s.id === marker);
      if (i < 0) throw badRequest(`marker [${marker}] not found`);
      servers = servers.slice(i + 1);
    }
    const limit = Number(ctx.query.get("limit") ?? 0);
    const body: Record<string, unknown> = {};
    if (limit > 0 && servers.length > limit) {
      servers = servers.slice(0, limit);
      const last = servers[servers.length - 1].id;
      body.servers_links = [
        { rel: "next", href: `${baseUrl}${ctx.path}?limit=${limit}&marker=${last}` },
      ];
    }
    body.servers = servers.map((s) =>
      detail ? this.nova.view(s, mv) : { id: s.id, name: s.name, links: serverLinks(baseUrl, s) },
    );
    return { status: 200, body };
  }

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: {
      server: this.nova.view(this.nova.findServer(ctx.params.id, token), microversionOf(ctx)),
    },
  });

  update = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    const body = ctx.json<{ server?: { name?: string } }>().server ?? {};
    if (body.name) server.name = body.name;
    server.updated = now();
    this.nova.save();
    return { status: 200, body: { server: this.nova.view(server, microversionOf(ctx)) } };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    this.nova.scheduleDelete(this.nova.findServer(ctx.params.id, token));
    return { status: 204 };
  };

  ips = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: {
      addresses: this.nova.neutron.serverAddresses(this.nova.findServer(ctx.params.id, token)),
    },
  });

  /** Tags exist from 2.26; servers here never have any. */
  tags = (ctx: RequestContext, token: Token): Reply => {
    this.nova.findServer(ctx.params.id, token);
    if (microversionOf(ctx) < 26) throw notFound("The resource could not be found.");
    return { status: 200, body: { tags: [] } };
  };

  metadata = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { metadata: this.nova.findServer(ctx.params.id, token).metadata },
  });

  /** POST merges into the metadata. */
  updateMetadata = (ctx: RequestContext, token: Token): Reply =>
    this.setMetadata(ctx, token, false);

  /** PUT replaces it. */
  replaceMetadata = (ctx: RequestContext, token: Token): Reply =>
    this.setMetadata(ctx, token, true);

  private setMetadata(ctx: RequestContext, token: Token, replace: boolean): Reply {
    const server = this.nova.findServer(ctx.params.id, token);
    const metadata = ctx.json<{ metadata?: Record<string, string> }>().metadata;
    if (!metadata) throw badRequest("Malformed request body");
    server.metadata = replace ? metadata : { ...server.metadata, ...metadata };
    this.nova.save();
    return { status: 200, body: { metadata: server.metadata } };
  }

  deleteMetadataKey = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    if (!(ctx.params.key in server.metadata)) throw notFound("Metadata item was not found");
    delete server.metadata[ctx.params.key];
    this.nova.save();
    return { status: 204 };
  };

  interfaces = (ctx: RequestContext, token: Token): Reply => {
    const server = this.nova.findServer(ctx.params.id, token);
    const ports = this.nova.records.ports.filter((p) => p.device_id === server.id);
    return {
      status: 200,
      body: {
        interfaceAttachments: ports.map((port) => ({
          port_state: port.status,
          fixed_ips: port.fixed_ips,
          port_id: port.id,
          net_id: port.network_id,
          mac_addr: port.mac_address,
        })),
      },
    };
  };
}

/** `name` is a regular expression in Nova's list filter (a substring when it is not one). */
function nameMatcher(name: string): (server: Server) => boolean {
  try {
    const pattern = new RegExp(name);
    return (server) => pattern.test(server.name);
  } catch {
    return (server) => server.name.includes(name);
  }
}
