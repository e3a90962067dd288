// The query of GET /v2/images as Glance's API and database layers read it:
// filters (columns with operators, ranges, times, properties), sort keys and
// directions, limit; each with Glance's 400 for a bad value.
import { badRequest } from "../http";
import type { Image } from "../state";

export const MEMBER_STATUSES = ["pending", "accepted", "rejected", "all"];
export const VISIBILITIES = ["community", "public", "private", "shared", "all"];
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
export const NOT_FILTERS = new Set([
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

export function parseLimit(raw: string | null): number {
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
export function sortOrder(q: URLSearchParams): [string, number][] {
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
export function filterFor(k: string, v: string): (img: Image) => boolean {
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

/** Compares two images by a sort order (then 0: the same place). */
export function compareImages(order: [string, number][]): (a: Image, b: Image) => number {
  return (a, b) => {
    for (const [key, direction] of order) {
      const c = compareValues(sortValue(a, key), sortValue(b, key));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
}
