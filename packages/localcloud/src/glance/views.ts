// Glance's response bodies: image, member, versions, schemas.
import type { Image, Member } from "../state";

export function imageView(image: Image): Record<string, unknown> {
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.os_hidden,
    owner: image.owner,
    disk_format: image.disk_format,
    container_format: image.container_format,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    size: image.size,
    virtual_size: image.virtual_size,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    // Glance keeps tags as a set: no order (not the order they were added in)
    tags: [...image.tags].sort(),
    created_at: image.created_at,
    updated_at: image.updated_at,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: "/v2/schemas/image",
    stores: image.status === "active" ? "file" : undefined,
  };
}

export function memberView(member: Member) {
  return { ...member, schema: "/v2/schemas/member" };
}

/** GET /image: every API version Glance has, v2.16 current. */
export function versionsView(baseUrl: string) {
  const version = (id: string, status: string) => ({
    id,
    status,
    links: [{ rel: "self", href: `${baseUrl}/image/v2/` }],
  });
  const supported = [
    "v2.15",
    "v2.9",
    "v2.7",
    "v2.6",
    "v2.5",
    "v2.4",
    "v2.3",
    "v2.2",
    "v2.1",
    "v2.0",
  ];
  return {
    versions: [version("v2.16", "CURRENT"), ...supported.map((v) => version(v, "SUPPORTED"))],
  };
}

/** The schemas glanceclient and some SDK calls read. */
export function imageSchema(name: string) {
  return {
    name,
    properties: {
      id: { type: "string" },
      name: { type: ["null", "string"] },
      status: { type: "string" },
      visibility: { type: "string", enum: ["community", "public", "private", "shared"] },
    },
    additionalProperties: { type: "string" },
    links: [],
  };
}

export const imagesSchema = () => ({
  name: "images",
  properties: { images: { items: imageSchema("image"), type: "array" } },
  links: [],
});

export const memberSchema = () => ({
  name: "member",
  properties: { status: { type: "string", enum: ["pending", "accepted", "rejected"] } },
});

export const membersSchema = () => ({ name: "members", properties: {} });
