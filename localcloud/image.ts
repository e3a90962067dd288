// Glance v2: images (list/filters/sort/pagination, show, create, PATCH, delete,
// data upload/download, tags), members (share/accept), schemas.
import { createReadStream, writeFileSync } from "node:fs";
import { Cloud } from "./cloud";
import { Faults } from "./faults";
import { ApiError, Ctx, Reply, Router, badRequest, conflict, forbidden, notFound } from "./http";
import { Token } from "./identity";
import { describe } from "./imagestore";
import { Image, Member, now, uuid } from "./state";

const CORE = new Set([
  "id",
  "name",
  "status",
  "visibility",
  "protected",
  "os_hidden",
  "owner",
  "disk_format",
  "container_format",
  "min_disk",
  "min_ram",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "tags",
  "created_at",
  "updated_at",
]);
const READ_ONLY = new Set([
  "status",
  "size",
  "virtual_size",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "created_at",
  "updated_at",
  "self",
  "file",
  "schema",
  "direct_url",
  "locations",
  "owner",
]);
const DISK_FORMATS = [
  "ami",
  "ari",
  "aki",
  "vhd",
  "vhdx",
  "vmdk",
  "raw",
  "qcow2",
  "vdi",
  "iso",
  "ploop",
];
const CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"];
const LIST_PARAMS = new Set([
  "limit",
  "marker",
  "sort",
  "sort_key",
  "sort_dir",
  "member_status",
  "visibility",
  "tag",
  "name",
  "status",
  "owner",
  "os_hidden",
  "id",
  "size_min",
  "size_max",
  "created_at",
  "updated_at",
  "protected",
  "disk_format",
  "container_format",
]);

export class ImageService {
  constructor(private c: Cloud) {}

  private get r() {
    return this.c.records;
  }

  findVisibleOrUndefined(id: string, t: Token): Image | undefined {
    return this.r.images.find((i) => i.id === id && this.c.canSeeImage(i, t));
  }

  findVisible(id: string, t: Token): Image {
    const img = this.findVisibleOrUndefined(id, t);
    if (!img) throw notFound(`No image found with ID ${id}`);
    return img;
  }

  private findOwned(id: string, t: Token, action: string): Image {
    const img = this.findVisible(id, t);
    if (img.owner !== t.project.id)
      throw forbidden(`You are not permitted to ${action} this image.`);
    return img;
  }

  createRecord(
    t: Token | { project: { id: string } },
    fields: Partial<Image> & { properties?: Record<string, string> },
  ): Image {
    const t0 = now();
    const img: Image = {
      id: fields.id ?? uuid(),
      name: fields.name ?? null,
      status: "queued",
      visibility: fields.visibility ?? "shared",
      protected: fields.protected ?? false,
      os_hidden: fields.os_hidden ?? false,
      owner: t.project.id,
      disk_format: fields.disk_format ?? null,
      container_format: fields.container_format ?? null,
      min_disk: fields.min_disk ?? 0,
      min_ram: fields.min_ram ?? 0,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      tags: fields.tags ?? [],
      properties: fields.properties ?? {},
      created_at: t0,
      updated_at: t0,
    };
    this.r.images.push(img);
    this.c.store.save();
    return img;
  }

  /** Archives a volume into the image (used by Cinder's upload); honours the stuck-in-saving fault. */
  async storeFromVolume(img: Image, volumeId: string): Promise<void> {
    img.status = "saving";
    try {
      const info = await this.c.disk.archiveVolume(volumeId, img.id);
      if (Faults.matches(this.c.faults.stuckImages, img.id, img.name)) {
        this.c.log(`image ${img.id}: stays in saving (fault)`);
        return;
      }
      Object.assign(img, info, { status: "active", virtual_size: info.size, updated_at: now() });
    } catch (e) {
      this.c.log(`image ${img.id}: upload from volume ${volumeId} failed: ${(e as Error).message}`);
      img.status = "killed";
    }
    this.c.store.save();
  }

  /** Marks an image active whose data file is already on disk (the base image). */
  async activate(img: Image): Promise<void> {
    const info = await describe(this.c.disk.imageFile(img.id));
    Object.assign(img, info, { status: "active", virtual_size: info.size, updated_at: now() });
    this.c.store.save();
  }

