// Nova's response bodies, shaped by the request's microversion where clients
// care: server (embedded flavor from 2.47), flavor, keypair, volume attachment.
import { createHash } from "node:crypto";
import { hostnameFor } from "../cloudInit";
import type { ServerAddresses } from "../neutron";
import type { Flavor, Keypair, Server } from "../state";

/** Nova's times carry microseconds. */
export const novaTime = (time: string) => time.replace("Z", ".000000");

/** `OS-EXT-STS:vm_state` of a server status. */
export function vmStateOf(status: Server["status"]): string {
  return {
    BUILD: "building",
    ACTIVE: "active",
    SHUTOFF: "stopped",
    REBOOT: "active",
    ERROR: "error",
    DELETED: "deleted",
  }[status];
}

/** `OS-EXT-STS:power_state`: 1 running, 4 shut down, 0 no state. */
function powerStateOf(status: Server["status"]): number {
  if (status === "ACTIVE" || status === "REBOOT") return 1;
  return status === "SHUTOFF" ? 4 : 0;
}

export function flavorView(baseUrl: string, flavor: Flavor) {
  return {
    id: flavor.id,
    name: flavor.name,
    vcpus: flavor.vcpus,
    ram: flavor.ram,
    disk: flavor.disk,
    swap: 0,
    "OS-FLV-EXT-DATA:ephemeral": 0,
    "OS-FLV-DISABLED:disabled": false,
    "os-flavor-access:is_public": true,
    rxtx_factor: 1.0,
    description: null,
    extra_specs: {},
    links: [{ rel: "self", href: `${baseUrl}/compute/v2.1/flavors/${flavor.id}` }],
  };
}

export function serverLinks(baseUrl: string, server: Server) {
  return [
    { rel: "self", href: `${baseUrl}/compute/v2.1/servers/${server.id}` },
    { rel: "bookmark", href: `${baseUrl}/compute/servers/${server.id}` },
  ];
}

/** The server's flavor: embedded (2.47 on) or a link to it. */
function embeddedFlavor(baseUrl: string, server: Server, flavor: Flavor | undefined, mv: number) {
  if (mv >= 47)
    return {
      vcpus: flavor?.vcpus ?? 1,
      ram: flavor?.ram ?? 512,
      disk: flavor?.disk ?? 0,
      ephemeral: 0,
      swap: 0,
      original_name: flavor?.name ?? server.flavor_id,
      extra_specs: {},
    };
  return {
    id: server.flavor_id,
    links: [{ rel: "bookmark", href: `${baseUrl}/compute/flavors/${server.flavor_id}` }],
  };
}

export function serverView(
  baseUrl: string,
  server: Server,
  flavor: Flavor | undefined,
  addresses: ServerAddresses,
  mv: number,
) {
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    tenant_id: server.project_id,
    user_id: server.user_id,
    metadata: server.metadata,
    hostId: createHash("sha224").update(`${server.project_id}localcloud`).digest("hex"),
    image: server.image_id
      ? {
          id: server.image_id,
          links: [{ rel: "bookmark", href: `${baseUrl}/compute/images/${server.image_id}` }],
        }
      : "",
    flavor: embeddedFlavor(baseUrl, server, flavor, mv),
    created: server.created,
    updated: server.updated,
    addresses,
    accessIPv4: "",
    accessIPv6: "",
    links: serverLinks(baseUrl, server),
    "OS-DCF:diskConfig": "MANUAL",
    ...(server.status === "BUILD" ? { progress: 0 } : {}),
    "OS-EXT-AZ:availability_zone": server.availability_zone,
    config_drive: "",
    key_name: server.key_name,
    "OS-SRV-USG:launched_at": server.launched_at ? novaTime(server.launched_at) : null,
    "OS-SRV-USG:terminated_at": null,
    "OS-EXT-STS:task_state": server.task_state,
    "OS-EXT-STS:vm_state": vmStateOf(server.status),
    "OS-EXT-STS:power_state": powerStateOf(server.status),
    "os-extended-volumes:volumes_attached": server.volumes.map((v) => ({
      id: v.volume_id,
      delete_on_termination: v.delete_on_termination,
    })),
    security_groups: server.security_groups.map((name) => ({ name })),
    ...(server.fault ? { fault: server.fault } : {}),
    ...(mv >= 9 ? { locked: false } : {}),
    ...(mv >= 19 ? { description: null } : {}),
    ...(mv >= 26 ? { tags: [] } : {}),
    ...(mv >= 63 ? { trusted_image_certificates: null } : {}),
    ...(mv >= 73 ? { locked_reason: null } : {}),
    ...(mv >= 90 ? { "OS-EXT-SRV-ATTR:hostname": hostnameFor(server.name) } : {}),
  };
}

/** A keypair: `type` from 2.2; `full` (show) adds the record's own fields. */
export function keypairView(keypair: Keypair, mv: number, full: boolean) {
  return {
    name: keypair.name,
    public_key: keypair.public_key,
    fingerprint: keypair.fingerprint,
    ...(mv >= 2 ? { type: keypair.type } : {}),
    ...(full
      ? {
          user_id: keypair.user_id,
          created_at: novaTime(keypair.created_at),
          deleted: false,
          deleted_at: null,
          id: keypair.id,
          updated_at: null,
        }
      : {}),
  };
}

export function attachmentView(server: Server, attachment: Server["volumes"][number], mv: number) {
  return {
    id: attachment.volume_id,
    volumeId: attachment.volume_id,
    serverId: server.id,
    device: attachment.device,
    ...(mv >= 70 ? { tag: null } : {}),
    ...(mv >= 79 ? { delete_on_termination: attachment.delete_on_termination } : {}),
    ...(mv >= 89
      ? { attachment_id: attachment.attachment_id, bdm_uuid: attachment.attachment_id }
      : {}),
  };
}
