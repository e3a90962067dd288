import { ignoreNotFound, OpenStackClient, OpenStackError } from "./client";
import { pollPause } from "./poll";

/**
 * Stopping and deleting a builder server through Nova, polling every second.
 * The OpenStack provider does the same with a fixed 10 s pause before its
 * first look (twice when it stops the server first); done here ahead of the
 * engine's destroy, the provider finds the server gone and returns at once.
 */
export class ServerService {
  constructor(
    private readonly client: OpenStackClient,
    /** The longest pause between polls of the state (see pollPause). */
    private readonly pollMs = 1000,
  ) {}

  /** The server's status (ACTIVE, SHUTOFF, ERROR, ...), or undefined when it is gone. */
  async status(id: string): Promise<string | undefined> {
    try {
      const res = await this.client.request<{ server: { status: string } }>(
        "compute",
        "GET",
        `/servers/${encodeURIComponent(id)}`,
      );
      return res.server.status;
    } catch (err) {
      if (err instanceof OpenStackError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * Shuts the server down cleanly (os-stop) and waits for SHUTOFF, as Packer
   * does before it deletes the builder: the file system that becomes the
   * image is flushed. A server that is already stopped is left as it is.
   */
  async stop(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if ((await this.status(id)) === "SHUTOFF") return;
    try {
      await this.client.request("compute", "POST", `/servers/${encodeURIComponent(id)}/action`, {
        "os-stop": null,
      });
    } catch (err) {
      // 409: it is stopping (or stopped) already; the wait below decides.
      if (!(err instanceof OpenStackError && err.status === 409)) throw err;
    }
    await this.waitFor(id, timeoutMs, signal, (status) => {
      if (status === undefined) throw new Error(`server ${id} disappeared while it was stopping`);
      if (status === "ERROR") throw new Error(`server ${id} went to ERROR while it was stopping`);
      return status === "SHUTOFF";
    });
  }

  /** Deletes the server and waits until Nova no longer has it. */
  async delete(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await ignoreNotFound(() =>
      this.client.request("compute", "DELETE", `/servers/${encodeURIComponent(id)}`),
    );
    await this.waitFor(id, timeoutMs, signal, (status) => status === undefined);
  }

  private async waitFor(
    id: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    done: (status: string | undefined) => boolean,
  ): Promise<void> {
    const started = Date.now();
    for (let polls = 0; ; polls++) {
      signal?.throwIfAborted();
      const status = await this.status(id);
      if (done(status)) return;
      if (Date.now() - started > timeoutMs)
        throw new Error(`server ${id} is still ${status} after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, pollPause(polls, this.pollMs)));
    }
  }
}
