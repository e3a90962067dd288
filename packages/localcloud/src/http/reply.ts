// What a handler answers, and how it is written to the response.
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";

export interface Reply {
  status: number;
  /** JSON (objects), text (strings), bytes (Buffers) or a stream of bytes. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** 200 with a JSON body. */
export const ok = (body: unknown): Reply => ({ status: 200, body });

/** Nova's and Cinder's GET .../limits: no rate limits, these absolute ones. */
export const limitsReply = (absolute: Record<string, number>): Reply =>
  ok({ limits: { rate: [], absolute } });

export function sendReply(
  res: ServerResponse,
  reply: Reply,
  extraHeaders: Record<string, string>,
): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(reply.headers ?? {}) };
  if (reply.body instanceof Readable) {
    headers["Content-Type"] ??= "application/octet-stream";
    res.writeHead(reply.status, headers);
    reply.body.pipe(res);
    return;
  }
  let payload: Buffer | undefined;
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
