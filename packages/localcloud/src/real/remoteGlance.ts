// What localcloud's Nova and Cinder need of the real Glance, as their real
// counterparts do it through Glance's API with the caller's token: an image's
// record and data (a local copy, for booting and for volumes), and a new image
// with data from a volume (Cinder's upload-to-image).
import { createReadStream, existsSync, statSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import type { DiskStore } from "../diskStore";
import { CORE_ATTRIBUTES } from "../glance/imageFields";
import type { Token } from "../keystone";
import { now, type Image, type Records } from "../state";

/** The fields of Glance's image view that are not properties: the attributes and the view's links. */
const CORE_FIELDS = new Set([
  ...CORE_ATTRIBUTES,
  "self",
  "file",
  "schema",
  "direct_url",
  "locations",
  "stores",
]);

/** localcloud's record of an image from Glance's view of it. */
export function recordFromView(view: Record<string, unknown>): Image {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(view))
    if (!CORE_FIELDS.has(key) && typeof value === "string") properties[key] = value;
  const str = (key: string) => (typeof view[key] === "string" ? (view[key] as string) : null);
  const num = (key: string) => (typeof view[key] === "number" ? (view[key] as number) : null);
  return {
    id: String(view.id),
    name: str("name"),
    status: String(view.status) as Image["status"],
    visibility: String(view.visibility) as Image["visibility"],
    protected: view.protected === true,
    os_hidden: view.os_hidden === true,
    owner: String(view.owner),
    disk_format: str("disk_format"),
    container_format: str("container_format"),
    min_disk: num("min_disk") ?? 0,
    min_ram: num("min_ram") ?? 0,
    size: num("size"),
    virtual_size: num("virtual_size"),
    checksum: str("checksum"),
    os_hash_algo: str("os_hash_algo"),
    os_hash_value: str("os_hash_value"),
    tags: Array.isArray(view.tags) ? (view.tags as string[]) : [],
    properties,
    created_at: str("created_at") ?? now(),
    updated_at: str("updated_at") ?? now(),
  };
}

/** The image ids a compute or volume request names (boot image, block device mappings, volume source). */
export function imageIdsOfRequest(body: unknown): string[] {
  const ids: string[] = [];
  if (!body || typeof body !== "object") return ids;
  const b = body as {
    server?: {
      imageRef?: unknown;
      block_device_mapping_v2?: { source_type?: unknown; uuid?: unknown }[];
    };
    volume?: { imageRef?: unknown };
  };
  const ref = b.server?.imageRef;
  if (typeof ref === "string" && ref) ids.push(ref.split("/").pop() ?? ref);
  for (const m of b.server?.block_device_mapping_v2 ?? [])
    if (m?.source_type === "image" && typeof m.uuid === "string") ids.push(m.uuid);
  if (typeof b.volume?.imageRef === "string" && b.volume.imageRef) ids.push(b.volume.imageRef);
  return [...new Set(ids)];
}

export class RemoteGlance {
  constructor(
    /** http://127.0.0.1:PORT (the API under /v2). */
    readonly url: string,
    private records: () => Records,
    private disk: DiskStore,
    private log: (line: string) => void,
  ) {}

  private async api(
    method: string,
    path: string,
    token: string,
    init: { body?: unknown; raw?: NodeJS.ReadableStream; size?: number; patch?: boolean } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { "X-Auth-Token": token };
    let body: RequestInit["body"];
    if (init.raw) {
      headers["Content-Type"] = "application/octet-stream";
      if (init.size !== undefined) headers["Content-Length"] = String(init.size);
      body = init.raw as unknown as RequestInit["body"];
    } else if (init.body !== undefined) {
      headers["Content-Type"] = init.patch
        ? "application/openstack-images-v2.1-json-patch"
        : "application/json";
      body = JSON.stringify(init.body);
    }
    return fetch(`${this.url}/v2${path}`, {
      method,
      headers,
      body,
      ...(init.raw ? { duplex: "half" } : {}),
    } as RequestInit);
  }

  /**
   * Brings the images a request names into localcloud's records as this token
   * sees them in Glance (removed when Glance does not show it to the token),
   * with their data when active.
   */
  async mirror(ids: string[], token: Token): Promise<void> {
    for (const id of ids) {
      const res = await this.api("GET", `/images/${encodeURIComponent(id)}`, token.id);
      const records = this.records();
      const at = records.images.findIndex((i) => i.id === id);
      if (res.status !== 200) {
        await res.text();
        // not visible to this token: localcloud must not see it either
        records.members = records.members.filter(
          (m) => !(m.image_id === id && m.member_id === token.project.id),
        );
        continue;
      }
      const image = recordFromView((await res.json()) as Record<string, unknown>);
      if (at >= 0) records.images[at] = image;
      else records.images.push(image);
      // Glance showed it to this project: a member of a shared image, as far as localcloud cares
      if (
        image.owner !== token.project.id &&
        image.visibility === "shared" &&
        !records.members.some((m) => m.image_id === id && m.member_id === token.project.id)
      )
        records.members.push({
          image_id: id,
          member_id: token.project.id,
          status: "accepted",
          created_at: now(),
          updated_at: now(),
        });
      if (image.status === "active") await this.fetchData(image, token);
    }
  }

  /** The image's data in localcloud's disk store (downloaded unless a copy of that size is there). */
  private async fetchData(image: Image, token: Token): Promise<void> {
    const file = this.disk.imageFile(image.id);
    if (existsSync(file) && statSync(file).size === image.size) return;
    const res = await this.api("GET", `/images/${image.id}/file`, token.id);
    if (res.status !== 200 || !res.body) {
      await res.text();
      throw new Error(`Glance image ${image.id} data: ${res.status}`);
    }
    const tmp = `${file}.download`;
    await writeFile(tmp, res.body as unknown as NodeJS.ReadableStream);
    await rename(tmp, file);
    this.log(`image ${image.id}: data copied from Glance`);
  }

  /** Creates an image in Glance as the token's project; returns Glance's view as a record. */
  async create(token: string, fields: Record<string, unknown>): Promise<Image> {
    const res = await this.api("POST", "/images", token, { body: fields });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 201)
      throw new Error(`Glance image create: ${res.status} ${JSON.stringify(body)}`);
    return recordFromView(body);
  }

  /** Uploads a data file into a queued image. */
  async upload(token: string, id: string, file: string): Promise<void> {
    const res = await this.api("PUT", `/images/${id}/file`, token, {
      raw: createReadStream(file),
      size: statSync(file).size,
    });
    const text = await res.text();
    if (res.status !== 204) throw new Error(`Glance image ${id} upload: ${res.status} ${text}`);
  }

  /** The image by name as the token sees it, if any. */
  async findByName(token: string, name: string): Promise<Image | undefined> {
    const res = await this.api("GET", `/images?name=${encodeURIComponent(name)}`, token);
    const body = (await res.json()) as { images?: Record<string, unknown>[] };
    const first = body.images?.[0];
    return first ? recordFromView(first) : undefined;
  }

  /** A record of Glance's current view of an image (admin or owner token). */
  async show(token: string, id: string): Promise<Image | undefined> {
    const res = await this.api("GET", `/images/${id}`, token);
    if (res.status !== 200) {
      await res.text();
      return undefined;
    }
    return recordFromView((await res.json()) as Record<string, unknown>);
  }
}
