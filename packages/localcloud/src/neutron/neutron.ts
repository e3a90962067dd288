// Neutron v2.0: networks, subnets, ports, security groups, floating IPs.
import { randomBytes } from "node:crypto";
import { Cloud } from "./cloud";
import { ApiError, Ctx, Reply, Router, badRequest, conflict, notFound } from "./http";
import { Token } from "./identity";
import {
  FloatingIp,
  Network,
  Port,
  SecurityGroup,
  Server,
  Subnet,
  defaultSecurityGroup,
  now,
  uuid,
} from "./state";

const RESERVED_QUERY = new Set([
  "fields",
  "limit",
  "marker",
  "sort_key",
  "sort_dir",
  "page_reverse",
]);

export class NetworkService {
  constructor(private c: Cloud) {}

  private get r() {
    return this.c.records;
  }

  visibleNetwork(n: Network, t: Token): boolean {
    return n.project_id === t.project.id || n.shared || n.external;
  }

  findNetwork(id: string, t: Token): Network {
    const n = this.r.networks.find((x) => x.id === id && this.visibleNetwork(x, t));
    if (!n) throw new ApiError(404, `Network ${id} could not be found.`, "NetworkNotFound");
    return n;
  }

  securityGroupsOf(t: Token): SecurityGroup[] {
    let sgs = this.r.securityGroups.filter((s) => s.project_id === t.project.id);
    if (sgs.length === 0) {
      const sg = defaultSecurityGroup(t.project.id);
      this.r.securityGroups.push(sg);
      sgs = [sg];
    }
    return sgs;
  }