  view(img: Image): Record<string, unknown> {
    return {
      ...img.properties,
      id: img.id,
      name: img.name,
      status: img.status,
      visibility: img.visibility,
      protected: img.protected,
      os_hidden: img.os_hidden,
      owner: img.owner,
      disk_format: img.disk_format,
      container_format: img.container_format,
      min_disk: img.min_disk,
      min_ram: img.min_ram,
      size: img.size,
      virtual_size: img.virtual_size,
      checksum: img.checksum,
      os_hash_algo: img.os_hash_algo,
      os_hash_value: img.os_hash_value,
      tags: img.tags,
      created_at: img.created_at,
      updated_at: img.updated_at,
      self: `/v2/images/${img.id}`,
      file: `/v2/images/${img.id}/file`,
      schema: "/v2/schemas/image",
      stores: img.status === "active" ? "file" : undefined,
    };
  }

  private memberView(m: Member) {
    return { ...m, schema: "/v2/schemas/member" };
  }

  private list(ctx: Ctx, t: Token): Reply {
    const q = ctx.query;
    const visibility = q.get("visibility");
    const memberStatus = q.get("member_status") ?? "accepted";
    const memberOf = (img: Image) =>
      this.r.members.find((m) => m.image_id === img.id && m.member_id === t.project.id);
    let imgs = this.r.images.filter((img) => {
      if (img.status === "deleted") return false;
      const own = img.owner === t.project.id;
      const member = memberOf(img);
      const sharedOk =
        img.visibility === "shared" &&
        member &&
        (memberStatus === "all" || member.status === memberStatus);
      switch (visibility) {
        case null:
          return own || img.visibility === "public" || Boolean(sharedOk);
        case "all":
          return (
            own ||
            img.visibility === "public" ||
            img.visibility === "community" ||
            Boolean(sharedOk)
          );
        case "public":
        case "community":
          return img.visibility === visibility;
        case "private":
          return own && img.visibility === "private";
        case "shared":
          return (
            img.visibility === "shared" && ((own && !q.has("member_status")) || Boolean(sharedOk))
          );
        default:
          throw badRequest(`Invalid visibility value: ${visibility}`);
      }
    });
    const inList = (v: string) => (v.startsWith("in:") ? v.slice(3).split(",") : [v]);
    for (const key of [
      "name",
      "status",
      "owner",
      "id",
      "disk_format",
      "container_format",
    ] as const) {
      const v = q.get(key);
      if (v !== null) imgs = imgs.filter((img) => inList(v).includes(String(img[key])));
    }
    if (q.get("os_hidden") !== "true") imgs = imgs.filter((img) => !img.os_hidden);
    for (const tag of q.getAll("tag")) imgs = imgs.filter((img) => img.tags.includes(tag));
    for (const [k, v] of q) {
      if (LIST_PARAMS.has(k)) continue;
      imgs = imgs.filter((img) => img.properties[k] === v);
    }
    // sort=key:dir,key2 or sort_key/sort_dir; Glance's default is created_at desc then id desc.
    let keys: [string, number][] = [];
    const sort = q.get("sort");
    if (sort) {
      keys = sort.split(",").map((s) => {
        const [k, d] = s.split(":");
        if (d && d !== "asc" && d !== "desc") throw badRequest(`Invalid sort direction: ${d}`);
        return [k, d === "asc" ? 1 : -1];
      });
    } else if (q.has("sort_key")) {
      const dirs = q.getAll("sort_dir");
      keys = q
        .getAll("sort_key")
        .map((k, i) => [k, (dirs[i] ?? dirs[0] ?? "desc") === "asc" ? 1 : -1]);
    }
    if (!keys.some(([k]) => k === "created_at")) keys.push(["created_at", -1]);
    if (!keys.some(([k]) => k === "id")) keys.push(["id", -1]);
    const value = (img: Image, k: string): string | number => {
      const v = CORE.has(k) ? (img as unknown as Record<string, unknown>)[k] : img.properties[k];
      return typeof v === "number" ? v : String(v ?? "");
    };
    imgs.sort((a, b) => {
      for (const [k, d] of keys) {
        const x = value(a, k);
        const y = value(b, k);
        if (x < y) return -d;
        if (x > y) return d;
      }
      return 0;
    });
    const marker = q.get("marker");
    if (marker) {
      const i = imgs.findIndex((img) => img.id === marker);
      if (i < 0) throw badRequest(`Invalid marker. Image ${marker} could not be found.`);
      imgs = imgs.slice(i + 1);
    }
    const limitRaw = q.get("limit");
    const limit = Math.min(limitRaw === null ? 25 : Number(limitRaw), 1000);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest("limit param must be an integer");
    const body: Record<string, unknown> = { first: "/v2/images", schema: "/v2/schemas/images" };
    if (imgs.length > limit) {
      imgs = imgs.slice(0, limit);
      const next = new URLSearchParams(q);
      next.set("marker", imgs[imgs.length - 1].id);
      body.next = `/v2/images?${next.toString()}`;
    }
    if (q.toString())
      body.first = `/v2/images?${new URLSearchParams([...q].filter(([k]) => k !== "marker")).toString()}`;
    body.images = imgs.map((img) => this.view(img));
    return { status: 200, body };
  }

