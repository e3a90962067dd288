import { ignoreNotFound, OpenStackClient } from "./client";
import { VolumeService } from "./images";
import { NetworkService } from "./network";
import { ServerService } from "./servers";

/** How a builder's cloud resources are named (buildstack/): what a sweep looks for. */
export interface BuilderNames {
  /** Server name (and host name). */
  server: string;
  volume: string;
  /** Temporary keypairs are `<server>-<fingerprint prefix>`. */
  keypairPrefix: string;
  /** Floating IPs the build allocated carry this description. */
  floatingIpDescription: string;
}

interface Found {
  kind: "server" | "port" | "volume" | "keypair" | "floating IP";
  id: string;
  name: string;
}

/**
 * Finds and deletes, by name, a builder's server, floating IP, volume and
 * temporary keypair that no engine state knows of any more: what an engine
 * killed in the middle of a create leaves behind (a "pending operation").
 */
export class BuilderLeftovers {
  private readonly volumes: VolumeService;
  private readonly servers: ServerService;
  private readonly network: NetworkService;

  constructor(private readonly client: OpenStackClient) {
    this.volumes = new VolumeService(client);
    this.servers = new ServerService(client);
    this.network = new NetworkService(client);
  }

  async find(names: BuilderNames): Promise<Found[]> {
    const found: Found[] = [];
    const servers = await this.client.request<{ servers: { id: string; name: string }[] }>(
      "compute",
      "GET",
      "/servers",
    );
    for (const s of servers.servers.filter((s) => s.name === names.server))
      found.push({ kind: "server", id: s.id, name: s.name });
    // The builder's ports carry the server's name (buildstack/BuilderVm.ts).
    for (const p of await this.network.portsNamed(names.server))
      found.push({ kind: "port", id: p.id, name: p.name });
    const fips = await this.client.request<{
      floatingips: { id: string; floating_ip_address: string; description?: string }[];
    }>("network", "GET", "/v2.0/floatingips");
    for (const f of fips.floatingips.filter((f) => f.description === names.floatingIpDescription))
      found.push({ kind: "floating IP", id: f.id, name: f.floating_ip_address });
    for (const v of (await this.volumes.list()).filter((v) => v.name === names.volume))
      found.push({ kind: "volume", id: v.id, name: v.name ?? v.id });
    const keypairs = await this.client.request<{ keypairs: { keypair: { name: string } }[] }>(
      "compute",
      "GET",
      "/os-keypairs",
    );
    for (const { keypair } of keypairs.keypairs.filter((k) =>
      k.keypair.name.startsWith(names.keypairPrefix),
    ))
      found.push({ kind: "keypair", id: keypair.name, name: keypair.name });
    return found;
  }

  /** Deletes what `find` found: servers first (they hold the volume), then the rest. */
  async remove(found: Found[], say: (message: string) => void): Promise<void> {
    const order: Found["kind"][] = ["server", "floating IP", "port", "volume", "keypair"];
    for (const kind of order) {
      for (const item of found.filter((f) => f.kind === kind)) {
        say(`removing the builder's ${kind} ${item.name} (${item.id}), which no state knew of`);
        if (kind === "server") await this.servers.delete(item.id, 10 * 60_000);
        if (kind === "floating IP") await this.network.deleteFloatingIp(item.id);
        if (kind === "port") await this.network.deletePort(item.id);
        if (kind === "volume") await this.volumes.deleteWhenDetached(item.id);
        if (kind === "keypair")
          await ignoreNotFound(() =>
            this.client.request("compute", "DELETE", `/os-keypairs/${encodeURIComponent(item.id)}`),
          );
      }
    }
  }
}
