import { pollPause } from "./poll";
import { ignoreNotFound, OpenStackClient, OpenStackError } from "./client";

export interface GlanceImage {
  id: string;
  name: string;
  status: string;
  visibility: string;
  disk_format?: string;
  size?: number;
  [property: string]: unknown;
}

export interface ImageMember {
  image_id: string;
  member_id: string;
  status: "pending" | "accepted" | "rejected";
}

export type JsonPatchOp =
  { op: "add" | "replace"; path: string; value: string } | { op: "remove"; path: string };

/**
 * JSON-patch operations that take `current` to the wanted properties and
 * visibility; Glance rejects `replace` of an absent key and `remove` of one.
 */
export function imagePatchOps(
  current: Record<string, unknown>,
  set: Record<string, string>,
  remove: string[],
  visibility?: string,
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const [key, value] of Object.entries(set)) {
    if (current[key] === value) continue;
    ops.push({ op: key in current ? "replace" : "add", path: `/${key}`, value });
  }
  for (const key of remove) {
    if (key in current && !(key in set)) ops.push({ op: "remove", path: `/${key}` });
  }
  if (visibility && current.visibility !== visibility) {
    ops.push({ op: "replace", path: "/visibility", value: visibility });
  }
  return ops;
}

export class ImageService {
  constructor(private readonly client: OpenStackClient) {}

  async get(id: string): Promise<GlanceImage | undefined> {
    try {
      return await this.client.request<GlanceImage>(
        "image",
        "GET",
        `/images/${encodeURIComponent(id)}`,
      );
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  async update(
    id: string,
    set: Record<string, string>,
    remove: string[],
    visibility?: string,
  ): Promise<GlanceImage> {
    const current = await this.get(id);
    if (!current) throw new Error(`image ${id} disappeared before its properties could be set`);
    const ops = imagePatchOps(current, set, remove, visibility);
    if (ops.length === 0) return current;
    return this.client.request<GlanceImage>(
      "image",
      "PATCH",
      `/images/${encodeURIComponent(id)}`,
      ops,
      "application/openstack-images-v2.1-json-patch",
    );
  }

  /** Every image with all of `filters` (Glance filters on any property), newest first. */
  async list(filters: Record<string, string>): Promise<GlanceImage[]> {
    const images: GlanceImage[] = [];
    const query = (marker?: string) =>
      [
        ...Object.entries(filters).map(
          ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
        ),
        "sort=created_at:desc",
        "limit=100",
        ...(marker ? [`marker=${encodeURIComponent(marker)}`] : []),
      ].join("&");
    let marker: string | undefined;
    for (;;) {
      const page = await this.client.request<{ images: GlanceImage[]; next?: string }>(
        "image",
        "GET",
        `/images?${query(marker)}`,
      );
      images.push(...page.images);
      marker = page.images[page.images.length - 1]?.id;
      if (!page.next || !marker) return images;
    }
  }

  async addTag(id: string, tag: string): Promise<void> {
    await this.client.request(
      "image",
      "PUT",
      `/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
    );
  }

  async removeTag(id: string, tag: string): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request(
        "image",
        "DELETE",
        `/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
      ),
    );
  }

  async members(id: string): Promise<ImageMember[]> {
    const res = await this.client.request<{ members: ImageMember[] }>(
      "image",
      "GET",
      `/images/${encodeURIComponent(id)}/members`,
    );
    return res.members;
  }

  /** Shares the image with a project (the owner's call); an existing membership is kept. */
  async addMember(id: string, projectId: string): Promise<void> {
    try {
      await this.client.request("image", "POST", `/images/${encodeURIComponent(id)}/members`, {
        member: projectId,
      });
    } catch (err) {
      if (!(err instanceof OpenStackError && err.status === 409)) throw err;
    }
  }

  /** Accepts (or rejects) a shared image: the member project's call. */
  async setMemberStatus(
    id: string,
    projectId: string,
    status: "accepted" | "rejected" | "pending",
  ): Promise<void> {
    await this.client.request(
      "image",
      "PUT",
      `/images/${encodeURIComponent(id)}/members/${encodeURIComponent(projectId)}`,
      { status },
    );
  }

  /** Stops sharing the image with a project; the image itself stays. */
  async removeMember(id: string, projectId: string): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request(
        "image",
        "DELETE",
        `/images/${encodeURIComponent(id)}/members/${encodeURIComponent(projectId)}`,
      ),
    );
  }

  /** A new, empty (`queued`) image with the given attributes and properties. */
  async create(attributes: Record<string, unknown>): Promise<GlanceImage> {
    return this.client.request<GlanceImage>("image", "POST", "/images", attributes);
  }

  /** The image's data as a stream (for copying it into another project). */
  async download(id: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.client.raw("image", "GET", `/images/${encodeURIComponent(id)}/file`);
    if (res.status === 204 || !res.body) throw new Error(`image ${id} has no data to copy`);
    return res.body;
  }

  async upload(id: string, data: ReadableStream<Uint8Array>): Promise<void> {
    const res = await this.client.raw(
      "image",
      "PUT",
      `/images/${encodeURIComponent(id)}/file`,
      data,
    );
    await res.arrayBuffer();
  }

  async delete(id: string): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request("image", "DELETE", `/images/${encodeURIComponent(id)}`),
    );
  }

  /**
   * Polls until the image is `active`. Fails at once on `killed`/`deleted`,
   * and after `timeoutMs` otherwise, saying which status it was stuck in.
   */
  async waitActive(
    id: string,
    timeoutMs: number,
    progress: (message: string) => void,
    intervalMs = 5000,
    signal?: AbortSignal,
  ): Promise<GlanceImage> {
    const started = Date.now();
    let lastReport = 0;
    let polls = 0;
    for (;;) {
      signal?.throwIfAborted();
      const image = await this.get(id);
      const status = image?.status ?? "missing";
      if (image && status === "active") return image;
      if (["killed", "deleted", "deactivated", "missing"].includes(status)) {
        throw new Error(`image ${id} went to status "${status}" while the volume was uploaded`);
      }
      const elapsed = Date.now() - started;
      if (elapsed >= timeoutMs) {
        throw new Error(
          `image ${id} still "${status}" after ${Math.round(elapsed / 1000)} s (imageActiveTimeoutMinutes); the upload did not finish`,
        );
      }
      if (Date.now() - lastReport >= 30_000 || lastReport === 0) {
        lastReport = Date.now();
        progress(`image ${id} is ${status} (${Math.round(elapsed / 1000)} s)`);
      }
      // Poll fast at first (small images are quick), then every intervalMs.
      const pause = Math.min(intervalMs, 500 * 2 ** Math.min(polls++, 4));
      await new Promise((r) => setTimeout(r, Math.min(pause, timeoutMs - elapsed)));
    }
  }
}