  private checkProperty(k: string, v: unknown): string {
    if (READ_ONLY.has(k)) throw forbidden(`Attribute '${k}' is read-only.`);
    if (typeof v !== "string")
      throw badRequest(
        `Provided object does not match schema 'image': ${JSON.stringify(v)} is not of type 'string'`,
      );
    return v;
  }

  private setField(img: Image, k: string, v: unknown, t: Token): void {
    switch (k) {
      case "name":
        if (v !== null && typeof v !== "string")
          throw badRequest(
            `Provided object does not match schema 'image': ${JSON.stringify(v)} is not of type 'string'`,
          );
        img.name = v as string | null;
        return;
      case "visibility":
        if (!["public", "private", "shared", "community"].includes(String(v)))
          throw badRequest(
            `Provided object does not match schema 'image': '${String(v)}' is not one of ['community', 'public', 'private', 'shared']`,
          );
        if (v === "public")
          throw forbidden("You are not authorized to complete publicize_image action.");
        img.visibility = v as Image["visibility"];
        return;
      case "protected":
      case "os_hidden":
        if (typeof v !== "boolean")
          throw badRequest(
            `Provided object does not match schema 'image': ${JSON.stringify(v)} is not of type 'boolean'`,
          );
        img[k] = v;
        return;
      case "disk_format":
      case "container_format": {
        const allowed = k === "disk_format" ? DISK_FORMATS : CONTAINER_FORMATS;
        if (!allowed.includes(String(v)))
          throw badRequest(`Invalid value '${String(v)}' for parameter '${k}': ${k}`);
        if (img.status !== "queued" && img[k] !== v)
          throw forbidden(`Attribute ${k} can be only replaced for a queued image.`);
        img[k] = v as string;
        return;
      }
      case "min_disk":
      case "min_ram":
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
          throw badRequest(
            `Provided object does not match schema 'image': ${JSON.stringify(v)} is not of type 'integer'`,
          );
        img[k] = v;
        return;
      case "tags":
        if (!Array.isArray(v))
          throw badRequest(
            "Provided object does not match schema 'image': tags is not of type 'array'",
          );
        img.tags = [...new Set(v.map(String))];
        return;
      case "id":
        throw forbidden("Attribute 'id' is read-only.");
      default:
        void t;
        img.properties[k] = this.checkProperty(k, v);
    }
  }

