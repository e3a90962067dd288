// The cloud's records, kept in memory and saved as one JSON file in the state directory.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Project {
  id: string;
  name: string;
  domain_id: string;
}
export interface User {
  id: string;
  name: string;
  password: string;
  project_id: string;
  domain_id: string;
}
export interface AppCredential {
  id: string;
  name: string;
  secret: string;
  user_id: string;
  project_id: string;
}
export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}
export interface Keypair {
  name: string;
  public_key: string;
  fingerprint: string;
  type: string;
  user_id: string;
  project_id: string;
  created_at: string;
  id: number;
}
export type ServerStatus = "BUILD" | "ACTIVE" | "SHUTOFF" | "REBOOT" | "ERROR" | "DELETED";
export interface Server {
  id: string;
  name: string;
  project_id: string;
  user_id: string;
  status: ServerStatus;
  task_state: string | null;
  flavor_id: string;
  image_id: string;
  key_name: string | null;
  metadata: Record<string, string>;
  user_data: string | null;
  security_groups: string[];
  availability_zone: string;
  created: string;
  updated: string;
  launched_at: string | null;
  /** Volumes attached, the boot volume first. */
  volumes: {
    volume_id: string;
    device: string;
    attachment_id: string;
    delete_on_termination: boolean;
  }[];
  port_ids: string[];
  fault?: { code: number; message: string; created: string };
  /** Second/third octets of its addresses: fixed IP is 127.N.0.x with x = host. */
  host: number;
}
export type VolumeStatus =
  | "creating"
  | "downloading"
  | "available"
  | "reserved"
  | "attaching"
  | "in-use"
  | "detaching"
  | "uploading"
  | "deleting"
  | "error"
  | "error_deleting";
export interface Volume {
  id: string;
  name: string | null;
  description: string | null;
  project_id: string;
  user_id: string;
  status: VolumeStatus;
  size: number;
  volume_type: string;
  availability_zone: string;
  bootable: boolean;
  image_id: string | null;
  volume_image_metadata: Record<string, string>;
  metadata: Record<string, string>;
  attachments: { server_id: string; attachment_id: string; device: string; attached_at: string }[];
  created_at: string;
  updated_at: string;
}
export type ImageStatus =
  "queued" | "saving" | "active" | "killed" | "deleted" | "deactivated" | "uploading" | "importing";
export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: "public" | "private" | "shared" | "community";
  protected: boolean;
  os_hidden: boolean;
  owner: string;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  tags: string[];
  properties: Record<string, string>;
  created_at: string;
  updated_at: string;
}
export interface Member {
  image_id: string;
  member_id: string;
  status: "pending" | "accepted" | "rejected";
  created_at: string;
  updated_at: string;
}
export interface Network {
  id: string;
  name: string;
  project_id: string;
  shared: boolean;
  external: boolean;
  subnet_ids: string[];
  created_at: string;
}
export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  cidr: string;
  gateway_ip: string;
  /** 127.<octet>.<third>.x */
  third: number;
  created_at: string;
}
export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  security_groups: string[];
  status: "ACTIVE" | "DOWN";
  created_at: string;
}
export interface FloatingIp {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  description: string;
  created_at: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  rules: {
    id: string;
    direction: "ingress" | "egress";
    ethertype: string;
    protocol: string | null;
    port_range_min: number | null;
    port_range_max: number | null;
    remote_ip_prefix: string | null;
    remote_group_id: string | null;
  }[];
  created_at: string;
}

export interface Records {
  version: 1;
  projects: Project[];
  users: User[];
  appCredentials: AppCredential[];
  flavors: Flavor[];
  keypairs: Keypair[];
  servers: Server[];
  volumes: Volume[];
  images: Image[];
  members: Member[];
  networks: Network[];
  subnets: Subnet[];
  ports: Port[];
  floatingIps: FloatingIp[];
  securityGroups: SecurityGroup[];
  nextKeypairId: number;
}

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
/** Keystone-style ids: 32 hex characters. */
export const hexId = () => randomBytes(16).toString("hex");
export const uuid = () => randomUUID();

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

/** A fresh cloud: two projects with a user each (plus an application credential), flavors, networks. */
export function initialRecords(octet: number): Records {
  const domain_id = "default";
  const admin: Project = { id: hexId(), name: "admin", domain_id };
  const staging: Project = { id: hexId(), name: "staging", domain_id };
  const production: Project = { id: hexId(), name: "production", domain_id };
  const pw = () => randomBytes(12).toString("base64url");
  const users: User[] = [
    { id: hexId(), name: "staging-user", password: pw(), project_id: staging.id, domain_id },
    { id: hexId(), name: "production-user", password: pw(), project_id: production.id, domain_id },
  ];
  const t = now();
  const privSubnet: Subnet = {
    id: uuid(),
    name: "localcloud-subnet",
    network_id: "",
    project_id: admin.id,
    cidr: `127.${octet}.0.0/24`,
    gateway_ip: `127.${octet}.0.1`,
    third: 0,
    created_at: t,
  };
  const pubSubnet: Subnet = {
    id: uuid(),
    name: "public-subnet",
    network_id: "",
    project_id: admin.id,
    cidr: `127.${octet}.1.0/24`,
    gateway_ip: `127.${octet}.1.1`,
    third: 1,
    created_at: t,
  };
  const priv: Network = {
    id: uuid(),
    name: "localcloud-net",
    project_id: admin.id,
    shared: true,
    external: false,
    subnet_ids: [privSubnet.id],
    created_at: t,
  };
  const pub: Network = {
    id: uuid(),
    name: "public",
    project_id: admin.id,
    shared: false,
    external: true,
    subnet_ids: [pubSubnet.id],
    created_at: t,
  };
  privSubnet.network_id = priv.id;
  pubSubnet.network_id = pub.id;
  return {
    version: 1,
    projects: [admin, staging, production],
    users,
    appCredentials: [
      {
        id: hexId(),
        name: "localcloud-appcred",
        secret: pw(),
        user_id: users[0].id,
        project_id: staging.id,
      },
      {
        id: hexId(),
        name: "localcloud-appcred",
        secret: pw(),
        user_id: users[1].id,
        project_id: production.id,
      },
    ],
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
    networks: [priv, pub],
    subnets: [privSubnet, pubSubnet],
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

export class Store {
  readonly file: string;
  private timer?: NodeJS.Timeout;

  private constructor(
    dir: string,
    public records: Records,
  ) {
    this.file = join(dir, "state.json");
  }

  static open(dir: string, octet: number): Store {
    const file = join(dir, "state.json");
    if (existsSync(file)) return new Store(dir, JSON.parse(readFileSync(file, "utf8")) as Records);
    const store = new Store(dir, initialRecords(octet));
    store.saveNow();
    return store;
  }

  /** Schedules a save (coalesces bursts of changes). */
  save(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saveNow();
    }, 50);
  }

  saveNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.records, null, 1));
    renameSync(tmp, this.file);
  }
}