  /** A port with the next free fixed IP of the network's first subnet. */
  allocatePort(
    network: Network,
    t: Token,
    deviceId: string,
    deviceOwner: string,
    securityGroups: string[],
  ): Port {
    const subnet = this.r.subnets.find((s) => s.id === network.subnet_ids[0]);
    if (!subnet)
      throw new ApiError(
        409,
        `No more IP addresses available on network ${network.id}.`,
        "IpAddressGenerationFailure",
      );
    const ip = this.nextAddress(
      subnet,
      new Set(this.r.ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address))),
    );
    const port: Port = {
      id: uuid(),
      name: "",
      network_id: network.id,
      project_id: t.project.id,
      device_id: deviceId,
      device_owner: deviceOwner,
      mac_address: `fa:16:3e:${randomBytes(3).toString("hex").match(/../g)?.join(":")}`,
      fixed_ips: [{ subnet_id: subnet.id, ip_address: ip }],
      security_groups: securityGroups,
      status: deviceId ? "ACTIVE" : "DOWN",
      created_at: now(),
    };
    this.r.ports.push(port);
    return port;
  }

  private nextAddress(subnet: Subnet, used: Set<string>): string {
    for (let h = 10; h < 255; h++) {
      const ip = `127.${this.c.octet}.${subnet.third}.${h}`;
      if (!used.has(ip)) return ip;
    }
    throw new ApiError(
      409,
      `No more IP addresses available on network ${subnet.network_id}.`,
      "IpAddressGenerationFailure",
    );
  }

  /** Deletes a server's ports; their floating IPs get disassociated. */
  releaseServerPorts(server: Server): void {
    for (const fip of this.r.floatingIps) {
      if (fip.port_id && server.port_ids.includes(fip.port_id)) {
        fip.port_id = null;
        fip.fixed_ip_address = null;
      }
    }
    this.r.ports = this.r.ports.filter((p) => p.device_id !== server.id);
  }

  /** A server's addresses for the `addresses` field, grouped by network name. */
  serverAddresses(server: Server): Record<
    string,
    {
      version: number;
      addr: string;
      "OS-EXT-IPS:type": string;
      "OS-EXT-IPS-MAC:mac_addr": string;
    }[]
  > {
    const out: ReturnType<NetworkService["serverAddresses"]> = {};
    for (const port of this.r.ports.filter((p) => p.device_id === server.id)) {
      const net = this.r.networks.find((n) => n.id === port.network_id);
      const list = (out[net?.name ?? port.network_id] ??= []);
      for (const f of port.fixed_ips) {
        list.push({
          version: 4,
          addr: f.ip_address,
          "OS-EXT-IPS:type": "fixed",
          "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
        });
        for (const fip of this.r.floatingIps.filter((x) => x.port_id === port.id)) {
          list.push({
            version: 4,
            addr: fip.floating_ip_address,
            "OS-EXT-IPS:type": "floating",
            "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
          });
        }
      }
    }
    return out;
  }

  /** All addresses (fixed and floating) that reach the server's sshd. */
  sshAddresses(serverId: string): { fixed: string | undefined; all: string[] } {
    const ports = this.r.ports.filter((p) => p.device_id === serverId);
    const fixed = ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address));
    const floating = this.r.floatingIps
      .filter((f) => f.port_id && ports.some((p) => p.id === f.port_id))
      .map((f) => f.floating_ip_address);
    return { fixed: fixed[0], all: [...fixed, ...floating] };
  }

  private refreshServer(portId: string | null): void {
    const port = this.r.ports.find((p) => p.id === portId);
    if (port?.device_id)
      this.c.runner.setAddresses(port.device_id, this.sshAddresses(port.device_id).all);
  }

  // ---- views
  private base(x: { id: string; project_id: string; created_at: string }) {
    return {
      id: x.id,
      tenant_id: x.project_id,
      project_id: x.project_id,
      tags: [],
      created_at: x.created_at,
      updated_at: x.created_at,
      revision_number: 1,
      description: "",
    };
  }

  networkView(n: Network) {
    return {
      ...this.base(n),
      name: n.name,
      admin_state_up: true,
      mtu: 1500,
      status: "ACTIVE",
      subnets: n.subnet_ids,
      shared: n.shared,
      "router:external": n.external,
      availability_zone_hints: [],
      availability_zones: ["nova"],
      ipv4_address_scope: null,
      ipv6_address_scope: null,
      port_security_enabled: true,
      is_default: n.external,
      qos_policy_id: null,
      l2_adjacency: true,
    };
  }

  subnetView(s: Subnet) {
    const prefix = `127.${this.c.octet}.${s.third}`;
    return {
      ...this.base(s),
      name: s.name,
      network_id: s.network_id,
      cidr: s.cidr,
      ip_version: 4,
      gateway_ip: s.gateway_ip,
      enable_dhcp: true,
      allocation_pools: [{ start: `${prefix}.10`, end: `${prefix}.254` }],
      dns_nameservers: [],
      host_routes: [],
      ipv6_ra_mode: null,
      ipv6_address_mode: null,
      subnetpool_id: null,
      service_types: [],
      segment_id: null,
    };
  }

  portView(p: Port) {
    return {
      ...this.base(p),
      name: p.name,
      network_id: p.network_id,
      mac_address: p.mac_address,
      admin_state_up: true,
      status: p.status,
      device_id: p.device_id,
      device_owner: p.device_owner,
      fixed_ips: p.fixed_ips,
      allowed_address_pairs: [],
      extra_dhcp_opts: [],
      security_groups: p.security_groups,
      port_security_enabled: true,
      "binding:vnic_type": "normal",
      dns_name: "",
      qos_policy_id: null,
    };
  }

  fipView(f: FloatingIp) {
    return {
      ...this.base(f),
      description: f.description,
      floating_network_id: f.floating_network_id,
      floating_ip_address: f.floating_ip_address,
      router_id: null,
      port_id: f.port_id,
      fixed_ip_address: f.fixed_ip_address,
      status: f.port_id ? "ACTIVE" : "DOWN",
      dns_domain: "",
      dns_name: "",
      qos_policy_id: null,
      port_details: null,
    };
  }

  sgView(s: SecurityGroup) {
    return {
      ...this.base(s),
      name: s.name,
      description: s.description,
      stateful: true,
      shared: false,
      security_group_rules: s.rules.map((r) => this.ruleView(s, r)),
    };
  }

  private ruleView(s: SecurityGroup, r: SecurityGroup["rules"][number]) {
    return {
      ...this.base({ id: r.id, project_id: s.project_id, created_at: s.created_at }),
      security_group_id: s.id,
      ...r,
      remote_address_group_id: null,
    };
  }

  /** Neutron list semantics: attribute filters, `fields`, sort, limit/marker. */
  private list(ctx: Ctx, plural: string, items: Record<string, unknown>[]): Reply {
    let out = items.filter((item) => {
      for (const key of new Set(ctx.query.keys())) {
        if (RESERVED_QUERY.has(key)) continue;
        const wanted = ctx.query.getAll(key);
        const v = item[key];
        if (key === "fixed_ips") continue;
        if (v === undefined) continue;
        if (Array.isArray(v)) {
          if (!wanted.every((w) => v.map(String).includes(w))) return false;
        } else if (!wanted.includes(String(v))) return false;
      }
      return true;
    });
    const fixed = ctx.query.getAll("fixed_ips");
    if (fixed.length > 0) {
      out = out.filter((item) =>
        fixed.every((f) => {
          const [k, v] = f.split("=");
          return (item.fixed_ips as Record<string, string>[]).some((ip) => ip[k] === v);
        }),
      );
    }
    const sortKey = ctx.query.get("sort_key");
    if (sortKey) {
      const dir = ctx.query.get("sort_dir") === "desc" ? -1 : 1;
      out.sort((a, b) =>
        String(a[sortKey]) < String(b[sortKey])
          ? -dir
          : String(a[sortKey]) > String(b[sortKey])
            ? dir
            : 0,
      );
    }
    const marker = ctx.query.get("marker");
    if (marker) out = out.slice(out.findIndex((x) => x.id === marker) + 1);
    const limit = Number(ctx.query.get("limit") ?? 0);
    const body: Record<string, unknown> = {};
    if (limit > 0 && out.length > limit) {
      out = out.slice(0, limit);
      const q = new URLSearchParams(ctx.query);
      q.set("marker", String(out[out.length - 1].id));
      body[`${plural}_links`] = [
        { rel: "next", href: `${this.c.baseUrl()}${ctx.path}?${q.toString()}` },
      ];
    }
    const fields = ctx.query.getAll("fields");
    if (fields.length > 0)
      out = out.map((x) => Object.fromEntries(fields.filter((f) => f in x).map((f) => [f, x[f]])));
    body[plural] = out;
    return { status: 200, body };
  }

  routes(r: Router, auth: (ctx: Ctx) => Token): void {
    const v = "/network/v2.0";
    r.add("network", "GET", "/network", () => ({
      status: 200,
      body: {
        versions: [
          {
            id: "v2.0",
            status: "CURRENT",
            links: [{ rel: "self", href: `${this.c.baseUrl()}/network/v2.0/` }],
          },
        ],
      },
    }));
    r.add("network", "GET", v, (ctx) => {
      auth(ctx);
      const res = [
        "network",
        "subnet",
        "port",
        "floatingip",
        "security_group",
        "security_group_rule",
      ].map((n) => ({
        name: n,
        collection: `${n.replace(/_/g, "-")}s`,
        links: [{ rel: "self", href: `${this.c.baseUrl()}${v}/${n.replace(/_/g, "-")}s` }],
      }));
      return { status: 200, body: { resources: res } };
    });
    const extensions = [
      ["external-net", "Neutron external network"],
      ["router", "Neutron L3 Router"],
      ["security-group", "security-group"],
      ["port-security", "Port Security"],
      ["standard-attr-description", "standard-attr-description"],
      ["standard-attr-timestamp", "Resource timestamps"],
      ["standard-attr-revisions", "Resource revision numbers"],
      ["binding", "Port Binding"],
      ["quotas", "Quota management support"],
      ["availability_zone", "Availability Zone"],
    ].map(([alias, name]) => ({
      alias,
      name,
      description: name,
      updated: "2013-01-01T10:00:00-00:00",
      links: [],
    }));
    r.add("network", "GET", `${v}/extensions`, (ctx) => {
      auth(ctx);
      return { status: 200, body: { extensions } };
    });
    r.add("network", "GET", `${v}/extensions/:alias`, (ctx) => {
      auth(ctx);
      const e = extensions.find((x) => x.alias === ctx.params.alias);
      if (!e)
        throw notFound(
          `Extension with alias ${ctx.params.alias} does not exist`,
          "ExtensionNotFound",
        );
      return { status: 200, body: { extension: e } };
    });

    r.add("network", "GET", `${v}/availability_zones`, (ctx) => {
      auth(ctx);
      return {
        status: 200,
        body: {
          availability_zones: [
            { name: "nova", resource: "network", state: "available" },
            { name: "nova", resource: "router", state: "available" },
          ],
        },
      };
    });

    // networks
    r.add("network", "GET", `${v}/networks`, (ctx) => {
      const t = auth(ctx);
      return this.list(
        ctx,
        "networks",
        this.r.networks.filter((n) => this.visibleNetwork(n, t)).map((n) => this.networkView(n)),
      );
    });
    r.add("network", "GET", `${v}/networks/:id`, (ctx) => ({
      status: 200,
      body: { network: this.networkView(this.findNetwork(ctx.params.id, auth(ctx))) },
    }));

    // subnets
    r.add("network", "GET", `${v}/subnets`, (ctx) => {
      const t = auth(ctx);
      const nets = new Set(
        this.r.networks.filter((n) => this.visibleNetwork(n, t)).map((n) => n.id),
      );
      return this.list(
        ctx,
        "subnets",
        this.r.subnets.filter((s) => nets.has(s.network_id)).map((s) => this.subnetView(s)),
      );
    });
    r.add("network", "GET", `${v}/subnets/:id`, (ctx) => {
      const t = auth(ctx);
      const s = this.r.subnets.find((x) => x.id === ctx.params.id);
      if (!s || !this.r.networks.some((n) => n.id === s.network_id && this.visibleNetwork(n, t)))
        throw notFound(`Subnet ${ctx.params.id} could not be found.`, "SubnetNotFound");
      return { status: 200, body: { subnet: this.subnetView(s) } };
    });

    // ports
    const findPort = (id: string, t: Token): Port => {
      const p = this.r.ports.find((x) => x.id === id && x.project_id === t.project.id);
      if (!p) throw notFound(`Port ${id} could not be found.`, "PortNotFound");
      return p;
    };
    r.add("network", "GET", `${v}/ports`, (ctx) => {
      const t = auth(ctx);
      return this.list(
        ctx,
        "ports",
        this.r.ports.filter((p) => p.project_id === t.project.id).map((p) => this.portView(p)),
      );
    });
    r.add("network", "GET", `${v}/ports/:id`, (ctx) => ({
      status: 200,
      body: { port: this.portView(findPort(ctx.params.id, auth(ctx))) },
    }));
    r.add("network", "POST", `${v}/ports`, (ctx) => {
      const t = auth(ctx);
      const body = ctx.json<{
        port?: {
          network_id?: string;
          name?: string;
          security_groups?: string[];
          device_id?: string;
          device_owner?: string;
        };
      }>().port;
      if (!body?.network_id)
        throw badRequest(
          "Failed to parse request. Required attribute 'network_id' not specified",
          "HTTPBadRequest",
        );
      const net = this.findNetwork(body.network_id, t);
      const sgs = body.security_groups ?? [
        this.securityGroupsOf(t).find((s) => s.name === "default")?.id ?? "",
      ];
      const port = this.allocatePort(net, t, body.device_id ?? "", body.device_owner ?? "", sgs);
      port.name = body.name ?? "";
      this.c.store.save();
      return { status: 201, body: { port: this.portView(port) } };
    });
    r.add("network", "PUT", `${v}/ports/:id`, (ctx) => {
      const t = auth(ctx);
      const p = findPort(ctx.params.id, t);
      const body = ctx.json<{ port?: { name?: string } }>().port ?? {};
      if (body.name !== undefined) p.name = body.name;
      this.c.store.save();
      return { status: 200, body: { port: this.portView(p) } };
    });
    r.add("network", "DELETE", `${v}/ports/:id`, (ctx) => {
      const t = auth(ctx);
      const p = findPort(ctx.params.id, t);
      for (const f of this.r.floatingIps)
        if (f.port_id === p.id) Object.assign(f, { port_id: null, fixed_ip_address: null });
      this.r.ports = this.r.ports.filter((x) => x !== p);
      if (p.device_id) this.c.runner.setAddresses(p.device_id, this.sshAddresses(p.device_id).all);
      this.c.store.save();
      return { status: 204 };
    });

    // security groups
    const findSg = (id: string, t: Token): SecurityGroup => {
      const s = this.securityGroupsOf(t).find((x) => x.id === id);
      if (!s) throw notFound(`Security group ${id} does not exist`, "SecurityGroupNotFound");
      return s;
    };
    r.add("network", "GET", `${v}/security-groups`, (ctx) =>
      this.list(
        ctx,
        "security_groups",
        this.securityGroupsOf(auth(ctx)).map((s) => this.sgView(s)),
      ),
    );
    r.add("network", "GET", `${v}/security-groups/:id`, (ctx) => ({
      status: 200,
      body: { security_group: this.sgView(findSg(ctx.params.id, auth(ctx))) },
    }));
    r.add("network", "POST", `${v}/security-groups`, (ctx) => {
      const t = auth(ctx);
      const body = ctx.json<{ security_group?: { name?: string; description?: string } }>()
        .security_group;
      if (!body?.name)
        throw badRequest(
          "Failed to parse request. Required attribute 'name' not specified",
          "HTTPBadRequest",
        );
      const sg = defaultSecurityGroup(t.project.id);
      sg.name = body.name;
      sg.description = body.description ?? "";
      sg.rules = sg.rules.filter((r) => r.direction === "egress");
      this.r.securityGroups.push(sg);
      this.c.store.save();
      return { status: 201, body: { security_group: this.sgView(sg) } };
    });
    r.add("network", "DELETE", `${v}/security-groups/:id`, (ctx) => {
      const t = auth(ctx);
      const sg = findSg(ctx.params.id, t);
      if (this.r.ports.some((p) => p.security_groups.includes(sg.id)))
        throw conflict(`Security Group ${sg.id} in use.`, "SecurityGroupInUse");
      this.r.securityGroups = this.r.securityGroups.filter((x) => x !== sg);
      this.c.store.save();
      return { status: 204 };
    });
    r.add("network", "GET", `${v}/security-group-rules`, (ctx) => {
      const t = auth(ctx);
      return this.list(
        ctx,
        "security_group_rules",
        this.securityGroupsOf(t).flatMap((s) => s.rules.map((r) => this.ruleView(s, r))),
      );
    });

    // floating IPs
    const findFip = (id: string, t: Token): FloatingIp => {
      const f = this.r.floatingIps.find((x) => x.id === id && x.project_id === t.project.id);
      if (!f) throw notFound(`Floating IP ${id} could not be found`, "FloatingIPNotFound");
      return f;
    };
    const associate = (
      f: FloatingIp,
      portId: string | null | undefined,
      t: Token,
      fixedIp?: string,
    ) => {
      if (!portId) {
        const old = f.port_id;
        f.port_id = null;
        f.fixed_ip_address = null;
        this.refreshServer(old);
        return;
      }
      const port = findPort(portId, t);
      const other = this.r.floatingIps.find((x) => x !== f && x.port_id === port.id);
      const ip = fixedIp ?? port.fixed_ips[0]?.ip_address;
      if (other)
        throw conflict(
          `Cannot associate floating IP ${f.floating_ip_address} (${f.id}) with port ${port.id} using fixed IP ${ip}, as that fixed IP already has a floating IP on external network ${other.floating_network_id}.`,
          "FloatingIpSetupException",
        );
      const old = f.port_id;
      f.port_id = port.id;
      f.fixed_ip_address = ip ?? null;
      this.refreshServer(old);
      this.refreshServer(port.id);
    };
    r.add("network", "GET", `${v}/floatingips`, (ctx) => {
      const t = auth(ctx);
      return this.list(
        ctx,
        "floatingips",
        this.r.floatingIps.filter((f) => f.project_id === t.project.id).map((f) => this.fipView(f)),
      );
    });
    r.add("network", "GET", `${v}/floatingips/:id`, (ctx) => ({
      status: 200,
      body: { floatingip: this.fipView(findFip(ctx.params.id, auth(ctx))) },
    }));
    r.add("network", "POST", `${v}/floatingips`, (ctx) => {
      const t = auth(ctx);
      const body = ctx.json<{
        floatingip?: {
          floating_network_id?: string;
          port_id?: string;
          fixed_ip_address?: string;
          description?: string;
          floating_ip_address?: string;
        };
      }>().floatingip;
      if (!body?.floating_network_id)
        throw badRequest(
          "Failed to parse request. Required attribute 'floating_network_id' not specified",
          "HTTPBadRequest",
        );
      const net = this.findNetwork(body.floating_network_id, t);
      if (!net.external)
        throw badRequest(
          `Bad floatingip request: Network ${net.id} is not a valid external network.`,
          "BadRequest",
        );
      const subnet = this.r.subnets.find((s) => s.id === net.subnet_ids[0]);
      if (!subnet)
        throw new ApiError(
          409,
          `No more IP addresses available on network ${net.id}.`,
          "IpAddressGenerationFailure",
        );
      const used = new Set(this.r.floatingIps.map((f) => f.floating_ip_address));
      let address = body.floating_ip_address;
      if (address && used.has(address))
        throw conflict(
          `IP address ${address} already allocated in subnet ${subnet.id}`,
          "IpAddressAlreadyAllocated",
        );
      address ??= this.nextAddress(subnet, used);
      const f: FloatingIp = {
        id: uuid(),
        project_id: t.project.id,
        floating_network_id: net.id,
        floating_ip_address: address,
        port_id: null,
        fixed_ip_address: null,
        description: body.description ?? "",
        created_at: now(),
      };
      this.r.floatingIps.push(f);
      if (body.port_id) associate(f, body.port_id, t, body.fixed_ip_address);
      this.c.store.save();
      return { status: 201, body: { floatingip: this.fipView(f) } };
    });
    r.add("network", "PUT", `${v}/floatingips/:id`, (ctx) => {
      const t = auth(ctx);
      const f = findFip(ctx.params.id, t);
      const body =
        ctx.json<{
          floatingip?: { port_id?: string | null; fixed_ip_address?: string; description?: string };
        }>().floatingip ?? {};
      if ("port_id" in body) associate(f, body.port_id, t, body.fixed_ip_address);
      if (body.description !== undefined) f.description = body.description;
      this.c.store.save();
      return { status: 200, body: { floatingip: this.fipView(f) } };
    });
    r.add("network", "DELETE", `${v}/floatingips/:id`, (ctx) => {
      const t = auth(ctx);
      const f = findFip(ctx.params.id, t);
      this.r.floatingIps = this.r.floatingIps.filter((x) => x !== f);
      this.refreshServer(f.port_id);
      this.c.store.save();
      return { status: 204 };
    });
  }
}
