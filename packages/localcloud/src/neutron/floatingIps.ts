// Floating IPs: allocate from the external network, associate with a port (its
// server then answers SSH on that address too), disassociate, release.
import { badRequest, conflict, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import { type FloatingIp, now, uuid } from "../state";
import { type NeutronEmulator, noMoreAddresses } from "./neutron";
import { missingAttribute } from "./ports";
import { floatingIpView } from "./views";

interface FloatingIpRequest {
  floating_network_id?: string;
  port_id?: string;
  fixed_ip_address?: string;
  description?: string;
  floating_ip_address?: string;
}

export class FloatingIpHandlers {
  constructor(private neutron: NeutronEmulator) {}

  list = (ctx: RequestContext, token: Token): Reply =>
    this.neutron.list(
      ctx,
      "floatingips",
      this.neutron.records.floatingIps
        .filter((f) => f.project_id === token.project.id)
        .map(floatingIpView),
    );

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { floatingip: floatingIpView(this.neutron.findFloatingIp(ctx.params.id, token)) },
  });

  create = (ctx: RequestContext, token: Token): Reply => {
    const { records } = this.neutron;
    const body = ctx.json<{ floatingip?: FloatingIpRequest }>().floatingip;
    if (!body?.floating_network_id) throw missingAttribute("floating_network_id");
    const network = this.neutron.findNetwork(body.floating_network_id, token);
    if (!network.external)
      throw badRequest(
        `Bad floatingip request: Network ${network.id} is not a valid external network.`,
        "BadRequest",
      );
    const subnet = records.subnets.find((s) => s.id === network.subnet_ids[0]);
    if (!subnet) throw noMoreAddresses(network.id);
    const used = new Set(records.floatingIps.map((f) => f.floating_ip_address));
    let address = body.floating_ip_address;
    if (address && used.has(address))
      throw conflict(
        `IP address ${address} already allocated in subnet ${subnet.id}`,
        "IpAddressAlreadyAllocated",
      );
    address ??= this.neutron.nextAddress(subnet, used);
    const floatingIp: FloatingIp = {
      id: uuid(),
      project_id: token.project.id,
      floating_network_id: network.id,
      floating_ip_address: address,
      port_id: null,
      fixed_ip_address: null,
      description: body.description ?? "",
      created_at: now(),
    };
    records.floatingIps.push(floatingIp);
    if (body.port_id) this.associate(floatingIp, body.port_id, token, body.fixed_ip_address);
    this.neutron.save();
    return { status: 201, body: { floatingip: floatingIpView(floatingIp) } };
  };

  update = (ctx: RequestContext, token: Token): Reply => {
    const floatingIp = this.neutron.findFloatingIp(ctx.params.id, token);
    const body =
      ctx.json<{
        floatingip?: { port_id?: string | null; fixed_ip_address?: string; description?: string };
      }>().floatingip ?? {};
    if ("port_id" in body) this.associate(floatingIp, body.port_id, token, body.fixed_ip_address);
    if (body.description !== undefined) floatingIp.description = body.description;
    this.neutron.save();
    return { status: 200, body: { floatingip: floatingIpView(floatingIp) } };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    const { records } = this.neutron;
    const floatingIp = this.neutron.findFloatingIp(ctx.params.id, token);
    records.floatingIps = records.floatingIps.filter((f) => f !== floatingIp);
    this.neutron.refreshServerAddresses(floatingIp.port_id);
    this.neutron.save();
    return { status: 204 };
  };

  /** Associates with a port (one floating IP per fixed IP), or disassociates (no port). */
  private associate(
    floatingIp: FloatingIp,
    portId: string | null | undefined,
    token: Token,
    fixedIp?: string,
  ): void {
    const previousPort = floatingIp.port_id;
    if (!portId) {
      floatingIp.port_id = null;
      floatingIp.fixed_ip_address = null;
      this.neutron.refreshServerAddresses(previousPort);
      return;
    }
    const port = this.neutron.findPort(portId, token);
    const other = this.neutron.records.floatingIps.find(
      (f) => f !== floatingIp && f.port_id === port.id,
    );
    const ip = fixedIp ?? port.fixed_ips[0]?.ip_address;
    if (other)
      throw conflict(
        `Cannot associate floating IP ${floatingIp.floating_ip_address} (${floatingIp.id}) with port ${port.id} using fixed IP ${ip}, as that fixed IP already has a floating IP on external network ${other.floating_network_id}.`,
        "FloatingIpSetupException",
      );
    floatingIp.port_id = port.id;
    floatingIp.fixed_ip_address = ip ?? null;
    this.neutron.refreshServerAddresses(previousPort);
    this.neutron.refreshServerAddresses(port.id);
  }
}
