import type { GlanceImage, ImageMember, ImageService } from "../../lib/openstack/images";

export interface FakeCall {
  method: string;
  args: unknown[];
}

/**
 * An in-memory Glance for one project's view of the cloud, implementing the
 * ImageService methods that promotion and retention use, and recording every
 * call. Pass `fake.service` where an ImageService is wanted.
 */
export class FakeImages {
  readonly calls: FakeCall[] = [];
  readonly images = new Map<string, GlanceImage>();
  readonly members = new Map<string, ImageMember[]>();
  readonly data = new Map<string, Uint8Array>();
  /** Status an image goes to once its data is uploaded. */
  uploadedStatus = "active";
  private created = 0;

  constructor(
    readonly projectId: string,
    images: GlanceImage[] = [],
  ) {
    for (const image of images) this.images.set(image.id, { ...image });
  }

  /** Names of the calls made, in order (e.g. `addMember`). */
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Calls that would change something in the cloud. */
  writes(): FakeCall[] {
    return this.calls.filter((c) => !["get", "list", "members", "download"].includes(c.method));
  }

  get service(): ImageService {
    const record = (method: string, args: unknown[]) => this.calls.push({ method, args });
    const service = {
      get: async (id: string) => {
        record("get", [id]);
        const image = this.images.get(id);
        return image ? structuredClone(image) : undefined;
      },
      update: async (
        id: string,
        set: Record<string, string>,
        remove: string[],
        visibility?: string,
      ) => {
        record("update", [id, set, remove, visibility]);
        const image = this.mustGet(id);
        Object.assign(image, set);
        for (const key of remove) delete image[key];
        if (visibility) image.visibility = visibility;
        return structuredClone(image);
      },
      list: async (filters: Record<string, string>) => {
        record("list", [filters]);
        return [...this.images.values()]
          .filter((image) => Object.entries(filters).every(([k, v]) => image[k] === v))
          .map((image) => structuredClone(image));
      },
      addTag: async (id: string, tag: string) => {
        record("addTag", [id, tag]);
        const image = this.mustGet(id);
        const tags = (image.tags as string[] | undefined) ?? [];
        if (!tags.includes(tag)) image.tags = [...tags, tag];
      },
      removeTag: async (id: string, tag: string) => {
        record("removeTag", [id, tag]);
        const image = this.images.get(id);
        if (image)
          image.tags = ((image.tags as string[] | undefined) ?? []).filter((t) => t !== tag);
      },
      members: async (id: string) => {
        record("members", [id]);
        return [...(this.members.get(id) ?? [])];
      },
      addMember: async (id: string, projectId: string) => {
        record("addMember", [id, projectId]);
        const list = this.members.get(id) ?? [];
        if (!list.some((m) => m.member_id === projectId))
          list.push({ image_id: id, member_id: projectId, status: "pending" });
        this.members.set(id, list);
      },
      setMemberStatus: async (id: string, projectId: string, status: ImageMember["status"]) => {
        record("setMemberStatus", [id, projectId, status]);
      },
      removeMember: async (id: string, projectId: string) => {
        record("removeMember", [id, projectId]);
        this.members.set(
          id,
          (this.members.get(id) ?? []).filter((m) => m.member_id !== projectId),
        );
      },
      create: async (attributes: Record<string, unknown>) => {
        record("create", [attributes]);
        const id = `${this.projectId}-new-${++this.created}`;
        const image: GlanceImage = {
          ...(attributes as Partial<GlanceImage>),
          id,
          name: String(attributes.name),
          status: "queued",
          visibility: String(attributes.visibility ?? "shared"),
          owner: this.projectId,
        };
        this.images.set(id, image);
        return structuredClone(image);
      },
      download: async (id: string) => {
        record("download", [id]);
        const bytes = this.data.get(id) ?? new Uint8Array();
        return new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        });
      },
      upload: async (id: string, stream: ReadableStream<Uint8Array>) => {
        record("upload", [id]);
        const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
        this.data.set(id, bytes);
        this.mustGet(id).status = this.uploadedStatus;
      },
      delete: async (id: string) => {
        record("delete", [id]);
        this.images.delete(id);
      },
    };
    return service as unknown as ImageService;
  }

  private mustGet(id: string): GlanceImage {
    const image = this.images.get(id);
    if (!image) throw new Error(`fake glance (${this.projectId}): no image ${id}`);
    return image;
  }
}
