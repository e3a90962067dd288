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

export interface VmSpec {
  id: string;
  root: string;
  hostname: string;
  sshdAddress: string;
  addresses: string[];
  logDir: string;
}

interface Vm {
  spec: VmSpec;
  child: ChildProcess;
  exited: Promise<void>;
  ready: boolean;
  addresses: Set<string>;
  listeners: Map<string, NetServer>;
  sockets: Set<Socket>;
}

export class Runner {
  private vms = new Map<string, Vm>();
  /** Server id (or "*") → time until which SSH connections are refused. */
  private refusals = new Map<string, number>();
  private timers = new Set<NodeJS.Timeout>();

  constructor(private log: (line: string) => void = () => {}) {}

  running(id: string): boolean {
    return this.vms.has(id);
  }

  pidOf(id: string): number | undefined {
    return this.vms.get(id)?.child.pid;
  }

  pids(): number[] {
    return [...this.vms.values()].map((v) => v.child.pid ?? 0).filter((p) => p > 0);
  }

  /** Starts the server's namespace and sshd; resolves once the process runs (SSH comes up shortly after). */
  start(spec: VmSpec, onExit: (code: number | null) => void): void {
    if (this.vms.has(spec.id)) return;
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
    const vm: Vm = {
      spec,
      child,
      ready: false,
      addresses: new Set(spec.addresses),
      listeners: new Map(),
      sockets: new Set(),
      exited: new Promise((resolve) => {
        child.on("close", (code) => {
          console.end();
          const current = this.vms.get(spec.id);
          if (current === vm) {
            this.vms.delete(spec.id);
            this.closeAll(vm);
            onExit(code);
          }
          resolve();
        });
      }),
    };
    child.on("error", (e) => this.log(`server ${spec.id}: ${e.message}`));
    this.vms.set(spec.id, vm);
    void this.waitForSshd(vm);
  }

  private async waitForSshd(vm: Vm): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (this.vms.get(vm.spec.id) === vm && Date.now() < deadline) {
      if (await probe(vm.spec.sshdAddress, 22)) {
        vm.ready = true;
        this.sync(vm);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends the server's processes (its namespace goes with them, and so do its mounts). */
  async stop(id: string): Promise<void> {
    const vm = this.vms.get(id);
    if (!vm) return;
    this.vms.delete(id);
    this.closeAll(vm);
    // unshare ignores SIGTERM while it waits; SIGKILL makes --kill-child kill PID 1 of the namespace.
    vm.child.kill("SIGKILL");
    await vm.exited;
  }

  async stopAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.vms.keys()].map((id) => this.stop(id)));
  }

  setAddresses(id: string, addresses: string[]): void {
    const vm = this.vms.get(id);
    if (!vm) return;
    vm.addresses = new Set(addresses);
    this.sync(vm);
  }

  /** Refuses SSH connections to one server (or all when id is undefined) for `ms`. */
  refuseSsh(id: string | undefined, ms: number): void {
    const key = id ?? "*";
    this.refusals.set(key, Date.now() + ms);
    for (const vm of this.vms.values()) this.sync(vm);
    const t = setTimeout(() => {
      this.timers.delete(t);
      for (const vm of this.vms.values()) this.sync(vm);
    }, ms + 10);
    this.timers.add(t);
  }

  clearRefusals(): void {
    this.refusals.clear();
    for (const vm of this.vms.values()) this.sync(vm);
  }

  private refused(id: string): boolean {
    const t = Math.max(this.refusals.get(id) ?? 0, this.refusals.get("*") ?? 0);
    return t > Date.now();
  }

  private sync(vm: Vm): void {
    const want = vm.ready && !this.refused(vm.spec.id) ? vm.addresses : new Set<string>();
    for (const [addr, server] of vm.listeners) {
      if (!want.has(addr)) {
        server.close();
        vm.listeners.delete(addr);
      }
    }
    for (const addr of want) {
      if (vm.listeners.has(addr)) continue;
      const server = createServer((client) => {
        const upstream = connect(22, vm.spec.sshdAddress);
        vm.sockets.add(client);
        vm.sockets.add(upstream);
        const done = () => {
          client.destroy();
          upstream.destroy();
          vm.sockets.delete(client);
          vm.sockets.delete(upstream);
        };
        client.on("error", done);
        upstream.on("error", done);
        client.on("close", done);
        upstream.on("close", done);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.on("error", (e) =>
        this.log(`server ${vm.spec.id}: cannot listen on ${addr}:22: ${e.message}`),
      );
      server.listen(22, addr);
      vm.listeners.set(addr, server);
    }
  }

  private closeAll(vm: Vm): void {
    for (const s of vm.listeners.values()) s.close();
    vm.listeners.clear();
    for (const s of vm.sockets) s.destroy();
    vm.sockets.clear();
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
