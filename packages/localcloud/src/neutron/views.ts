// Neutron's response bodies: network, subnet, port, floating IP, security group and rule.
import type { FloatingIp, Network, Port, SecurityGroup, Subnet } from "../state";

/** The attributes every Neutron resource has (project, tags, times, revision, description). */
function standardAttributes(resource: { id: string; project_id: string; created_at: string }) {
  return {
    id: resource.id,
    tenant_id: resource.project_id,
    project_id: resource.project_id,
    tags: [],
    created_at: resource.created_at,
    updated_at: resource.created_at,
    revision_number: 1,
    description: "",
  };
}

export function networkView(network: Network) {
  return {
    ...standardAttributes(network),
    name: network.name,
    admin_state_up: true,
    mtu: 1500,
    status: "ACTIVE",
    subnets: network.subnet_ids,
    shared: network.shared,
    "router:external": network.external,
    availability_zone_hints: [],
    availability_zones: ["nova"],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    port_security_enabled: true,
    is_default: network.external,
    qos_policy_id: null,
    l2_adjacency: true,
  };
}

export function subnetView(octet: number, subnet: Subnet) {
  const prefix = `127.${octet}.${subnet.third}`;
  return {
    ...standardAttributes(subnet),
    name: subnet.name,
    network_id: subnet.network_id,
    cidr: subnet.cidr,
    ip_version: 4,
    gateway_ip: subnet.gateway_ip,
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

export function portView(port: Port) {
  return {
    ...standardAttributes(port),
    name: port.name,
    network_id: port.network_id,
    mac_address: port.mac_address,
    admin_state_up: true,
    status: port.status,
    device_id: port.device_id,
    device_owner: port.device_owner,
    fixed_ips: port.fixed_ips,
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    security_groups: port.security_groups,
    port_security_enabled: true,
    "binding:vnic_type": "normal",
    dns_name: "",
    qos_policy_id: null,
  };
}

export function floatingIpView(floatingIp: FloatingIp) {
  return {
    ...standardAttributes(floatingIp),
    description: floatingIp.description,
    floating_network_id: floatingIp.floating_network_id,
    floating_ip_address: floatingIp.floating_ip_address,
    router_id: null,
    port_id: floatingIp.port_id,
    fixed_ip_address: floatingIp.fixed_ip_address,
    status: floatingIp.port_id ? "ACTIVE" : "DOWN",
    dns_domain: "",
    dns_name: "",
    qos_policy_id: null,
    port_details: null,
  };
}

export function securityGroupView(group: SecurityGroup) {
  return {
    ...standardAttributes(group),
    name: group.name,
    description: group.description,
    stateful: true,
    shared: false,
    security_group_rules: group.rules.map((rule) => securityGroupRuleView(group, rule)),
  };
}

export function securityGroupRuleView(group: SecurityGroup, rule: SecurityGroup["rules"][number]) {
  return {
    ...standardAttributes({
      id: rule.id,
      project_id: group.project_id,
      created_at: group.created_at,
    }),
    security_group_id: group.id,
    ...rule,
    remote_address_group_id: null,
  };
}
