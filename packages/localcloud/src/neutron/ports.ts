// Ports: list, show, create (next free address), rename, delete.
import { badRequest, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import type { NeutronEmulator } from "./neutron";
import { portView } from "./views";

/** Neutron's 400 for a create without a required attribute. */
export const missingAttribute = (name: string) =>
  badRequest(
    `Failed to parse request. Required attribute '${name}' not specified`,
    "HTTPBadRequest",
  );

interface PortRequest {
  network_id?: string;
  name?: string;
  security_groups?: string[];
  device_id?: string;
  device_owner?: string;
}

export class PortHandlers {
  constructor(private neutron: NeutronEmulator) {}

  list = (ctx: RequestContext, token: Token): Reply =>
    this.neutron.list(
      ctx,
      "ports",
      this.neutron.records.ports.filter((p) => p.project_id === token.project.id).map(portView),
    );

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { port: portView(this.neutron.findPort(ctx.params.id, token)) },
  });

  /** A new port gets the project's `default` security group unless it names its own. */
  create = (ctx: RequestContext, token: Token): Reply => {
    const body = ctx.json<{ port?: PortRequest }>().port;
    if (!body?.network_id) throw missingAttribute("network_id");
    const network = this.neutron.findNetwork(body.network_id, token);
    const securityGroups = body.security_groups ?? [
      this.neutron.securityGroupsOf(token).find((g) => g.name === "default")?.id ?? "",
    ];
    const port = this.neutron.allocatePort(
      network,
      token,
      body.device_id ?? "",
      body.device_owner ?? "",
      securityGroups,
    );
    port.name = body.name ?? "";
    this.neutron.save();
    return { status: 201, body: { port: portView(port) } };
  };

  update = (ctx: RequestContext, token: Token): Reply => {
    const port = this.neutron.findPort(ctx.params.id, token);
    const body = ctx.json<{ port?: { name?: string } }>().port ?? {};
    if (body.name !== undefined) port.name = body.name;
    this.neutron.save();
    return { status: 200, body: { port: portView(port) } };
  };

  /** Its floating IPs are disassociated, and its server stops answering on its addresses. */
  remove = (ctx: RequestContext, token: Token): Reply => {
    const { records } = this.neutron;
    const port = this.neutron.findPort(ctx.params.id, token);
    for (const floatingIp of records.floatingIps)
      if (floatingIp.port_id === port.id)
        Object.assign(floatingIp, { port_id: null, fixed_ip_address: null });
    records.ports = records.ports.filter((p) => p !== port);
    if (port.device_id) this.neutron.relayServerAddresses(port.device_id);
    this.neutron.save();
    return { status: 204 };
  };
}
