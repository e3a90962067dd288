// An image's attributes as Glance's schema checks them on create and on a
// JSON-patch update: types, formats, read-only attributes, string properties.
import { badRequest, conflict, forbidden } from "../http";
import type { Image } from "../state";

/** Attributes of an image that are not properties. */
export const CORE_ATTRIBUTES: ReadonlySet<string> = new Set([
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

/** A JSON-patch operation of PATCH /v2/images/{id}. */
export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

const notMatching = (detail: string) =>
  badRequest(`Provided object does not match schema 'image': ${detail}`);

function checkProperty(key: string, value: unknown): string {
  if (READ_ONLY.has(key)) throw forbidden(`Attribute '${key}' is read-only.`);
  // Glance keeps the os_glance_ namespace for itself (seen with the real Glance, Zed)
  if (key.startsWith("os_glance")) throw forbidden(`Attribute '${key}' is reserved.`);
  if (typeof value !== "string")
    throw notMatching(`${JSON.stringify(value)} is not of type 'string'`);
  return value;
}

/** Sets one attribute or property of an image, with the checks of Glance's image schema. */
export function setImageField(image: Image, key: string, value: unknown): void {
  switch (key) {
    case "name":
      if (value !== null && typeof value !== "string")
        throw notMatching(`${JSON.stringify(value)} is not of type 'string'`);
      image.name = value as string | null;
      return;
    case "visibility":
      if (!["public", "private", "shared", "community"].includes(String(value)))
        throw notMatching(
          `'${String(value)}' is not one of ['community', 'public', 'private', 'shared']`,
        );
      if (value === "public")
        throw forbidden("You are not authorized to complete publicize_image action.");
      image.visibility = value as Image["visibility"];
      return;
    case "protected":
    case "os_hidden":
      if (typeof value !== "boolean")
        throw notMatching(`${JSON.stringify(value)} is not of type 'boolean'`);
      image[key] = value;
      return;
    case "disk_format":
    case "container_format": {
      const allowed = key === "disk_format" ? DISK_FORMATS : CONTAINER_FORMATS;
      if (!allowed.includes(String(value)))
        throw badRequest(`Invalid value '${String(value)}' for parameter '${key}': ${key}`);
      if (image.status !== "queued" && image[key] !== value)
        throw forbidden(`Attribute ${key} can be only replaced for a queued image.`);
      image[key] = value as string;
      return;
    }
    case "min_disk":
    case "min_ram":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        throw notMatching(`${JSON.stringify(value)} is not of type 'integer'`);
      image[key] = value;
      return;
    case "tags":
      if (!Array.isArray(value)) throw notMatching("tags is not of type 'array'");
      image.tags = [...new Set(value.map(String))];
      return;
    case "id":
      throw forbidden("Attribute 'id' is read-only.");
    default:
      image.properties[key] = checkProperty(key, value);
  }
}

/**
 * Applies JSON-patch operations (add, replace, remove) to a copy of the image and
 * returns it; nothing is changed when one of them is refused.
 */
export function patchedImage(image: Image, operations: PatchOperation[]): Image {
  const draft: Image = JSON.parse(JSON.stringify(image)) as Image;
  for (const operation of operations) {
    const key = String(operation.path ?? "").replace(/^\//, "");
    if (!key) throw badRequest("Unable to find 'path' in JSON Schema change");
    switch (operation.op) {
      case "add":
      case "replace":
        if (operation.op === "replace" && !CORE_ATTRIBUTES.has(key) && !(key in draft.properties))
          throw conflict(`Property ${key} does not exist.`);
        if (key.startsWith("tags/")) draft.tags.push(String(operation.value));
        else setImageField(draft, key, operation.value);
        break;
      case "remove":
        if (READ_ONLY.has(key) || CORE_ATTRIBUTES.has(key))
          throw forbidden(`Attribute '${key}' is read-only.`);
        if (!(key in draft.properties)) throw conflict(`Property ${key} does not exist.`);
        delete draft.properties[key];
        break;
      default:
        throw badRequest(
          `Invalid operation: \`${operation.op}\`. It must be one of the following: \`add\`, \`remove\`, \`replace\`.`,
        );
    }
  }
  return draft;
}
