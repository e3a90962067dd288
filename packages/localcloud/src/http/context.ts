// One request as the handlers see it: method, path, query, route parameters,
// headers, the raw body and its JSON.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ApiError, badRequest } from "./errors";
import type { Service } from "./router";

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The `:name` segments of the route that matched. */
  params: Record<string, string>;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  service: Service;
  requestId: string;
  /** Parsed JSON body (throws 400 in the service's format when not JSON). */
  json<T = Record<string, unknown>>(): T;
  header(name: string): string | undefined;
}

export async function readBody(
  req: IncomingMessage,
  limit = 8 * 1024 * 1024 * 1024,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) throw new ApiError(413, "Request body too large");
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

export function makeRequestContext(
  req: IncomingMessage,
  raw: Buffer,
  service: Service,
): RequestContext {
  const url = new URL(req.url ?? "/", "http://localhost");
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    params: {},
    headers: req.headers,
    raw,
    service,
    requestId: `req-${randomUUID()}`,
    json<T>(): T {
      if (raw.length === 0)
        throw badRequest(
          "The server could not comply with the request since it is either malformed or otherwise incorrect.",
        );
      try {
        return JSON.parse(raw.toString("utf8")) as T;
      } catch {
        throw badRequest("Malformed request body");
      }
    },
    header(name: string): string | undefined {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}