export class VolumeService {
  constructor(private readonly client: OpenStackClient) {}

  private async projectPath(): Promise<string> {
    // Cinder URLs in most catalogs already end in the project id; some do not.
    await this.client.ready();
    const endpoint = this.client.endpoint("volume");
    const projectId = this.client.projectId;
    return !projectId || endpoint.endsWith(`/${projectId}`) ? "" : `/${projectId}`;
  }

  async get(id: string): Promise<{ id: string; status: string } | undefined> {
    try {
      const res = await this.client.request<{ volume: { id: string; status: string } }>(
        "volume",
        "GET",
        `${await this.projectPath()}/volumes/${encodeURIComponent(id)}`,
      );
      return res.volume;
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list(): Promise<{ id: string; name?: string; status: string }[]> {
    const res = await this.client.request<{
      volumes: { id: string; name?: string; status: string }[];
    }>("volume", "GET", `${await this.projectPath()}/volumes/detail`);
    return res.volumes;
  }

  /** Deletes a volume once nothing uses it (its server may still be going). */
  async deleteWhenDetached(id: string, timeoutMs = 10 * 60_000): Promise<void> {
    const started = Date.now();
    for (let polls = 0; ; polls++) {
      const volume = await this.get(id);
      if (!volume) return;
      if (!["in-use", "attaching", "detaching", "creating", "deleting"].includes(volume.status)) {
        const path = `${await this.projectPath()}/volumes/${encodeURIComponent(id)}`;
        await ignoreNotFound(() => this.client.request("volume", "DELETE", path));
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`volume ${id} is still ${volume.status} after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, pollPause(polls, 1000)));
    }
  }

  async waitStatus(
    id: string,
    wanted: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const started = Date.now();
    for (let polls = 0; ; polls++) {
      signal?.throwIfAborted();
      const volume = await this.get(id);
      if (volume?.status === wanted) return;
      if (!volume || volume.status.startsWith("error")) {
        throw new Error(`volume ${id} is ${volume?.status ?? "gone"}, expected ${wanted}`);
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`volume ${id} still ${volume.status} after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, pollPause(polls, 1000)));
    }
  }

  /** Cinder "upload volume to image": the volume's bytes become a new Glance image. */
  async uploadToImage(volumeId: string, imageName: string, diskFormat: string): Promise<string> {
    const res = await this.client.request<{ "os-volume_upload_image": { image_id: string } }>(
      "volume",
      "POST",
      `${await this.projectPath()}/volumes/${encodeURIComponent(volumeId)}/action`,
      {
        "os-volume_upload_image": {
          image_name: imageName,
          disk_format: diskFormat,
          container_format: "bare",
          force: true,
        },
      },
    );
    const imageId = res?.["os-volume_upload_image"]?.image_id;
    if (!imageId)
      throw new Error(`Cinder accepted the upload of volume ${volumeId} but returned no image id`);
    return imageId;
  }
}
