// Runs servers: each one is its volume's tree as root (mount, PID and UTS
// namespaces + chroot) with its own sshd on an internal loopback address; the
// server's fixed and floating addresses forward port 22 to it.
import { ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { Server as NetServer, Socket, connect, createServer } from "node:net";
import { join } from "node:path";

const BOOT_SCRIPT = `
set -e
R="$1"; H="$2"; A="$3"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount -t sysfs -o ro sysfs "$R/sys" 2>/dev/null || true
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/lock"
hostname "$H"
echo "localcloud: starting sshd on $A"
exec chroot "$R" /usr/sbin/sshd -D -e -o "ListenAddress=$A" -o UseDNS=no -o PidFile=none
`;

export interface ServerSpec {
  id: string;
  root: string;
  hostname: string;
  sshdAddress: string;
  addresses: string[];
  logDir: string;
}

interface RunningServer {
  spec: ServerSpec;
  /** `unshare`, whose namespace's PID 1 is the server's sshd. */
  child: ChildProcess;
  exited: Promise<void>;
  ready: boolean;
  addresses: Set<string>;
  /** Address → the relay listening on its port 22 (forwarding to the sshd). */
  listeners: Map<string, NetServer>;
  sockets: Set<Socket>;
}

export class ServerRunner {
  private servers = new Map<string, RunningServer>();
  /** Server id (or "*") → time until which SSH connections are refused. */
  private refusals = new Map<string, number>();
  private timers = new Set<NodeJS.Timeout>();

  constructor(private log: (line: string) => void = () => {}) {}

  running(id: string): boolean {
    return this.servers.has(id);
  }

  pidOf(id: string): number | undefined {
    return this.servers.get(id)?.child.pid;
  }

  pids(): number[] {
    return [...this.servers.values()].map((v) => v.child.pid ?? 0).filter((p) => p > 0);
  }

  /** Starts the server's namespace and sshd; resolves once the process runs (SSH comes up shortly after). */
  start(spec: ServerSpec, onExit: (code: number | null) => void): void {
    if (this.servers.has(spec.id)) return;
    mkdirSync(spec.logDir, { recursive: true });
    const console = createWriteStream(join(spec.logDir, "console.log"), { flags: "a" });
    const child = spawn(
      "unshare",
      [
        "--mount",
        "--pid",
        "--uts",
        "--fork",
        "--kill-child",
        "--",
        "/bin/sh",
        "-c",
        BOOT_SCRIPT,
        "boot",
        spec.root,
        spec.hostname,
        spec.sshdAddress,
      ],
      { stdio: ["ignore", "pipe", "pipe"], detached: false },
    );
    child.stdout?.pipe(console, { end: false });
    child.stderr?.pipe(console, { end: false });
    const running: RunningServer = {
      spec,
      child,
      ready: false,
      addresses: new Set(spec.addresses),
      listeners: new Map(),
      sockets: new Set(),
      exited: new Promise((resolve) => {
        child.on("close", (code) => {
          console.end();
          const current = this.servers.get(spec.id);
          if (current === running) {
            this.servers.delete(spec.id);
            this.closeRelays(running);
            onExit(code);
          }
          resolve();
        });
      }),
    };
    child.on("error", (e) => this.log(`server ${spec.id}: ${e.message}`));
    this.servers.set(spec.id, running);
    void this.waitForSshd(running);
  }

  private async waitForSshd(running: RunningServer): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (this.servers.get(running.spec.id) === running && Date.now() < deadline) {
      if (await probe(running.spec.sshdAddress, 22)) {
        running.ready = true;
        this.syncRelays(running);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends the server's processes (its namespace goes with them, and so do its mounts). */
  async stop(id: string): Promise<void> {
    const running = this.servers.get(id);
    if (!running) return;
    this.servers.delete(id);
    this.closeRelays(running);
    // unshare ignores SIGTERM while it waits; SIGKILL makes --kill-child kill PID 1 of the namespace.
    running.child.kill("SIGKILL");
    await running.exited;
  }

  async stopAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.servers.keys()].map((id) => this.stop(id)));
  }

  setAddresses(id: string, addresses: string[]): void {
    const running = this.servers.get(id);
    if (!running) return;
    running.addresses = new Set(addresses);
    this.syncRelays(running);
  }

  /** Refuses SSH connections to one server (or all when id is undefined) for `ms`. */
  refuseSsh(id: string | undefined, ms: number): void {
    const key = id ?? "*";
    this.refusals.set(key, Date.now() + ms);
    for (const running of this.servers.values()) this.syncRelays(running);
    const t = setTimeout(() => {
      this.timers.delete(t);
      for (const running of this.servers.values()) this.syncRelays(running);
    }, ms + 10);
    this.timers.add(t);
  }

  clearRefusals(): void {
    this.refusals.clear();
    for (const running of this.servers.values()) this.syncRelays(running);
  }

  private refused(id: string): boolean {
    const t = Math.max(this.refusals.get(id) ?? 0, this.refusals.get("*") ?? 0);
    return t > Date.now();
  }

  private syncRelays(running: RunningServer): void {
    const want =
      running.ready && !this.refused(running.spec.id) ? running.addresses : new Set<string>();
    for (const [addr, relay] of running.listeners) {
      if (!want.has(addr)) {
        relay.close();
        running.listeners.delete(addr);
      }
    }
    for (const addr of want) {
      if (running.listeners.has(addr)) continue;
      const relay = createServer((client) => {
        const upstream = connect(22, running.spec.sshdAddress);
        running.sockets.add(client);
        running.sockets.add(upstream);
        const done = () => {
          client.destroy();
          upstream.destroy();
          running.sockets.delete(client);
          running.sockets.delete(upstream);
        };
        client.on("error", done);
        upstream.on("error", done);
        client.on("close", done);
        upstream.on("close", done);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      relay.on("error", (e) =>
        this.log(`server ${running.spec.id}: cannot listen on ${addr}:22: ${e.message}`),
      );
      relay.listen(22, addr);
      running.listeners.set(addr, relay);
    }
  }

  private closeRelays(running: RunningServer): void {
    for (const s of running.listeners.values()) s.close();
    running.listeners.clear();
    for (const s of running.sockets) s.destroy();
    running.sockets.clear();
  }
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
