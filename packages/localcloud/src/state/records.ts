// The cloud's records: one type per resource, all of them in `Records` (state.json).
import { randomBytes, randomUUID } from "node:crypto";

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
