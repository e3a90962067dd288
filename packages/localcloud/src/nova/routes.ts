// Nova v2.1's route table (order matters: `flavors/detail` before `flavors/:id`).
import { authenticated, limitsReply, type RouteEntry } from "../http";
import type { Authenticate, Token, TokenHandler } from "../keystone";
import { now } from "../state";
import { FlavorHandlers } from "./flavors";
import { KeypairHandlers } from "./keypairs";
import { versionDocuments } from "./microversion";
import type { NovaEmulator } from "./nova";
import { ServerActionHandlers } from "./serverActions";
import { ServerCreation } from "./serverCreation";
import { ServerHandlers } from "./servers";
import { VolumeAttachmentHandlers } from "./volumeAttachments";

export function computeRoutes(nova: NovaEmulator, authenticate: Authenticate): RouteEntry[] {
  const withToken = (handler: TokenHandler) => authenticated(authenticate, handler);
  const flavors = new FlavorHandlers(nova);
  const keypairs = new KeypairHandlers(nova);
  const servers = new ServerHandlers(nova);
  const creation = new ServerCreation(nova);
  const actions = new ServerActionHandlers(nova);
  const attachments = new VolumeAttachmentHandlers(nova);
  const versions = () => versionDocuments(nova.cloud.baseUrl());
  const V = "/compute/v2.1";
  const S = `${V}/servers/:id`;

  return [
    [
      "GET",
      "/compute",
      () => ({ status: 200, body: { versions: [versions().legacy, versions().current] } }),
    ],
    ["GET", V, () => ({ status: 200, body: { version: versions().current } })],
    ["GET", `${V}/flavors`, withToken(flavors.list)],
    ["GET", `${V}/flavors/detail`, withToken(flavors.detail)],
    ["GET", `${V}/flavors/:id`, withToken(flavors.show)],
    ["GET", `${V}/flavors/:id/os-extra_specs`, withToken(flavors.extraSpecs)],
    ["GET", `${V}/os-keypairs`, withToken(keypairs.list)],
    ["GET", `${V}/os-keypairs/:name`, withToken(keypairs.show)],
    ["POST", `${V}/os-keypairs`, withToken(keypairs.create)],
    ["DELETE", `${V}/os-keypairs/:name`, withToken(keypairs.remove)],
    ["GET", `${V}/servers`, withToken(servers.list)],
    ["GET", `${V}/servers/detail`, withToken(servers.detail)],
    ["POST", `${V}/servers`, withToken(creation.create)],
    ["GET", S, withToken(servers.show)],
    ["PUT", S, withToken(servers.update)],
    ["DELETE", S, withToken(servers.remove)],
    ["POST", `${S}/action`, withToken(actions.run)],
    ["GET", `${S}/ips`, withToken(servers.ips)],
    ["GET", `${S}/tags`, withToken(servers.tags)],
    ["GET", `${S}/metadata`, withToken(servers.metadata)],
    ["POST", `${S}/metadata`, withToken(servers.updateMetadata)],
    ["PUT", `${S}/metadata`, withToken(servers.replaceMetadata)],
    ["DELETE", `${S}/metadata/:key`, withToken(servers.deleteMetadataKey)],
    ["GET", `${S}/os-volume_attachments`, withToken(attachments.list)],
    ["GET", `${S}/os-volume_attachments/:volume`, withToken(attachments.show)],
    ["POST", `${S}/os-volume_attachments`, withToken(attachments.attach)],
    ["DELETE", `${S}/os-volume_attachments/:volume`, withToken(attachments.detach)],
    ["GET", `${S}/os-interface`, withToken(servers.interfaces)],
    ["GET", `${V}/os-availability-zone/detail`, withToken(availabilityZonesDetail)],
    [
      "GET",
      `${V}/os-availability-zone`,
      withToken(() => ({
        status: 200,
        body: {
          availabilityZoneInfo: [{ zoneName: "nova", zoneState: { available: true }, hosts: null }],
        },
      })),
    ],
    ["GET", `${V}/limits`, withToken((_ctx, token) => limits(nova, token))],
  ];
}

function availabilityZonesDetail() {
  return {
    status: 200,
    body: {
      availabilityZoneInfo: [
        {
          zoneName: "nova",
          zoneState: { available: true },
          hosts: {
            localcloud: { "nova-compute": { available: true, active: true, updated_at: now() } },
          },
        },
      ],
    },
  };
}

function limits(nova: NovaEmulator, token: Token) {
  const mine = nova.records.servers.filter((s) => s.project_id === token.project.id);
  const flavor = (id: string) => nova.records.flavors.find((f) => f.id === id);
  const quota = nova.cloud.quotas.of(token.project.id);
  return limitsReply({
    maxTotalInstances: quota.instances,
    maxTotalCores: quota.cores,
    maxTotalRAMSize: quota.ram,
    maxTotalKeypairs: 100,
    maxServerMeta: 128,
    maxImageMeta: 128,
    maxPersonality: 5,
    maxPersonalitySize: 10240,
    maxServerGroups: 10,
    maxServerGroupMembers: 10,
    totalInstancesUsed: mine.length,
    totalCoresUsed: mine.reduce((sum, s) => sum + (flavor(s.flavor_id)?.vcpus ?? 0), 0),
    totalRAMUsed: mine.reduce((sum, s) => sum + (flavor(s.flavor_id)?.ram ?? 0), 0),
    totalServerGroupsUsed: 0,
  });
}
