// The HTTP listener of all services: per request, injected latency and
// failures, routing (405 with Allow, 404 logged as unserved), errors in the
// service's format, the headers every response carries, the request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Faults } from "../faults";
import { makeRequestContext, readBody, type RequestContext } from "./context";
import { ApiError, errorReply } from "./errors";
import { sendReply, type Reply } from "./reply";
import type { RequestLog } from "./requestLog";
import { serviceOf, type Router, type Service } from "./router";

/** What a service adds to every request: a check before its handler runs, and response headers. */
export interface ServiceHooks {
  /** Runs before the handler (its ApiError is the answer), e.g. Nova's microversion check. */
  beforeHandler?(ctx: RequestContext): void;
  headers?(ctx: RequestContext): Record<string, string>;
}

export interface ApiServerOptions {
  router: Router;
  faults: Faults;
  requestLog: RequestLog;
  services: Partial<Record<Service, ServiceHooks>>;
  log: (line: string) => void;
  /** Who the request's X-Auth-Token belongs to (for the request log), when it is a valid token. */
  tokenScope?: (token: string) => string | undefined;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string; cert: string };
  /** Runs before the route's handler (after injected faults), e.g. token validation against the real Keystone. */
  beforeRoute?(ctx: RequestContext): Promise<void>;
}

/**
 * Endpoints other than RegionOne's public one are the same services under
 * a prefix, `/_/<region>/<interface>/...` (see keystone/views.ts catalog):
 * the request log records which endpoint a client used.
 */
export const ENDPOINT_PREFIX = "/_";

function splitEndpoint(url: string): { url: string; endpoint: string } {
  const m = /^\/_\/([^/]+)\/(public|internal|admin)(\/.*)?$/.exec(url);
  if (!m) return { url, endpoint: "RegionOne/public" };
  return { url: m[3] ?? "/", endpoint: `${decodeURIComponent(m[1])}/${m[2]}` };
}

const UNEXPECTED_ERROR =
  "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.";

export function createApiServer(options: ApiServerOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) =>
    void handleRequest(options, req, res);
  return options.tls
    ? (createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) as Server)
    : createServer(handler);
}

async function handleRequest(
  options: ApiServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { log, requestLog } = options;
  const { url: innerUrl, endpoint } = splitEndpoint(req.url ?? "/");
  req.url = innerUrl;
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const service = serviceOf(path);
  const method = req.method ?? "GET";
  let ctx: RequestContext | undefined;
  let outcome: { reply: Reply; unserved: boolean };
  try {
    ctx = makeRequestContext(req, await readBody(req), service);
    outcome = await dispatch(options, ctx, req.url ?? path);
  } catch (e) {
    outcome = { reply: replyForError(e, service, ctx), unserved: false };
    if (!(e instanceof ApiError))
      log(`error in ${method} ${path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  const headers: Record<string, string> = {
    "X-Openstack-Request-Id": ctx?.requestId ?? "req-unknown",
    Date: new Date().toUTCString(),
    ...(ctx ? options.services[service]?.headers?.(ctx) : {}),
  };
  const token = req.headers["x-auth-token"];
  requestLog.add({
    method,
    path: req.url ?? path,
    status: outcome.reply.status,
    service,
    unserved: outcome.unserved,
    endpoint,
    scheme: options.tls ? "https" : "http",
    project: typeof token === "string" ? options.tokenScope?.(token) : undefined,
    userAgent: req.headers["user-agent"],
  });
  sendReply(res, outcome.reply, headers);
}

/** Latency and failure faults, then the route's handler (or 405/404). */
async function dispatch(
  { router, faults, services, log, beforeRoute }: ApiServerOptions,
  ctx: RequestContext,
  url: string,
): Promise<{ reply: Reply; unserved: boolean }> {
  const { method, path, service } = ctx;
  const accept = ctx.header("accept");
  const delay = faults.takeLatency(method, path);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const failure = service === "admin" ? undefined : faults.takeFailure(method, path);
  if (failure) {
    const message = failure.message ?? `Injected fault: ${failure.status}`;
    return {
      reply: errorReply(service, failure.status, message, undefined, accept),
      unserved: false,
    };
  }
  const match = router.match(method, path);
  if (match.route && beforeRoute) await beforeRoute(ctx);
  if (match.route) {
    ctx.params = match.params;
    services[service]?.beforeHandler?.(ctx);
    return { reply: await match.route.handler(ctx), unserved: false };
  }
  if (match.methods.length > 0) {
    const message = `The method ${method} is not allowed for this resource.`;
    const reply = errorReply(service, 405, message, undefined, accept);
    reply.headers = { ...reply.headers, Allow: match.methods.join(", ") };
    return { reply, unserved: false };
  }
  log(`UNSERVED ${method} ${url}`);
  const reply = errorReply(service, 404, "The resource could not be found.", undefined, accept);
  return { reply, unserved: true };
}

function replyForError(error: unknown, service: Service, ctx: RequestContext | undefined): Reply {
  if (error instanceof ApiError) {
    const reply = errorReply(
      service,
      error.status,
      error.message,
      error.kind,
      ctx?.header("accept"),
    );
    reply.headers = { ...reply.headers, ...error.headers };
    return reply;
  }
  return errorReply(
    service,
    500,
    UNEXPECTED_ERROR,
    service === "compute" ? "computeFault" : undefined,
  );
}
