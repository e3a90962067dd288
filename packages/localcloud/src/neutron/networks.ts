// Networks and subnets: read-only (the cloud has its two networks), visible when
// shared, external or the project's own.
import { notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import type { NeutronEmulator } from "./neutron";
import { networkView, subnetView } from "./views";

export class NetworkHandlers {
  constructor(private neutron: NeutronEmulator) {}

  list = (ctx: RequestContext, token: Token): Reply =>
    this.neutron.list(
      ctx,
      "networks",
      this.neutron.records.networks
        .filter((n) => this.neutron.visibleNetwork(n, token))
        .map(networkView),
    );

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { network: networkView(this.neutron.findNetwork(ctx.params.id, token)) },
  });

  listSubnets = (ctx: RequestContext, token: Token): Reply => {
    const { records, cloud } = this.neutron;
    const networks = new Set(
      records.networks.filter((n) => this.neutron.visibleNetwork(n, token)).map((n) => n.id),
    );
    return this.neutron.list(
      ctx,
      "subnets",
      records.subnets
        .filter((s) => networks.has(s.network_id))
        .map((s) => subnetView(cloud.octet, s)),
    );
  };

  showSubnet = (ctx: RequestContext, token: Token): Reply => {
    const { records, cloud } = this.neutron;
    const subnet = records.subnets.find((s) => s.id === ctx.params.id);
    if (
      !subnet ||
      !records.networks.some(
        (n) => n.id === subnet.network_id && this.neutron.visibleNetwork(n, token),
      )
    )
      throw notFound(`Subnet ${ctx.params.id} could not be found.`, "SubnetNotFound");
    return { status: 200, body: { subnet: subnetView(cloud.octet, subnet) } };
  };
}
