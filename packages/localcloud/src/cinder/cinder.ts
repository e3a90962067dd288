// Cinder v3: volumes (blank or from an image), status transitions, attachments,
// os-volume_upload_image, image metadata, delete.
import { Cloud } from "./cloud";
import { Faults } from "./faults";
import { ApiError, Ctx, Reply, Router, badRequest, notFound } from "./http";
import { Token } from "./identity";
import { ImageService } from "./image";
import { Image, Volume, now, uuid } from "./state";

export const VOLUME_TYPES = [
  {
    id: "5f7c4c5e-0000-4000-8000-000000000001",
    name: "__DEFAULT__",
    description: "Default Volume Type",
  },
  {
    id: "5f7c4c5e-0000-4000-8000-000000000002",
    name: "standard",
    description: "localcloud directory-backed volumes",
  },
];
export const VOLUME_MAX_MICROVERSION = "3.70";

/** Glance properties that Cinder does not copy from volume_image_metadata into an uploaded image. */
const NOT_COPIED = new Set([
  "image_id",
  "image_name",
  "checksum",
  "container_format",
  "disk_format",
  "min_disk",
  "min_ram",
  "size",
]);

export class VolumeService {
  constructor(
    private c: Cloud,
    private images: ImageService,
  ) {}

  private get r() {
    return this.c.records;
  }

  find(id: string, t: Token): Volume {
    const v = this.r.volumes.find((x) => x.id === id && x.project_id === t.project.id);
    if (!v) throw notFound(`Volume ${id} could not be found.`);
    return v;
  }

  private setStatus(v: Volume, status: Volume["status"]): void {
    v.status = status;
    v.updated_at = now();
    this.c.store.save();
  }

  /** Creates a volume record and fills it in the background (copy of the image's tree). */
  create(
    t: Token,
    opts: {
      name?: string | null;
      description?: string | null;
      size: number;
      volume_type?: string;
      image?: Image;
      availability_zone?: string;
      metadata?: Record<string, string>;
    },
  ): Volume {
    const type = VOLUME_TYPES.find(
      (x) => x.name === (opts.volume_type ?? "__DEFAULT__") || x.id === opts.volume_type,
    );
    if (!type)
      throw notFound(`Volume type with name ${opts.volume_type ?? ""} could not be found.`);
    if (opts.availability_zone && opts.availability_zone !== "nova")
      throw badRequest("Availability zone is invalid.");
    const img = opts.image;
    const t0 = now();
    const v: Volume = {
      id: uuid(),
      name: opts.name ?? null,
      description: opts.description ?? null,
      project_id: t.project.id,
      user_id: t.user.id,
      status: "creating",
      size: opts.size,
      volume_type: type.name,
      availability_zone: "nova",
      bootable: Boolean(img),
      image_id: img?.id ?? null,
      volume_image_metadata: img
        ? {
            ...img.properties,
            image_id: img.id,
            image_name: img.name ?? "",
            checksum: img.checksum ?? "",
            container_format: img.container_format ?? "bare",
            disk_format: img.disk_format ?? "raw",
            min_disk: String(img.min_disk),
            min_ram: String(img.min_ram),
            size: String(img.size ?? 0),
          }
        : {},
      metadata: opts.metadata ?? {},
      attachments: [],
      created_at: t0,
      updated_at: t0,
    };
    this.r.volumes.push(v);
    this.c.store.save();
    const failNow = Faults.takeTarget(this.c.faults.volumeErrors, v.id, v.name);
    this.c.later(this.c.options.transitionMs, async () => {
      if (failNow) return this.setStatus(v, "error");
      if (img) {
        // OpenStack bug 1823445: Cinder records signature_verified for every volume made
        // from an image; if the image already carries it, the duplicate makes the create fail.
        if (this.c.options.emulateSignatureVerifiedBug && "signature_verified" in img.properties) {
          this.c.log(
            `volume ${v.id}: image ${img.id} has signature_verified: failing as OpenStack bug 1823445`,
          );
          return this.setStatus(v, "error");
        }
        // Cinder reports "downloading" while it copies the image's data.
        this.setStatus(v, "downloading");
        try {
          await this.c.disk.volumeFromImage(img.id, v.id);
        } catch (e) {
          this.c.log(`volume ${v.id}: copy of image ${img.id} failed: ${(e as Error).message}`);
          return this.setStatus(v, "error");
        }
        v.volume_image_metadata.signature_verified = "False";
      } else {
        this.c.disk.blankVolume(v.id);
      }
      if (v.status === "creating" || v.status === "downloading") this.setStatus(v, "available");
    });
    return v;
  }