  private patch(ctx: Ctx, t: Token): Reply {
    const ct = ctx.header("content-type") ?? "";
    if (
      !ct.startsWith("application/openstack-images-v2.1-json-patch") &&
      !ct.startsWith("application/openstack-images-v2.0-json-patch")
    )
      throw new ApiError(
        415,
        `Invalid media type '${ct}' for PATCH. Expected: application/openstack-images-v2.1-json-patch`,
      );
    const img = this.findOwned(ctx.params.id, t, "modify");
    const ops = ctx.json<{ op: string; path: string; value?: unknown }[]>();
    if (!Array.isArray(ops))
      throw badRequest("Request body must be a JSON array of operation objects.");
    const draft: Image = JSON.parse(JSON.stringify(img)) as Image;
    for (const op of ops) {
      const key = String(op.path ?? "").replace(/^\//, "");
      if (!key) throw badRequest("Unable to find 'path' in JSON Schema change");
      switch (op.op) {
        case "add":
        case "replace":
          if (op.op === "replace" && !CORE.has(key) && !(key in draft.properties))
            throw conflict(`Property ${key} does not exist.`);
          if (key.startsWith("tags/")) draft.tags.push(String(op.value));
          else this.setField(draft, key, op.value, t);
          break;
        case "remove":
          if (READ_ONLY.has(key) || CORE.has(key))
            throw forbidden(`Attribute '${key}' is read-only.`);
          if (!(key in draft.properties)) throw conflict(`Property ${key} does not exist.`);
          delete draft.properties[key];
          break;
        default:
          throw badRequest(
            `Invalid operation: \`${op.op}\`. It must be one of the following: \`add\`, \`remove\`, \`replace\`.`,
          );
      }
    }
    Object.assign(img, draft, { updated_at: now() });
    this.c.store.save();
    return { status: 200, body: this.view(img) };
  }

  routes(r: Router, auth: (ctx: Ctx) => Token): void {
    const version = (id: string, status: string) => ({
      id,
      status,
      links: [{ rel: "self", href: `${this.c.baseUrl()}/image/v2/` }],
    });
    const versions = () => ({
      status: 300,
      body: {
        versions: [
          version("v2.16", "CURRENT"),
          ...["v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"].map(
            (v) => version(v, "SUPPORTED"),
          ),
        ],
      },
    });
    r.add("image", "GET", "/image", versions);
    r.add("image", "GET", "/image/versions", () => ({ ...versions(), status: 200 }));
    const v = "/image/v2";
    r.add("image", "GET", `${v}/images`, (ctx) => this.list(ctx, auth(ctx)));
    r.add("image", "GET", `${v}/images/:id`, (ctx) => ({
      status: 200,
      body: this.view(this.findVisible(ctx.params.id, auth(ctx))),
    }));
    r.add("image", "POST", `${v}/images`, (ctx) => {
      const t = auth(ctx);
      const body = ctx.json<Record<string, unknown>>();
      if (typeof body.id === "string" && this.r.images.some((i) => i.id === body.id))
        throw conflict(`Image with identifier ${body.id} already exists!`);
      const img = this.createRecord(t, { id: typeof body.id === "string" ? body.id : undefined });
      try {
        for (const [k, val] of Object.entries(body)) if (k !== "id") this.setField(img, k, val, t);
      } catch (e) {
        this.r.images = this.r.images.filter((i) => i !== img);
        throw e;
      }
      return {
        status: 201,
        body: this.view(img),
        headers: { Location: `${this.c.baseUrl()}/image/v2/images/${img.id}` },
      };
    });
    r.add("image", "PATCH", `${v}/images/:id`, (ctx) => this.patch(ctx, auth(ctx)));
    r.add("image", "DELETE", `${v}/images/:id`, async (ctx) => {
      const t = auth(ctx);
      const img = this.findOwned(ctx.params.id, t, "delete");
      if (img.protected) throw forbidden(`Image ${img.id} is protected and cannot be deleted.`);
      this.r.images = this.r.images.filter((i) => i !== img);
      this.r.members = this.r.members.filter((m) => m.image_id !== img.id);
      await this.c.disk.deleteImage(img.id);
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "PUT", `${v}/images/:id/file`, async (ctx) => {
      const t = auth(ctx);
      const img = this.findOwned(ctx.params.id, t, "upload data to");
      if (!img.disk_format || !img.container_format)
        throw badRequest(
          "Properties disk_format, container_format must be set prior to saving data.",
        );
      if (img.status !== "queued")
        throw conflict(`Image status transition from ${img.status} to saving is not allowed`);
      img.status = "saving";
      writeFileSync(this.c.disk.imageFile(img.id), ctx.raw);
      const info = await describe(this.c.disk.imageFile(img.id));
      Object.assign(img, info, { status: "active", virtual_size: info.size, updated_at: now() });
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "GET", `${v}/images/:id/file`, (ctx) => {
      const img = this.findVisible(ctx.params.id, auth(ctx));
      if (img.status !== "active" || !this.c.disk.hasImageData(img.id)) return { status: 204 };
      return {
        status: 200,
        body: createReadStream(this.c.disk.imageFile(img.id)),
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-MD5": img.checksum ?? "",
          "Content-Length": String(img.size ?? 0),
        },
      };
    });
    r.add("image", "PUT", `${v}/images/:id/tags/:tag`, (ctx) => {
      const img = this.findOwned(ctx.params.id, auth(ctx), "modify");
      if (!img.tags.includes(ctx.params.tag)) img.tags.push(ctx.params.tag);
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "DELETE", `${v}/images/:id/tags/:tag`, (ctx) => {
      const img = this.findOwned(ctx.params.id, auth(ctx), "modify");
      if (!img.tags.includes(ctx.params.tag)) throw notFound(`Tag ${ctx.params.tag} not found`);
      img.tags = img.tags.filter((x) => x !== ctx.params.tag);
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "POST", `${v}/images/:id/actions/deactivate`, (ctx) => {
      const img = this.findOwned(ctx.params.id, auth(ctx), "deactivate");
      if (img.status === "active") img.status = "deactivated";
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "POST", `${v}/images/:id/actions/reactivate`, (ctx) => {
      const img = this.findOwned(ctx.params.id, auth(ctx), "reactivate");
      if (img.status === "deactivated") img.status = "active";
      this.c.store.save();
      return { status: 204 };
    });

    // members
    const findMember = (img: Image, memberId: string): Member => {
      const m = this.r.members.find((x) => x.image_id === img.id && x.member_id === memberId);
      if (!m) throw notFound(`${memberId} is not a member of image ${img.id}`);
      return m;
    };
    r.add("image", "GET", `${v}/images/:id/members`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.visibility !== "shared") throw forbidden("Only shared images have members.");
      const members = this.r.members.filter(
        (m) =>
          m.image_id === img.id && (img.owner === t.project.id || m.member_id === t.project.id),
      );
      return {
        status: 200,
        body: { members: members.map((m) => this.memberView(m)), schema: "/v2/schemas/members" },
      };
    });
    r.add("image", "POST", `${v}/images/:id/members`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.owner !== t.project.id)
        throw forbidden("You are not permitted to create image members for the image.");
      if (img.visibility !== "shared") throw forbidden("Only shared images have members.");
      const memberId = ctx.json<{ member?: string }>().member;
      if (!memberId) throw badRequest("Member to be added not specified");
      if (this.r.members.some((m) => m.image_id === img.id && m.member_id === memberId))
        throw conflict(`The target member ${memberId} is already associated with image ${img.id}.`);
      const t0 = now();
      const m: Member = {
        image_id: img.id,
        member_id: memberId,
        status: "pending",
        created_at: t0,
        updated_at: t0,
      };
      this.r.members.push(m);
      this.c.store.save();
      return { status: 200, body: this.memberView(m) };
    });
    r.add("image", "GET", `${v}/images/:id/members/:member`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.owner !== t.project.id && ctx.params.member !== t.project.id)
        throw notFound(`${ctx.params.member} is not a member of image ${img.id}`);
      return { status: 200, body: this.memberView(findMember(img, ctx.params.member)) };
    });
    r.add("image", "PUT", `${v}/images/:id/members/:member`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      const m = findMember(img, ctx.params.member);
      if (m.member_id !== t.project.id)
        throw forbidden("You are not permitted to modify 'status' on this image member.");
      const status = ctx.json<{ status?: string }>().status;
      if (status !== "accepted" && status !== "rejected" && status !== "pending")
        throw badRequest(
          `Provided object does not match schema 'member': '${String(status)}' is not one of ['pending', 'accepted', 'rejected']`,
        );
      m.status = status;
      m.updated_at = now();
      this.c.store.save();
      return { status: 200, body: this.memberView(m) };
    });
    r.add("image", "DELETE", `${v}/images/:id/members/:member`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.owner !== t.project.id)
        throw forbidden("You are not permitted to delete image members for the image.");
      const m = findMember(img, ctx.params.member);
      this.r.members = this.r.members.filter((x) => x !== m);
      this.c.store.save();
      return { status: 204 };
    });

    // schemas (glanceclient and some SDK calls read them)
    const schema = (name: string) => ({
      name,
      properties: {
        id: { type: "string" },
        name: { type: ["null", "string"] },
        status: { type: "string" },
        visibility: { type: "string", enum: ["community", "public", "private", "shared"] },
      },
      additionalProperties: { type: "string" },
      links: [],
    });
    r.add("image", "GET", `${v}/schemas/image`, () => ({ status: 200, body: schema("image") }));
    r.add("image", "GET", `${v}/schemas/images`, () => ({
      status: 200,
      body: {
        name: "images",
        properties: { images: { items: schema("image"), type: "array" } },
        links: [],
      },
    }));
    r.add("image", "GET", `${v}/schemas/member`, () => ({
      status: 200,
      body: {
        name: "member",
        properties: { status: { type: "string", enum: ["pending", "accepted", "rejected"] } },
      },
    }));
    r.add("image", "GET", `${v}/schemas/members`, () => ({
      status: 200,
      body: { name: "members", properties: {} },
    }));
    r.add("image", "GET", `${v}/info/stores`, (ctx) => {
      auth(ctx);
      return { status: 200, body: { stores: [{ id: "file", default: true }] } };
    });
    r.add("image", "GET", `${v}/info/import`, (ctx) => {
      auth(ctx);
      return {
        status: 200,
        body: {
          "import-methods": {
            description: "Import methods available.",
            type: "array",
            value: ["glance-direct"],
          },
        },
      };
    });
  }
}
