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
const MEMBER_STATUSES = ["pending", "accepted", "rejected", "all"];
const VISIBILITIES = ["community", "public", "private", "shared", "all"];
const SORT_KEYS = [
  "name",
  "status",
  "container_format",
  "disk_format",
  "size",
  "id",
  "created_at",
  "updated_at",
];
/** Query parameters of GET /v2/images that are not filters on a column or property. */
const NOT_FILTERS = new Set([
  "limit",
  "marker",
  "member_status",
  "visibility",
  "os_hidden",
  "tag",
  "sort",
  "sort_key",
  "sort_dir",
]);
/** Columns filtered with an optional `eq:` or `in:` operator. */
const OPERATOR_COLUMNS = new Set(["name", "id", "status", "container_format", "disk_format"]);
/** Other columns of Glance's images table: filtered by equality, not as properties. */
const EQUALITY_COLUMNS = new Set([
  "owner",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "size",
  "virtual_size",
  "min_disk",
  "min_ram",
]);
const RANGE_COLUMNS = new Set(["size", "virtual_size", "min_disk", "min_ram"]);
/** Glance's default image_member_quota and image_tag_quota. */
const MEMBER_QUOTA = 128;
const TAG_QUOTA = 128;

function parseLimit(raw: string | null): number {
  if (raw === null) return 25;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw badRequest("limit param must be an integer");
  const limit = Number(raw);
  if (limit < 0) throw badRequest("limit param must be positive");
  return Math.min(limit, 1000);
}

/**
 * Sort keys and directions (1 asc, -1 desc) from `sort=k:dir,...` or `sort_key`/`sort_dir`,
 * then `created_at` and `id` as tie-breakers in the single direction given (else desc).
 */
function sorting(q: URLSearchParams): [string, number][] {
  const keys: string[] = [];
  const dirs: string[] = [];
  const key = (k: string) => {
    if (!SORT_KEYS.includes(k))
      throw badRequest(
        `Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(", ")}.`,
      );
    return k;
  };
  const dir = (d: string) => {
    if (d !== "asc" && d !== "desc") throw badRequest(`Invalid sort direction: ${d}`);
    return d;
  };
  const sort = q.get("sort");
  if (sort !== null) {
    if (q.has("sort_key") || q.has("sort_dir"))
      throw badRequest("Old and new sorting syntax cannot be combined");
    for (const part of sort.trim().split(",")) {
      const i = part.indexOf(":");
      keys.push(key((i < 0 ? part : part.slice(0, i)).trim()));
      dirs.push(dir(i < 0 ? "desc" : part.slice(i + 1).trim() || "desc"));
    }
  } else {
    for (const k of q.getAll("sort_key")) keys.push(key(k.trim()));
    for (const d of q.getAll("sort_dir")) dirs.push(dir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length)
      throw badRequest("Number of sort dirs does not match the number of sort keys");
  }
  if (keys.length === 0) keys.push("created_at");
  if (dirs.length === 0) dirs.push("desc");
  const fallback = dirs.length === 1 ? dirs[0] : "desc";
  while (dirs.length < keys.length) dirs.push(fallback);
  for (const k of ["created_at", "id"])
    if (!keys.includes(k)) {
      keys.push(k);
      dirs.push(fallback);
    }
  return keys.map((k, i) => [k, dirs[i] === "asc" ? 1 : -1]);
}

type SortValue = string | number | null;

function sortValue(img: Image, k: string): SortValue {
  const v = (img as unknown as Record<string, unknown>)[k];
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : String(v);
}

/** NULL first, as the database orders it ascending. */
function compareValues(x: SortValue, y: SortValue): number {
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

/** Milliseconds of an ISO 8601 time (UTC when it has no offset), or NaN. */
function parseTime(s: string): number {
  if (!ISO_TIME.test(s)) return NaN;
  const hasZone = /T.*(Z|[+-]\d{2}(:?\d{2})?)$/i.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s);
  return Date.parse(hasZone ? s : `${s}Z`);
}

