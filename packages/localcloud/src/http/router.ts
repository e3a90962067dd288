// Routing on method and path patterns with `:name` parameters; route tables.
import type { RequestContext } from "./context";
import type { Reply } from "./reply";

/** The API a path belongs to (its first segment, DevStack style), which decides the error format. */
export type Service = "identity" | "compute" | "volume" | "image" | "network" | "admin" | "root";

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

/** One row of a route table: method, path pattern (`:name` segments are parameters), handler. */
export type RouteEntry = readonly [method: string, pattern: string, handler: Handler];

/** A handler that is given the caller's token (or whatever `authenticate` returns). */
export function authenticated<T>(
  authenticate: (ctx: RequestContext) => T,
  handler: (ctx: RequestContext, token: T) => Promise<Reply> | Reply,
): Handler {
  return (ctx) => handler(ctx, authenticate(ctx));
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  service: Service;
}

export class Router {
  private routes: Route[] = [];

  add(service: Service, method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, parts: splitPath(pattern), handler, service });
  }

  /** Adds a route table, in its order (the first route that matches a request serves it). */
  addAll(service: Service, table: readonly RouteEntry[]): void {
    for (const [method, pattern, handler] of table) this.add(service, method, pattern, handler);
  }

  /** Finds a route; `methods` lists the methods the path allows when the method does not match. */
  match(
    method: string,
    path: string,
  ): { route?: Route; params: Record<string, string>; methods: string[] } {
    const parts = splitPath(path);
    const methods: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method) return { route, params, methods };
      methods.push(route.method);
    }
    return { params: {}, methods };
  }
}

function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part.length > 0);
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i];
    if (expected.startsWith(":")) params[expected.slice(1)] = decodeURIComponent(parts[i]);
    else if (expected !== parts[i]) return undefined;
  }
  return params;
}

export function serviceOf(path: string): Service {
  const first = splitPath(path)[0] ?? "";
  switch (first) {
    case "identity":
    case "compute":
    case "volume":
    case "image":
    case "network":
      return first;
    case "localcloud":
      return "admin";
    default:
      return "root";
  }
}
