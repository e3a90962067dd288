// Nova's servers as records and processes: lookups, status changes, powering a
// server on (first boot as cloud-init does it, then its namespace and sshd),
// resuming after a restart, ERROR with a fault, asynchronous delete.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CinderEmulator } from "../cinder";
import { type Cloud, ServiceEmulator } from "../cloud";
import { firstBoot, hostnameFor } from "../cloudInit";
import type { GlanceEmulator } from "../glance";
import { notFound } from "../http";
import type { Token } from "../keystone";
import type { NeutronEmulator } from "../neutron";
import { type Keypair, type Server, now } from "../state";
import { serverView } from "./views";

export const DEFAULT_USER = "rocky";
/** Glance property naming the image's default (cloud-init) user. */
export const DEFAULT_USER_PROPERTY = "os_admin_user";

export class NovaEmulator extends ServiceEmulator {
  constructor(
    cloud: Cloud,
    readonly glance: GlanceEmulator,
    readonly cinder: CinderEmulator,
    readonly neutron: NeutronEmulator,
  ) {
    super(cloud);
  }

  /** A server of the token's project, else 404. */
  findServer(id: string, token: Token): Server {
    const server = this.records.servers.find(
      (s) => s.id === id && s.project_id === token.project.id,
    );
    if (!server) throw notFound(`Instance ${id} could not be found.`);
    return server;
  }

  /** Keypairs belong to a user. */
  findKeypair(name: string, token: Token): Keypair | undefined {
    return this.records.keypairs.find((k) => k.name === name && k.user_id === token.user.id);
  }

  /** A server's directory in the state directory (console log, pid, root tree when image-booted). */
  serverDir(serverId: string): string {
    return join(this.cloud.stateDir, "servers", serverId);
  }

  view(server: Server, mv: number) {
    return serverView(
      this.cloud.baseUrl(),
      server,
      this.records.flavors.find((f) => f.id === server.flavor_id),
      this.neutron.serverAddresses(server),
      mv,
    );
  }

  setStatus(server: Server, status: Server["status"], task: string | null = null): void {
    server.status = status;
    server.task_state = task;
    server.updated = now();
    this.save();
  }

  /** Starts the server's namespace (first boot does what cloud-init does). */
  async powerOn(server: Server): Promise<void> {
    const { records, cloud } = this;
    const boot = server.volumes[0];
    const root = boot
      ? cloud.disk.volumeRoot(boot.volume_id)
      : join(this.serverDir(server.id), "root");
    const bootVolume = boot ? records.volumes.find((v) => v.id === boot.volume_id) : undefined;
    const imageId = bootVolume?.volume_image_metadata.image_id ?? server.image_id;
    const image = records.images.find((i) => i.id === imageId);
    const defaultUser =
      image?.properties[DEFAULT_USER_PROPERTY] ??
      bootVolume?.volume_image_metadata[DEFAULT_USER_PROPERTY] ??
      DEFAULT_USER;
    const key = server.key_name
      ? records.keypairs.find((k) => k.name === server.key_name && k.user_id === server.user_id)
      : undefined;
    const addresses = this.neutron.sshAddresses(server.id);
    if (!addresses.fixed) throw new Error(`server ${server.id} has no fixed IP`);
    const hostname = await firstBoot({
      root,
      instanceId: server.id,
      hostname: hostnameFor(server.name),
      defaultUser,
      publicKeys: key ? [key.public_key] : [],
      userData: server.user_data,
      metaData: {
        uuid: server.id,
        name: server.name,
        hostname: hostnameFor(server.name),
        availability_zone: server.availability_zone,
        project_id: server.project_id,
        meta: server.metadata,
        public_keys: key ? { [key.name]: key.public_key } : {},
        keys: key ? [{ name: key.name, type: "ssh", data: key.public_key }] : [],
        launch_index: 0,
        devices: [],
      },
    });
    cloud.runner.start(
      {
        id: server.id,
        root,
        hostname,
        sshdAddress: cloud.sshdAddress(addresses.fixed),
        addresses: addresses.all,
        logDir: this.serverDir(server.id),
      },
      (code) => {
        cloud.log(`server ${server.id}: its processes ended (exit ${code ?? "signal"})`);
        if (server.status === "ACTIVE") this.setStatus(server, "SHUTOFF");
      },
    );
  }

  /** Restarts servers recorded ACTIVE (after a restart of localcloud). */
  async resume(): Promise<void> {
    for (const server of this.records.servers.filter((s) => s.status === "ACTIVE")) {
      try {
        await this.powerOn(server);
      } catch (e) {
        this.cloud.log(`server ${server.id}: cannot resume: ${(e as Error).message}`);
        this.setStatus(server, "SHUTOFF");
      }
    }
  }

  toError(
    server: Server,
    message = "No valid host was found. There are not enough hosts available.",
  ): void {
    void this.cloud.runner.stop(server.id);
    server.fault = { code: 500, message, created: now() };
    this.setStatus(server, "ERROR");
  }

  /** Deletes in the background: processes, volumes (delete_on_termination), ports, directory. */
  scheduleDelete(server: Server): void {
    server.task_state = "deleting";
    server.updated = now();
    this.cloud.afterTransition(async () => {
      await this.cloud.runner.stop(server.id);
      for (const attachment of server.volumes) {
        const volume = this.records.volumes.find((v) => v.id === attachment.volume_id);
        if (!volume) continue;
        this.cinder.detach(volume);
        if (attachment.delete_on_termination) this.cinder.remove(volume);
      }
      this.neutron.releaseServerPorts(server);
      this.records.servers = this.records.servers.filter((s) => s !== server);
      rmSync(this.serverDir(server.id), { recursive: true, force: true });
      this.save();
    });
  }
}