/** `op:value` → [op, value]; no operator (or a bare ISO 8601 time) means `eq`. */
function splitFilterOp(expr: string): [string, string] {
  const i = expr.indexOf(":");
  if (i < 0 || !Number.isNaN(parseTime(expr))) return ["eq", expr];
  return [expr.slice(0, i), expr.slice(i + 1)];
}

/** The values of `in:a,"b,c",d`: comma-separated, double quotes protect commas. */
function splitInList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (value[i] === '"') {
      let j = i + 1;
      let cur = "";
      while (j < value.length && value[j] !== '"') {
        const step = value[j] === "\\" && j + 1 < value.length ? 2 : 1;
        cur += value.slice(j, j + step);
        j += step;
      }
      if (j >= value.length)
        throw badRequest(`Invalid filter value ${value}. The quote is not closed.`);
      j++;
      if (j < value.length && value[j] !== ",")
        throw badRequest(
          `Invalid filter value ${value}. There is no comma after closing quotation mark.`,
        );
      out.push(cur);
      i = j + 1;
    } else {
      const k = value.indexOf(",", i);
      const part = k < 0 ? value.slice(i) : value.slice(i, k);
      if (part.includes('"'))
        throw badRequest(
          `Invalid filter value ${value}. There is no comma before opening quotation mark.`,
        );
      out.push(part);
      i = k < 0 ? value.length : k + 1;
    }
  }
  return out;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  neq: (a, b) => a !== b,
  eq: (a, b) => a === b,
};

