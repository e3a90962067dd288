// A recording HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (HTTPS) and
// plain forwarded requests (HTTP), each recorded as the host:port it was for.
// What `HTTPS_PROXY`/`HTTP_PROXY` point clients at to show they use a proxy.
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface RecordingProxy {
  url: string;
  /** `CONNECT host:port` or `GET http://host:port/path`, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/** `hosts` maps host names to the addresses the proxy connects to (names only it can resolve). */
export async function startRecordingProxy(
  hosts: Record<string, string> = {},
): Promise<RecordingProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute URL expected");
      return;
    }
    const where = { ...urlParts(target), hostname: hosts[target.hostname] ?? target.hostname };
    const upstream = httpRequest(
      { ...where, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    requests.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), hosts[host] ?? host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function urlParts(url: URL) {
  return { protocol: url.protocol, port: url.port, path: `${url.pathname}${url.search}` };
}