  attach(v: Volume, serverId: string, device: string, attachmentId: string): void {
    v.attachments = [
      { server_id: serverId, attachment_id: attachmentId, device, attached_at: now() },
    ];
    this.setStatus(v, "in-use");
  }

  detach(v: Volume): void {
    v.attachments = [];
    this.setStatus(v, "available");
  }

  reserve(v: Volume): void {
    this.setStatus(v, "reserved");
  }

  /** Deletes in the background: deleting → gone. */
  remove(v: Volume): void {
    this.setStatus(v, "deleting");
    this.c.later(this.c.options.transitionMs, async () => {
      await this.c.disk.deleteVolume(v.id);
      this.r.volumes = this.r.volumes.filter((x) => x !== v);
    });
  }

  view(v: Volume) {
    return {
      id: v.id,
      name: v.name,
      description: v.description,
      status: v.status,
      size: v.size,
      volume_type: v.volume_type,
      volume_type_id: VOLUME_TYPES.find((x) => x.name === v.volume_type)?.id,
      availability_zone: v.availability_zone,
      bootable: String(v.bootable),
      encrypted: false,
      multiattach: false,
      snapshot_id: null,
      source_volid: null,
      consistencygroup_id: null,
      group_id: null,
      replication_status: null,
      migration_status: null,
      "os-vol-tenant-attr:tenant_id": v.project_id,
      user_id: v.user_id,
      metadata: v.metadata,
      ...(Object.keys(v.volume_image_metadata).length > 0
        ? { volume_image_metadata: v.volume_image_metadata }
        : {}),
      attachments: v.attachments.map((a) => ({
        id: v.id,
        attachment_id: a.attachment_id,
        volume_id: v.id,
        server_id: a.server_id,
        host_name: null,
        device: a.device,
        attached_at: a.attached_at.replace("Z", ".000000"),
      })),
      created_at: v.created_at.replace("Z", ".000000"),
      updated_at: v.updated_at.replace("Z", ".000000"),
      links: [
        { rel: "self", href: `${this.c.baseUrl()}/volume/v3/${v.project_id}/volumes/${v.id}` },
      ],
      shared_targets: false,
      service_uuid: null,
      cluster_name: null,
      provider_id: null,
      consumes_quota: true,
    };
  }

  private versionDoc(current = true) {
    return {
      id: "v3.0",
      status: current ? "CURRENT" : "SUPPORTED",
      version: VOLUME_MAX_MICROVERSION,
      min_version: "3.0",
      updated: "2023-08-31T00:00:00Z",
      links: [{ rel: "self", href: `${this.c.baseUrl()}/volume/v3/` }],
      "media-types": [
        { base: "application/json", type: "application/vnd.openstack.volume+json;version=3" },
      ],
    };
  }

