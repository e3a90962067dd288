// The records of a new cloud: projects, users, application credentials, flavors,
// the two networks and each project's default security group.
import { randomBytes } from "node:crypto";
import {
  type Network,
  type Project,
  type Records,
  type SecurityGroup,
  type Subnet,
  type User,
  hexId,
  now,
  uuid,
} from "./records";

export function defaultSecurityGroup(project_id: string): SecurityGroup {
  const rule = (
    direction: "ingress" | "egress",
    ethertype: string,
    remote_group_id: string | null,
  ) => ({
    id: uuid(),
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id,
  });
  const id = uuid();
  return {
    id,
    name: "default",
    description: "Default security group",
    project_id,
    rules: [
      rule("egress", "IPv4", null),
      rule("egress", "IPv6", null),
      rule("ingress", "IPv4", id),
      rule("ingress", "IPv6", id),
    ],
    created_at: now(),
  };
}

/** The user of the second domain (`hpc`), a member of project staging (of domain Default). */
export function domainUser(staging: Project): User {
  return {
    id: hexId(),
    name: "hpc-builder",
    password: randomBytes(12).toString("base64url"),
    project_id: staging.id,
    domain_id: "hpc",
  };
}

/** A fresh cloud: two projects with a user each (plus an application credential), flavors, networks. */
export function initialRecords(octet: number): Records {
  const domain_id = "default";
  const admin: Project = { id: hexId(), name: "admin", domain_id };
  const staging: Project = { id: hexId(), name: "staging", domain_id };
  const production: Project = { id: hexId(), name: "production", domain_id };
  const password = () => randomBytes(12).toString("base64url");
  const users: User[] = [
    { id: hexId(), name: "staging-user", password: password(), project_id: staging.id, domain_id },
    {
      id: hexId(),
      name: "production-user",
      password: password(),
      project_id: production.id,
      domain_id,
    },
    domainUser(staging),
  ];
  const created_at = now();
  /** A network owned by admin with one /24 subnet, 127.<octet>.<third>.0/24. */
  const networkWithSubnet = (
    name: string,
    subnetName: string,
    third: number,
    kind: { shared: boolean; external: boolean },
  ): [Network, Subnet] => {
    const network: Network = {
      id: uuid(),
      name,
      project_id: admin.id,
      ...kind,
      subnet_ids: [],
      created_at,
    };
    const subnet: Subnet = {
      id: uuid(),
      name: subnetName,
      network_id: network.id,
      project_id: admin.id,
      cidr: `127.${octet}.${third}.0/24`,
      gateway_ip: `127.${octet}.${third}.1`,
      third,
      created_at,
    };
    network.subnet_ids.push(subnet.id);
    return [network, subnet];
  };
  const [serverNetwork, serverSubnet] = networkWithSubnet(
    "localcloud-net",
    "localcloud-subnet",
    0,
    {
      shared: true,
      external: false,
    },
  );
  const [publicNetwork, publicSubnet] = networkWithSubnet("public", "public-subnet", 1, {
    shared: false,
    external: true,
  });
  const appCredential = (user: User, project: Project) => ({
    id: hexId(),
    name: "localcloud-appcred",
    secret: password(),
    user_id: user.id,
    project_id: project.id,
  });
  return {
    version: 1,
    projects: [admin, staging, production],
    users,
    appCredentials: [appCredential(users[0], staging), appCredential(users[1], production)],
    flavors: [
      { id: "1", name: "m1.tiny", vcpus: 1, ram: 512, disk: 1 },
      { id: "2", name: "m1.small", vcpus: 1, ram: 2048, disk: 20 },
      { id: "3", name: "m1.medium", vcpus: 2, ram: 4096, disk: 40 },
      { id: "4", name: "m1.large", vcpus: 4, ram: 8192, disk: 80 },
      { id: "5", name: "m1.xlarge", vcpus: 8, ram: 16384, disk: 160 },
      { id: "6", name: "general.v1.small", vcpus: 2, ram: 4096, disk: 0 },
    ],
    keypairs: [],
    servers: [],
    volumes: [],
    images: [],
    members: [],
    networks: [serverNetwork, publicNetwork],
    subnets: [serverSubnet, publicSubnet],
    ports: [],
    floatingIps: [],
    securityGroups: [
      defaultSecurityGroup(staging.id),
      defaultSecurityGroup(production.id),
      defaultSecurityGroup(admin.id),
    ],
    nextKeypairId: 1,
  };
}
