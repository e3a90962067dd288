import { ignoreNotFound, OpenStackClient } from "./client";

/** The Neutron calls the runner makes itself: a builder's ports and floating IPs. */
export class NetworkService {
  constructor(private readonly client: OpenStackClient) {}

  /** Ports named `name` (a builder's ports carry its host name). */
  async portsNamed(name: string): Promise<{ id: string; name: string }[]> {
    const res = await this.client.request<{ ports: { id: string; name: string }[] }>(
      "network",
      "GET",
      `/v2.0/ports?name=${encodeURIComponent(name)}`,
    );
    return res.ports.filter((p) => p.name === name);
  }

  /** Neutron deletes a port at once (204); one already gone is fine. */
  async deletePort(id: string): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request("network", "DELETE", `/v2.0/ports/${encodeURIComponent(id)}`),
    );
  }

  async deleteFloatingIp(id: string): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request("network", "DELETE", `/v2.0/floatingips/${encodeURIComponent(id)}`),
    );
  }
}
