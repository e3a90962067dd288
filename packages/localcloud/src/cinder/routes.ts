// Cinder v3's route table: project-scoped URLs (403 for another project's id).
import {
  ApiError,
  authenticated,
  limitsReply,
  notFound,
  type RequestContext,
  type RouteEntry,
} from "../http";
import type { GlanceEmulator } from "../glance";
import type { Authenticate, Token, TokenHandler } from "../keystone";
import { VolumeActionHandlers } from "./actions";
import type { CinderEmulator } from "./cinder";
import { versionDocument } from "./views";
import { VOLUME_TYPES, findVolumeType, volumeTypeView } from "./volumeTypes";
import { VolumeHandlers } from "./volumes";

export function volumeRoutes(
  cinder: CinderEmulator,
  glance: GlanceEmulator,
  authenticate: Authenticate,
): RouteEntry[] {
  /** The token, which must be scoped to the project of the URL. */
  const projectScoped = (ctx: RequestContext): Token => {
    const token = authenticate(ctx);
    if (ctx.params.project !== token.project.id)
      throw new ApiError(
        403,
        "Policy doesn't allow volume_extension:volume_tenant_attribute to be performed.",
        "forbidden",
      );
    return token;
  };
  const withToken = (handler: TokenHandler) => authenticated(projectScoped, handler);
  const volumes = new VolumeHandlers(cinder, glance);
  const actions = new VolumeActionHandlers(cinder, glance);
  const versions = () => ({ versions: [versionDocument(cinder.cloud.baseUrl())] });
  const P = "/volume/v3/:project";

  return [
    ["GET", "/volume", () => ({ status: 300, body: versions() })],
    ["GET", "/volume/v3", () => ({ status: 200, body: versions() })],
    ["GET", `${P}/volumes`, withToken(volumes.list)],
    ["GET", `${P}/volumes/detail`, withToken(volumes.detail)],
    ["GET", `${P}/volumes/:id`, withToken(volumes.show)],
    ["POST", `${P}/volumes`, withToken(volumes.create)],
    ["PUT", `${P}/volumes/:id`, withToken(volumes.update)],
    ["DELETE", `${P}/volumes/:id`, withToken(volumes.remove)],
    ["POST", `${P}/volumes/:id/action`, withToken(actions.run)],
    [
      "GET",
      `${P}/types`,
      withToken(() => ({
        status: 200,
        body: { volume_types: VOLUME_TYPES.map(volumeTypeView) },
      })),
    ],
    [
      "GET",
      `${P}/types/default`,
      withToken(() => ({ status: 200, body: { volume_type: volumeTypeView(VOLUME_TYPES[0]) } })),
    ],
    [
      "GET",
      `${P}/types/:id`,
      withToken((ctx) => {
        const type = findVolumeType(ctx.params.id, ctx.params.id);
        if (!type) throw notFound(`Volume type ${ctx.params.id} could not be found.`);
        return { status: 200, body: { volume_type: volumeTypeView(type) } };
      }),
    ],
    [
      "GET",
      `${P}/os-availability-zone`,
      withToken(() => ({
        status: 200,
        body: { availabilityZoneInfo: [{ zoneName: "nova", zoneState: { available: true } }] },
      })),
    ],
    ["GET", `${P}/limits`, withToken((ctx) => limits(cinder, ctx.params.project))],
    ["GET", `${P}/os-quota-sets/:target`, withToken((ctx, token) => quotaSet(cinder, ctx, token))],
  ];
}

function limits(cinder: CinderEmulator, projectId: string) {
  const used = cinder.records.volumes.filter((v) => v.project_id === projectId);
  const quota = cinder.cloud.quotas.of(projectId);
  return limitsReply({
    maxTotalVolumes: quota.volumes,
    maxTotalVolumeGigabytes: quota.gigabytes,
    maxTotalSnapshots: quota.snapshots,
    maxTotalBackups: quota.backups,
    maxTotalBackupGigabytes: quota.backup_gigabytes,
    totalVolumesUsed: used.length,
    totalGigabytesUsed: used.reduce((sum, v) => sum + v.size, 0),
    totalSnapshotsUsed: 0,
    totalBackupsUsed: 0,
    totalBackupGigabytesUsed: 0,
  });
}

/**
 * GET os-quota-sets/<project>[?usage=true]: the project's limits, with a
 * `volumes_<type>`, `gigabytes_<type>` and `snapshots_<type>` entry per volume
 * type, as Cinder lists them; with `usage=true` each is `{limit, in_use,
 * reserved, allocated}`. A project may read only its own (403 otherwise, as
 * Cinder's default policy).
 */
function quotaSet(cinder: CinderEmulator, ctx: RequestContext, token: Token) {
  const target = ctx.params.target;
  if (target !== token.project.id)
    throw new ApiError(
      403,
      `Policy doesn't allow volume_extension:quotas:show to be performed.`,
      "forbidden",
    );
  const quota = cinder.cloud.quotas.of(target);
  const mine = cinder.records.volumes.filter((v) => v.project_id === target);
  const gb = (vs: typeof mine) => vs.reduce((sum, v) => sum + v.size, 0);
  const entries: [string, number, number][] = [
    ["volumes", quota.volumes, mine.length],
    ["gigabytes", quota.gigabytes, gb(mine)],
    ["per_volume_gigabytes", quota.per_volume_gigabytes, 0],
    ["snapshots", quota.snapshots, 0],
    ["backups", quota.backups, 0],
    ["backup_gigabytes", quota.backup_gigabytes, 0],
    ["groups", quota.groups, 0],
  ];
  for (const [type, limits] of Object.entries(quota.perType)) {
    const ofType = mine.filter((v) => v.volume_type === type);
    entries.push([`volumes_${type}`, limits.volumes, ofType.length]);
    entries.push([`gigabytes_${type}`, limits.gigabytes, gb(ofType)]);
    entries.push([`snapshots_${type}`, limits.snapshots, 0]);
  }
  const usage = ["true", "True", "1"].includes(ctx.query.get("usage") ?? "");
  return {
    status: 200,
    body: {
      quota_set: {
        id: target,
        ...Object.fromEntries(
          entries.map(([name, limit, inUse]) => [
            name,
            usage ? { limit, in_use: inUse, reserved: 0, allocated: 0 } : limit,
          ]),
        ),
      },
    },
  };
}