/** The predicate of one list filter `k=v` that is not a visibility, tag or paging parameter. */
function filterFor(k: string, v: string): (img: Image) => boolean {
  if (k === "protected") {
    if (v !== "true" && v !== "false")
      throw badRequest(
        `Invalid value '${v}' for 'protected' filter. Valid values are 'true' or 'false'.`,
      );
    return (img) => img.protected === (v === "true");
  }
  if (k.endsWith("_min") || k.endsWith("_max")) {
    const col = k.slice(0, -4);
    if (!/^\s*[+-]?\d+\s*$/.test(v))
      throw badRequest("Unable to filter on a range with a non-numeric value.");
    if (!RANGE_COLUMNS.has(col)) throw badRequest(`Unable to filter on a range of '${col}'.`);
    const n = Number(v);
    const get = (img: Image) => img[col as "size"];
    return k.endsWith("_min")
      ? (img) => get(img) !== null && get(img)! >= n
      : (img) => get(img) !== null && get(img)! <= n;
  }
  if (k === "created_at" || k === "updated_at") {
    const [op, time] = splitFilterOp(v);
    const threshold = parseTime(time);
    if (Number.isNaN(threshold))
      throw badRequest(`Bad "${k}" query filter format. Use ISO 8601 DateTime notation.`);
    const test = Object.hasOwn(COMPARE, op) ? COMPARE[op] : undefined;
    if (!test) throw badRequest("Unable to filter on a unknown operator.");
    return (img) => test(Date.parse(img[k]), threshold);
  }
  if (OPERATOR_COLUMNS.has(k)) {
    const [op, value] = splitFilterOp(v);
    const col = k as "name" | "id" | "status" | "container_format" | "disk_format";
    if (op === "in") {
      const values = splitInList(value);
      return (img) => img[col] !== null && values.includes(img[col]!);
    }
    if (op === "eq") return (img) => img[col] === value;
    throw badRequest(`Unable to filter by unknown operator '${op}'.`);
  }
  if (EQUALITY_COLUMNS.has(k)) {
    const col = k as "owner" | "checksum" | "size";
    return (img) => img[col] !== null && String(img[col]) === v;
  }
  return (img) => img.properties[k] === v;
}

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

  /** An image the project owns: 404 when it cannot see it, else 403 (`message`) unless it owns it. */
  private findOwned(id: string, t: Token, message: string): Image {
    const img = this.findVisible(id, t);
    if (img.owner !== t.project.id) throw forbidden(message);
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

  /**
   * GET /v2/images as Glance's API and database layers do it: the images the project
   * may list (its own, public and community ones, and shared ones whose membership
   * has `member_status`, default `accepted`), narrowed by `visibility` (without it,
   * only its own community images), `os_hidden` (default false), the columns, `tag`s
   * and any property `key=value`; sorted, then paged by `marker`/`limit`.
   */
  private list(ctx: Ctx, t: Token): Reply {
    const q = ctx.query;
    const me = t.project.id;
    const memberStatus = q.get("member_status") ?? "accepted";
    if (!MEMBER_STATUSES.includes(memberStatus))
      throw badRequest(`Invalid status: ${memberStatus}`);
    const visibility = q.get("visibility");
    if (visibility && !VISIBILITIES.includes(visibility))
      throw badRequest(`Invalid visibility value: ${visibility}`);
    if (q.has("changes-since"))
      throw badRequest('The "changes-since" filter is no longer available on v2.');
    const limit = parseLimit(q.get("limit"));
    const order = sorting(q);
    const osHidden = (q.get("os_hidden") ?? "false").toLowerCase();
    if (osHidden !== "true" && osHidden !== "false")
      throw badRequest(
        `Invalid value '${osHidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`,
      );
    const membership = (img: Image) =>
      this.r.members.find((m) => m.image_id === img.id && m.member_id === me);
    let imgs = this.r.images.filter((img) => {
      // Glance lists neither deleted nor killed images
      if (img.status === "deleted" || img.status === "killed") return false;
      if (img.os_hidden !== (osHidden === "true")) return false;
      const m = img.visibility === "shared" ? membership(img) : undefined;
      const reachable =
        img.owner === me ||
        img.visibility === "public" ||
        img.visibility === "community" ||
        (m !== undefined && (memberStatus === "all" || m.status === memberStatus));
      if (!reachable) return false;
      if (visibility !== null) return visibility === "all" || img.visibility === visibility;
      return img.owner === me || img.visibility !== "community";
    });
    for (const [k, v] of q) {
      if (NOT_FILTERS.has(k)) continue;
      const keep = filterFor(k, v);
      imgs = imgs.filter(keep);
    }
    for (const tag of q.getAll("tag").map((x) => x.trim()))
      imgs = imgs.filter((img) => img.tags.includes(tag));
    const cmp = (a: Image, b: Image) => {
      for (const [k, d] of order) {
        const c = compareValues(sortValue(a, k), sortValue(b, k));
        if (c !== 0) return c * d;
      }
      return 0;
    };
    imgs.sort(cmp);
    const marker = q.get("marker");
    if (marker !== null) {
      const m = this.r.images.find((i) => i.id === marker && this.c.canSeeImage(i, t));
      if (!m) throw badRequest(`Invalid marker. Image ${marker} could not be found.`);
      // the page after the marker in this order, as Glance's paginate_query does it
      imgs = imgs.filter((img) => cmp(img, m) > 0);
    }
    imgs = imgs.slice(0, limit);
    const body: Record<string, unknown> = {
      images: imgs.map((img) => this.view(img)),
      first: "/v2/images",
      schema: "/v2/schemas/images",
    };
    const rest = new URLSearchParams([...q].filter(([k]) => k !== "marker"));
    if (rest.toString()) body.first = `/v2/images?${rest.toString()}`;
    // Glance links a next page whenever this one is full (which may then be empty)
    if (imgs.length > 0 && imgs.length === limit) {
      rest.set("marker", imgs[imgs.length - 1].id);
      body.next = `/v2/images?${rest.toString()}`;
    }
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
    const img = this.findOwned(
      ctx.params.id,
      t,
      "You are not authorized to complete modify_image action.",
    );
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

  /**
   * Image members as Glance's image_members controller and default policies have them:
   * only `shared` images have members; the owner adds and removes them and sees them
   * all; a member sees (and sets the status of) its own membership only.
   */
  private memberRoutes(r: Router, auth: (ctx: Ctx) => Token): void {
    const v = "/image/v2";
    const ONLY_SHARED = "Only shared images have members.";
    const visibleMembers = (img: Image, t: Token) =>
      this.r.members.filter(
        (m) =>
          m.image_id === img.id && (img.owner === t.project.id || m.member_id === t.project.id),
      );
    const lookup = (img: Image, t: Token, memberId: string): Member => {
      const m = visibleMembers(img, t).find((x) => x.member_id === memberId);
      if (!m) throw notFound(`${memberId} not found in the member list of the image ${img.id}.`);
      return m;
    };
    const body = (ctx: Ctx, expected: string): Record<string, unknown> => {
      if (ctx.raw.length === 0) throw badRequest("Body expected in request.");
      const b = ctx.json<unknown>();
      if (typeof b !== "object" || b === null || Array.isArray(b)) throw badRequest(expected);
      return b as Record<string, unknown>;
    };
    r.add("image", "GET", `${v}/images/:id/members`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.visibility !== "shared")
        throw forbidden(`Not allowed to list members for image ${img.id}: ${ONLY_SHARED}`);
      return {
        status: 200,
        body: {
          members: visibleMembers(img, t).map((m) => this.memberView(m)),
          schema: "/v2/schemas/members",
        },
      };
    });
    r.add("image", "POST", `${v}/images/:id/members`, (ctx) => {
      const t = auth(ctx);
      const b = body(ctx, 'Expected a member in the form: {"member": "image_id"}');
      if (!("member" in b)) throw badRequest("Member to be added not specified");
      if (!b.member) throw badRequest("Member can't be empty");
      if (typeof b.member !== "string")
        throw badRequest('Expected a member in the form: {"member": "image_id"}');
      const memberId = b.member;
      const img = this.findVisible(ctx.params.id, t);
      if (img.visibility !== "shared")
        throw forbidden(`Not allowed to create members for image ${img.id}: ${ONLY_SHARED}`);
      if (img.owner !== t.project.id)
        throw forbidden(`Not allowed to create members for image ${img.id}.`);
      const current = this.r.members.filter((m) => m.image_id === img.id);
      if (current.some((m) => m.member_id === memberId))
        throw conflict(`Member ${memberId} is duplicated for image ${img.id}`);
      if (current.length >= MEMBER_QUOTA)
        throw new ApiError(
          413,
          `Image member limit exceeded for image ${img.id}: Maximum number of image members exceeded (${MEMBER_QUOTA}).`,
        );
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
      // Glance turns every refusal here into 404, not to tell who else is a member
      if (img.visibility !== "shared") throw notFound(ONLY_SHARED);
      return { status: 200, body: this.memberView(lookup(img, t, ctx.params.member)) };
    });
    r.add("image", "PUT", `${v}/images/:id/members/:member`, (ctx) => {
      const t = auth(ctx);
      const b = body(ctx, 'Expected a status in the form: {"status": "status"}');
      if (!("status" in b)) throw badRequest("Status not specified");
      const img = this.findVisible(ctx.params.id, t);
      if (img.visibility !== "shared")
        throw forbidden(`Not allowed to update members for image ${img.id}: ${ONLY_SHARED}`);
      // only the member itself may accept, reject or reset its membership
      if (img.owner === t.project.id)
        throw forbidden(`Not allowed to update members for image ${img.id}.`);
      const m = lookup(img, t, ctx.params.member);
      const status = b.status;
      if (status !== "accepted" && status !== "rejected" && status !== "pending")
        throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
      m.status = status;
      m.updated_at = now();
      this.c.store.save();
      return { status: 200, body: this.memberView(m) };
    });
    r.add("image", "DELETE", `${v}/images/:id/members/:member`, (ctx) => {
      const t = auth(ctx);
      const img = this.findVisible(ctx.params.id, t);
      if (img.visibility !== "shared")
        throw forbidden(`Not allowed to delete members for image ${img.id}: ${ONLY_SHARED}`);
      if (img.owner !== t.project.id)
        throw forbidden(`Not allowed to delete members for image ${img.id}.`);
      const m = lookup(img, t, ctx.params.member);
      this.r.members = this.r.members.filter((x) => x !== m);
      this.c.store.save();
      return { status: 204 };
    });
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
      if (typeof body !== "object" || body === null || Array.isArray(body))
        throw badRequest("Request body must be a JSON object.");
      if (typeof body.id === "string" && this.r.images.some((i) => i.id === body.id))
        throw conflict(`Image with identifier ${body.id} already exists!`);
      // a project member may name its own project as the owner, nobody else's
      if ("owner" in body && body.owner !== t.project.id)
        throw forbidden("You are not authorized to complete add_image action.");
      const img = this.createRecord(t, { id: typeof body.id === "string" ? body.id : undefined });
      try {
        for (const [k, val] of Object.entries(body))
          if (k !== "id" && k !== "owner") this.setField(img, k, val, t);
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
      const img = this.findOwned(
        ctx.params.id,
        t,
        "You are not authorized to complete delete_image action.",
      );
      if (img.protected) throw forbidden(`Image ${img.id} is protected and cannot be deleted.`);
      this.r.images = this.r.images.filter((i) => i !== img);
      this.r.members = this.r.members.filter((m) => m.image_id !== img.id);
      await this.c.disk.deleteImage(img.id);
      this.c.store.save();
      return { status: 204 };
    });

    // image data
    r.add("image", "PUT", `${v}/images/:id/file`, async (ctx) => {
      const t = auth(ctx);
      const ct = (ctx.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
      if (ct !== "application/octet-stream")
        throw new ApiError(415, `Invalid content type ${ct || "None"}`);
      const img = this.findOwned(
        ctx.params.id,
        t,
        `Not allowed to upload image data for image ${ctx.params.id}`,
      );
      if (img.status !== "queued")
        throw conflict(`Image status transition from ${img.status} to saving is not allowed`);
      if (!img.disk_format || !img.container_format)
        throw badRequest(
          "Properties disk_format, container_format must be set prior to saving data.",
        );
      img.status = "saving";
      writeFileSync(this.c.disk.imageFile(img.id), ctx.raw);
      const info = await describe(this.c.disk.imageFile(img.id));
      Object.assign(img, info, { virtual_size: info.size, updated_at: now() });
      if (Faults.matches(this.c.faults.stuckImages, img.id, img.name))
        this.c.log(`image ${img.id}: stays in saving (fault)`);
      else img.status = "active";
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "GET", `${v}/images/:id/file`, (ctx) => {
      const img = this.findVisible(ctx.params.id, auth(ctx));
      if (img.status === "deactivated")
        throw forbidden(
          "The requested image has been deactivated. Image data download is forbidden.",
        );
      // no data yet (queued, saving): 204, as Glance answers when the store has nothing
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

    // tags
    r.add("image", "PUT", `${v}/images/:id/tags/:tag`, (ctx) => {
      const tag = ctx.params.tag;
      if (tag.length > 255)
        throw badRequest(`Provided object does not match schema 'image': '${tag}' is too long`);
      const img = this.findOwned(
        ctx.params.id,
        auth(ctx),
        `Not allowed to update tags for image ${ctx.params.id}.`,
      );
      if (!img.tags.includes(tag)) {
        if (img.tags.length >= TAG_QUOTA)
          throw new ApiError(
            413,
            `Image tag limit exceeded for image ${img.id}: Maximum number of tags exceeded (${TAG_QUOTA}).`,
          );
        img.tags.push(tag);
        img.updated_at = now();
        this.c.store.save();
      }
      return { status: 204 };
    });
    r.add("image", "DELETE", `${v}/images/:id/tags/:tag`, (ctx) => {
      const img = this.findOwned(
        ctx.params.id,
        auth(ctx),
        `Not allowed to delete tags for image ${ctx.params.id}.`,
      );
      if (!img.tags.includes(ctx.params.tag)) throw notFound(`Tag ${ctx.params.tag} not found`);
      img.tags = img.tags.filter((x) => x !== ctx.params.tag);
      img.updated_at = now();
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "POST", `${v}/images/:id/actions/deactivate`, (ctx) => {
      const img = this.findOwned(
        ctx.params.id,
        auth(ctx),
        "You are not authorized to complete deactivate action.",
      );
      if (img.status === "active") img.status = "deactivated";
      this.c.store.save();
      return { status: 204 };
    });
    r.add("image", "POST", `${v}/images/:id/actions/reactivate`, (ctx) => {
      const img = this.findOwned(
        ctx.params.id,
        auth(ctx),
        "You are not authorized to complete reactivate action.",
      );
      if (img.status === "deactivated") img.status = "active";
      this.c.store.save();
      return { status: 204 };
    });

    this.memberRoutes(r, auth);

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
