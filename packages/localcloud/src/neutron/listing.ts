// Neutron's list semantics, the same for every collection: attribute filters
// (repeatable), `fixed_ips=ip_address=...`, `fields`, `sort_key`/`sort_dir`,
// `limit`/`marker` with a next link.
import type { Reply, RequestContext } from "../http";

/** Query parameters that are not attribute filters. */
const RESERVED_QUERY = new Set([
  "fields",
  "limit",
  "marker",
  "sort_key",
  "sort_dir",
  "page_reverse",
]);

export function neutronList(
  baseUrl: string,
  ctx: RequestContext,
  collection: string,
  items: Record<string, unknown>[],
): Reply {
  const query = ctx.query;
  let out = items.filter((item) => matchesFilters(item, query));
  const fixedIps = query.getAll("fixed_ips");
  if (fixedIps.length > 0) {
    out = out.filter((item) =>
      fixedIps.every((filter) => {
        const [key, value] = filter.split("=");
        return (item.fixed_ips as Record<string, string>[]).some((ip) => ip[key] === value);
      }),
    );
  }
  const sortKey = query.get("sort_key");
  if (sortKey) {
    const direction = query.get("sort_dir") === "desc" ? -1 : 1;
    out.sort((a, b) =>
      String(a[sortKey]) < String(b[sortKey])
        ? -direction
        : String(a[sortKey]) > String(b[sortKey])
          ? direction
          : 0,
    );
  }
  const marker = query.get("marker");
  if (marker) out = out.slice(out.findIndex((x) => x.id === marker) + 1);
  const limit = Number(query.get("limit") ?? 0);
  const body: Record<string, unknown> = {};
  if (limit > 0 && out.length > limit) {
    out = out.slice(0, limit);
    const next = new URLSearchParams(query);
    next.set("marker", String(out[out.length - 1].id));
    body[`${collection}_links`] = [
      { rel: "next", href: `${baseUrl}${ctx.path}?${next.toString()}` },
    ];
  }
  const fields = query.getAll("fields");
  if (fields.length > 0)
    out = out.map((x) => Object.fromEntries(fields.filter((f) => f in x).map((f) => [f, x[f]])));
  body[collection] = out;
  return { status: 200, body };
}

/** Every filter `key=value` (any of its values; all of them for a list attribute) holds. */
function matchesFilters(item: Record<string, unknown>, query: URLSearchParams): boolean {
  for (const key of new Set(query.keys())) {
    if (RESERVED_QUERY.has(key)) continue;
    const wanted = query.getAll(key);
    const value = item[key];
    if (key === "fixed_ips") continue;
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (!wanted.every((w) => value.map(String).includes(w))) return false;
    } else if (!wanted.includes(String(value))) return false;
  }
  return true;
}