  routes(r: Router, auth: (ctx: Ctx) => Token): void {
    r.add("volume", "GET", "/volume", () => ({
      status: 300,
      body: { versions: [this.versionDoc()] },
    }));
    r.add("volume", "GET", "/volume/v3", () => ({
      status: 200,
      body: { versions: [this.versionDoc()] },
    }));
    const p = "/volume/v3/:project";
    const scoped = (ctx: Ctx): Token => {
      const t = auth(ctx);
      if (ctx.params.project !== t.project.id)
        throw new ApiError(
          403,
          "Policy doesn't allow volume_extension:volume_tenant_attribute to be performed.",
          "forbidden",
        );
      return t;
    };
    const listing = (ctx: Ctx, detail: boolean): Reply => {
      const t = scoped(ctx);
      let vols = this.r.volumes.filter((v) => v.project_id === t.project.id);
      const name = ctx.query.get("name");
      if (name !== null) vols = vols.filter((v) => v.name === name);
      const status = ctx.query.get("status");
      if (status !== null) vols = vols.filter((v) => v.status === status);
      const marker = ctx.query.get("marker");
      if (marker) vols = vols.slice(vols.findIndex((v) => v.id === marker) + 1);
      const limit = Number(ctx.query.get("limit") ?? 0);
      if (limit > 0) vols = vols.slice(0, limit);
      return {
        status: 200,
        body: {
          volumes: vols.map((v) =>
            detail ? this.view(v) : { id: v.id, name: v.name, links: this.view(v).links },
          ),
        },
      };
    };
    r.add("volume", "GET", `${p}/volumes`, (ctx) => listing(ctx, false));
    r.add("volume", "GET", `${p}/volumes/detail`, (ctx) => listing(ctx, true));
    r.add("volume", "GET", `${p}/volumes/:id`, (ctx) => ({
      status: 200,
      body: { volume: this.view(this.find(ctx.params.id, scoped(ctx))) },
    }));
    r.add("volume", "POST", `${p}/volumes`, (ctx) => {
      const t = scoped(ctx);
      const body = ctx.json<{ volume?: Record<string, unknown> }>().volume;
      if (!body) throw badRequest("Missing required element 'volume' in request body.");
      const size = Number(body.size);
      if (!Number.isInteger(size) || size < 1)
        throw badRequest(
          `Invalid input for field/attribute size. Value: ${String(body.size)}. ${String(body.size)} is not of type 'integer'`,
        );
      let image: Image | undefined;
      const imageRef = (body.imageRef ?? body.image_id) as string | undefined;
      if (imageRef) {
        image = this.images.findVisibleOrUndefined(imageRef, t);
        if (!image)
          throw badRequest("Invalid image identifier or unable to access requested image.");
        if (image.status !== "active") throw badRequest(`Image ${image.id} is not active.`);
        if (image.min_disk > size)
          throw badRequest(
            `Volume size ${size}GB cannot be smaller than the image minDisk size ${image.min_disk}GB.`,
          );
      }
      const v = this.create(t, {
        name: (body.name as string | undefined) ?? null,
        description: (body.description as string | undefined) ?? null,
        size,
        volume_type: body.volume_type as string | undefined,
        availability_zone: body.availability_zone as string | undefined,
        metadata: (body.metadata as Record<string, string> | undefined) ?? {},
        image,
      });
      return { status: 202, body: { volume: this.view(v) } };
    });
    r.add("volume", "PUT", `${p}/volumes/:id`, (ctx) => {
      const v = this.find(ctx.params.id, scoped(ctx));
      const body =
        ctx.json<{
          volume?: { name?: string; description?: string; metadata?: Record<string, string> };
        }>().volume ?? {};
      if (body.name !== undefined) v.name = body.name;
      if (body.description !== undefined) v.description = body.description;
      if (body.metadata !== undefined) v.metadata = body.metadata;
      this.c.store.save();
      return { status: 200, body: { volume: this.view(v) } };
    });
    r.add("volume", "DELETE", `${p}/volumes/:id`, (ctx) => {
      const v = this.find(ctx.params.id, scoped(ctx));
      if (
        !["available", "error", "error_restoring", "error_extending", "error_managing"].includes(
          v.status,
        ) ||
        v.attachments.length > 0
      )
        throw badRequest(
          "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.",
        );
      this.remove(v);
      return { status: 202 };
    });
    r.add("volume", "POST", `${p}/volumes/:id/action`, (ctx) => this.action(ctx, scoped(ctx)));
    r.add("volume", "GET", `${p}/types`, (ctx) => {
      scoped(ctx);
      return { status: 200, body: { volume_types: VOLUME_TYPES.map((x) => this.typeView(x)) } };
    });
    r.add("volume", "GET", `${p}/types/default`, (ctx) => {
      scoped(ctx);
      return { status: 200, body: { volume_type: this.typeView(VOLUME_TYPES[0]) } };
    });
    r.add("volume", "GET", `${p}/types/:id`, (ctx) => {
      scoped(ctx);
      const x = VOLUME_TYPES.find((y) => y.id === ctx.params.id || y.name === ctx.params.id);
      if (!x) throw notFound(`Volume type ${ctx.params.id} could not be found.`);
      return { status: 200, body: { volume_type: this.typeView(x) } };
    });
    r.add("volume", "GET", `${p}/os-availability-zone`, (ctx) => {
      scoped(ctx);
      return {
        status: 200,
        body: { availabilityZoneInfo: [{ zoneName: "nova", zoneState: { available: true } }] },
      };
    });
    r.add("volume", "GET", `${p}/limits`, (ctx) => {
      scoped(ctx);
      const used = this.r.volumes.filter((v) => v.project_id === ctx.params.project);
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalVolumes: 100,
              maxTotalVolumeGigabytes: 10000,
              maxTotalSnapshots: 100,
              maxTotalBackups: 10,
              maxTotalBackupGigabytes: 1000,
              totalVolumesUsed: used.length,
              totalGigabytesUsed: used.reduce((a, v) => a + v.size, 0),
              totalSnapshotsUsed: 0,
              totalBackupsUsed: 0,
              totalBackupGigabytesUsed: 0,
            },
          },
        },
      };
    });
  }

  private typeView(x: (typeof VOLUME_TYPES)[number]) {
    return {
      id: x.id,
      name: x.name,
      description: x.description,
      is_public: true,
      extra_specs: {},
      qos_specs_id: null,
      "os-volume-type-access:is_public": true,
    };
  }

  private action(ctx: Ctx, t: Token): Reply {
    const v = this.find(ctx.params.id, t);
    const body = ctx.json<Record<string, Record<string, unknown> | null>>();
    const [name] = Object.keys(body);
    const args = body[name] ?? {};
    switch (name) {
      case "os-volume_upload_image":
        return this.upload(v, t, args);
      case "os-set_image_metadata": {
        const md = (args.metadata ?? {}) as Record<string, string>;
        Object.assign(v.volume_image_metadata, md);
        this.c.store.save();
        return { status: 200, body: { metadata: v.volume_image_metadata } };
      }
      case "os-unset_image_metadata": {
        const key = String(args.key);
        if (!(key in v.volume_image_metadata))
          throw notFound(`Glance metadata for volume ${v.id} with key ${key} not found.`);
        delete v.volume_image_metadata[key];
        this.c.store.save();
        return { status: 200 };
      }
      case "os-show_image_metadata":
        return { status: 200, body: { metadata: v.volume_image_metadata } };
      case "os-reset_status":
        if (args.status) this.setStatus(v, args.status as Volume["status"]);
        return { status: 202 };
      case "os-extend": {
        const size = Number(args.new_size);
        if (!(size > v.size))
          throw badRequest(
            `Invalid input received: New size for extend must be greater than current size. (current: ${v.size}, extended: ${size}).`,
          );
        if (v.status !== "available")
          throw badRequest(
            `Volume ${v.id} status must be available to extend, but current status is: ${v.status}.`,
          );
        v.size = size;
        this.c.store.save();
        return { status: 202 };
      }
      case "os-set_bootable":
        v.bootable = Boolean(args.bootable);
        this.c.store.save();
        return { status: 200 };
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  }

  /** Cinder's upload-to-image: the volume's tree becomes a new Glance image (queued → saving → active). */
  private upload(v: Volume, t: Token, args: Record<string, unknown>): Reply {
    const force = args.force === true || args.force === "True" || args.force === "true";
    if (!(v.status === "available" || (force && v.status === "in-use")))
      throw badRequest(
        `Invalid volume: Volume ${v.id} status must be available or in-use, but current status is: ${v.status}.`,
      );
    if (v.status === "in-use" && !force)
      throw badRequest(
        `Invalid volume: Volume ${v.id} status must be available, but current status is: ${v.status}.`,
      );
    const properties: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.volume_image_metadata))
      if (!NOT_COPIED.has(k)) properties[k] = val;
    const visibility = (args.visibility as Image["visibility"] | undefined) ?? "private";
    if (visibility === "public")
      throw new ApiError(
        403,
        "Policy doesn't allow volume_extension:volume_actions:upload_public to be performed.",
        "forbidden",
      );
    const img = this.images.createRecord(t, {
      name: (args.image_name as string | undefined) ?? v.name ?? "",
      disk_format: (args.disk_format as string | undefined) ?? "raw",
      container_format: (args.container_format as string | undefined) ?? "bare",
      visibility,
      protected: args.protected === true,
      min_disk: v.size,
      properties,
    });
    const previous = v.status;
    this.setStatus(v, "uploading");
    img.status = "saving";
    this.c.later(this.c.options.transitionMs, async () => {
      try {
        await this.images.storeFromVolume(img, v.id);
      } finally {
        if (v.status === "uploading") this.setStatus(v, previous);
      }
    });
    return {
      status: 202,
      body: {
        "os-volume_upload_image": {
          id: v.id,
          updated_at: v.updated_at.replace("Z", ".000000"),
          status: "uploading",
          display_description: v.description,
          size: v.size,
          volume_type: this.typeView(
            VOLUME_TYPES.find((x) => x.name === v.volume_type) ?? VOLUME_TYPES[0],
          ),
          image_id: img.id,
          container_format: img.container_format,
          disk_format: img.disk_format,
          image_name: img.name,
          protected: img.protected,
          visibility: img.visibility,
        },
      },
    };
  }
}
