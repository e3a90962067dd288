// Neutron's records as the other services use them: visible networks, a
// project's security groups, ports with the next free address, a server's
// addresses, and keeping the SSH relays of a server on its current addresses.
import { randomBytes } from "node:crypto";
import { ServiceEmulator } from "../cloud";
import { ApiError, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import {
  type FloatingIp,
  type Network,
  type Port,
  type SecurityGroup,
  type Server,
  type Subnet,
  defaultSecurityGroup,
  now,
  uuid,
} from "../state";
import { neutronList } from "./listing";

/** The `addresses` of a server (Nova's view), by network name. */
export type ServerAddresses = Record<
  string,
  {
    version: number;
    addr: string;
    "OS-EXT-IPS:type": string;
    "OS-EXT-IPS-MAC:mac_addr": string;
  }[]
>;

export const noMoreAddresses = (networkId: string) =>
  new ApiError(
    409,
    `No more IP addresses available on network ${networkId}.`,
    "IpAddressGenerationFailure",
  );

export class NeutronEmulator extends ServiceEmulator {
  /** A collection with Neutron's list semantics (see neutronList). */
  list(ctx: RequestContext, collection: string, items: Record<string, unknown>[]): Reply {
    return neutronList(this.cloud.baseUrl(), ctx, collection, items);
  }

  visibleNetwork(network: Network, token: Token): boolean {
    return network.project_id === token.project.id || network.shared || network.external;
  }

  findNetwork(id: string, token: Token): Network {
    const network = this.records.networks.find((n) => n.id === id && this.visibleNetwork(n, token));
    if (!network) throw new ApiError(404, `Network ${id} could not be found.`, "NetworkNotFound");
    return network;
  }

  findPort(id: string, token: Token): Port {
    const port = this.records.ports.find((p) => p.id === id && p.project_id === token.project.id);
    if (!port) throw notFound(`Port ${id} could not be found.`, "PortNotFound");
    return port;
  }

  findFloatingIp(id: string, token: Token): FloatingIp {
    const floatingIp = this.records.floatingIps.find(
      (f) => f.id === id && f.project_id === token.project.id,
    );
    if (!floatingIp) throw notFound(`Floating IP ${id} could not be found`, "FloatingIPNotFound");
    return floatingIp;
  }

  /** The project's security groups; its `default` group is made on first use. */
  securityGroupsOf(token: Token): SecurityGroup[] {
    let groups = this.records.securityGroups.filter((g) => g.project_id === token.project.id);
    if (groups.length === 0) {
      const group = defaultSecurityGroup(token.project.id);
      this.records.securityGroups.push(group);
      groups = [group];
    }
    return groups;
  }

  /** A port with the next free fixed IP of the network's first subnet. */
  allocatePort(
    network: Network,
    token: Token,
    deviceId: string,
    deviceOwner: string,
    securityGroups: string[],
  ): Port {
    const subnet = this.records.subnets.find((s) => s.id === network.subnet_ids[0]);
    if (!subnet) throw noMoreAddresses(network.id);
    const ip = this.nextAddress(
      subnet,
      new Set(this.records.ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address))),
    );
    const port: Port = {
      id: uuid(),
      name: "",
      network_id: network.id,
      project_id: token.project.id,
      device_id: deviceId,
      device_owner: deviceOwner,
      mac_address: `fa:16:3e:${randomBytes(3).toString("hex").match(/../g)?.join(":")}`,
      fixed_ips: [{ subnet_id: subnet.id, ip_address: ip }],
      security_groups: securityGroups,
      status: deviceId ? "ACTIVE" : "DOWN",
      created_at: now(),
    };
    this.records.ports.push(port);
    return port;
  }

  /** The first host address (from .10) of the subnet that is not in `used`. */
  nextAddress(subnet: Subnet, used: Set<string>): string {
    for (let host = 10; host < 255; host++) {
      const ip = `127.${this.cloud.octet}.${subnet.third}.${host}`;
      if (!used.has(ip)) return ip;
    }
    throw noMoreAddresses(subnet.network_id);
  }

  /** Deletes a server's ports; their floating IPs get disassociated. */
  releaseServerPorts(server: Server): void {
    for (const floatingIp of this.records.floatingIps) {
      if (floatingIp.port_id && server.port_ids.includes(floatingIp.port_id)) {
        floatingIp.port_id = null;
        floatingIp.fixed_ip_address = null;
      }
    }
    this.records.ports = this.records.ports.filter((p) => p.device_id !== server.id);
  }

  /** A server's addresses for the `addresses` field, grouped by network name. */
  serverAddresses(server: Server): ServerAddresses {
    const out: ServerAddresses = {};
    for (const port of this.records.ports.filter((p) => p.device_id === server.id)) {
      const network = this.records.networks.find((n) => n.id === port.network_id);
      const list = (out[network?.name ?? port.network_id] ??= []);
      for (const fixedIp of port.fixed_ips) {
        list.push({
          version: 4,
          addr: fixedIp.ip_address,
          "OS-EXT-IPS:type": "fixed",
          "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
        });
        for (const floatingIp of this.records.floatingIps.filter((f) => f.port_id === port.id)) {
          list.push({
            version: 4,
            addr: floatingIp.floating_ip_address,
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
    const ports = this.records.ports.filter((p) => p.device_id === serverId);
    const fixed = ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address));
    const floating = this.records.floatingIps
      .filter((f) => f.port_id && ports.some((p) => p.id === f.port_id))
      .map((f) => f.floating_ip_address);
    return { fixed: fixed[0], all: [...fixed, ...floating] };
  }

  /** Moves the SSH relays of the server behind a port (if any) to its current addresses. */
  refreshServerAddresses(portId: string | null): void {
    const port = this.records.ports.find((p) => p.id === portId);
    if (port?.device_id) this.relayServerAddresses(port.device_id);
  }

  relayServerAddresses(serverId: string): void {
    this.cloud.runner.setAddresses(serverId, this.sshAddresses(serverId).all);
  }
}
