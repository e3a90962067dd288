// Minimal HTTP routing on node:http: path patterns with :params, JSON bodies,
// per-service error formats, request ids and a request log.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

export type Service = "identity" | "compute" | "volume" | "image" | "network" | "admin" | "root";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  service: Service;
  requestId: string;
  /** Parsed JSON body (throws 400 in the service's format when not JSON). */
  json<T = Record<string, unknown>>(): T;
  header(name: string): string | undefined;
}

/** An error that is rendered in the error format of the service that raised it. */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public kind?: string,
    public headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (message: string, kind?: string) => new ApiError(404, message, kind);
export const badRequest = (message: string, kind?: string) => new ApiError(400, message, kind);
export const conflict = (message: string, kind?: string) => new ApiError(409, message, kind);
export const forbidden = (message: string, kind?: string) => new ApiError(403, message, kind);

const reasons: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
export const reason = (status: number) => reasons[status] ?? "Error";

// Nova and Cinder name their faults after webob exceptions.
const novaFaultNames: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** Renders an error the way the named service does. */
export function errorReply(
  service: Service,
  status: number,
  message: string,
  kind?: string,
  accept = "",
): Reply {
  if (status === 401 && service !== "identity") {
    // keystonemiddleware rejects the request before it reaches the service.
    return {
      status,
      body: {
        error: {
          code: 401,
          title: "Unauthorized",
          message: "The request you have made requires authentication.",
        },
      },
    };
  }
  switch (service) {
    case "compute":
    case "volume": {
      const name =
        kind ?? novaFaultNames[status] ?? (service === "compute" ? "computeFault" : "computeFault");
      return { status, body: { [name]: { code: status, message } } };
    }
    case "network":
      return {
        status,
        body: { NeutronError: { type: kind ?? neutronType(status), message, detail: "" } },
      };
    case "image": {
      // Glance errors are webob exceptions: HTML unless the client asks for JSON.
      const title = reason(status);
      const wantsJson =
        accept.includes("application/json") && !accept.includes("html") && !accept.includes("*/*");
      if (wantsJson) {
        return {
          status,
          body: { message: `${message}<br /><br />\n\n\n`, code: `${status} ${title}`, title },
        };
      }
      const html =
        `<html>\n <head>\n  <title>${status} ${title}</title>\n </head>\n <body>\n  <h1>${status} ${title}</h1>\n` +
        `  ${message}<br /><br />\n\n\n\n </body>\n</html>`;
      return { status, body: html, headers: { "Content-Type": "text/html; charset=UTF-8" } };
    }
    default:
      return { status, body: { error: { code: status, title: reason(status), message } } };
  }
}

function neutronType(status: number): string {
  if (status === 404) return "HTTPNotFound";
  if (status === 400) return "HTTPBadRequest";
  if (status === 409) return "HTTPConflict";
  if (status === 403) return "HTTPForbidden";
  return "HTTPInternalServerError";
}

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  service: Service;
}

export class Router {
  private routes: Route[] = [];

  add(service: Service, method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, parts: split(pattern), handler, service });
  }

  /** Finds a route; `methods` lists the methods the path allows when the method does not match. */
  match(
    method: string,
    path: string,
  ): { route?: Route; params: Record<string, string>; methods: string[] } {
    const parts = split(path);
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

function split(path: string): string[] {
  return path.split("/").filter((p) => p.length > 0);
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(parts[i]);
    else if (p !== parts[i]) return undefined;
  }
  return params;
}

export function serviceOf(path: string): Service {
  const first = split(path)[0] ?? "";
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

export async function readBody(
  req: IncomingMessage,
  limit = 8 * 1024 * 1024 * 1024,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new ApiError(413, "Request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function makeCtx(req: IncomingMessage, raw: Buffer, service: Service): Ctx {
  const url = new URL(req.url ?? "/", "http://localhost");
  const ctx: Ctx = {
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
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
  };
  return ctx;
}

export function send(
  res: ServerResponse,
  reply: Reply,
  extraHeaders: Record<string, string>,
): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(reply.headers ?? {}) };
  let payload: Buffer | undefined;
  if (reply.body instanceof Readable) {
    headers["Content-Type"] ??= "application/octet-stream";
    res.writeHead(reply.status, headers);
    reply.body.pipe(res);
    return;
  }
  if (reply.body === undefined || reply.body === null) {
    payload = undefined;
  } else if (Buffer.isBuffer(reply.body)) {
    payload = reply.body;
    headers["Content-Type"] ??= "application/octet-stream";
  } else if (typeof reply.body === "string") {
    payload = Buffer.from(reply.body);
    headers["Content-Type"] ??= "text/plain; charset=UTF-8";
  } else {
    payload = Buffer.from(JSON.stringify(reply.body));
    headers["Content-Type"] ??= "application/json";
  }
  headers["Content-Length"] = String(payload?.length ?? 0);
  res.writeHead(reply.status, headers);
  res.end(payload);
}
