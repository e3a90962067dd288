// POST /servers: the request checked as Nova checks it (flavor, key, user data,
// availability zone, networks, security groups, boot source), the record with
// its ports, then the build in the background: BUILD → ACTIVE (or ERROR).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { Faults } from "../faults";
import { ApiError, badRequest, conflict, notFound, type Reply, type RequestContext } from "../http";
import { withinLimit } from "../quotas";
import type { Token } from "../keystone";
import { type SecurityGroup, type Server, type Volume, now, uuid } from "../state";
import type { NovaEmulator } from "./nova";
import { serverLinks } from "./views";

const run = promisify(execFile);

type BlockDeviceMapping = Record<string, unknown>;

/** Where a new server boots from. */
interface BootSource {
  /** The boot entry of block_device_mapping_v2 (none: boot from `imageRef`). */
  mapping?: BlockDeviceMapping;
  /** An existing volume to boot from. */
  volume?: Volume;
  /** An image to make the boot volume from. */
  volumeFromImageId?: string;
}

/** A create request once checked. */
interface ServerRequest {
  name: string;
  flavorId: string;
  keyName: string | null;
  userData: string | null;
  availabilityZone: string;
  /** Network ids, and `port:<id>` for ports given by id. */
  networks: string[];
  securityGroups: SecurityGroup[];
  imageRef: string;
  boot: BootSource;
  metadata: Record<string, string>;
}

export class ServerCreation {
  constructor(private nova: NovaEmulator) {}

  /** Nova's quota check: instances, cores and RAM of the project (403, as Nova answers). */
  private checkQuota(flavorId: string, token: Token): void {
    const flavor = this.nova.records.flavors.find((f) => f.id === flavorId)!;
    const quota = this.nova.cloud.quotas.of(token.project.id);
    const mine = this.nova.records.servers.filter((s) => s.project_id === token.project.id);
    const usedOf = (f: (flavorId: string) => number) =>
      mine.reduce((sum, s) => sum + f(s.flavor_id), 0);
    const flavorOf = (id: string) => this.nova.records.flavors.find((f) => f.id === id);
    const checks: [string, number, number, number][] = [
      ["instances", quota.instances, mine.length, 1],
      ["cores", quota.cores, usedOf((id) => flavorOf(id)?.vcpus ?? 0), flavor.vcpus],
      ["ram", quota.ram, usedOf((id) => flavorOf(id)?.ram ?? 0), flavor.ram],
    ];
    for (const [resource, limit, used, more] of checks)
      if (!withinLimit(limit, used, more))
        throw new ApiError(
          403,
          `Quota exceeded for ${resource}: Requested ${more}, but already used ${used} of ${limit} ${resource}`,
          "forbidden",
        );
  }

  create = (ctx: RequestContext, token: Token): Reply => {
    const body = ctx.json<{ server?: Record<string, unknown>; "os:scheduler_hints"?: unknown }>()
      .server;
    if (!body) throw badRequest("Invalid input for field/attribute server.");
    const request = this.checkRequest(body, token);
    const server = this.createRecord(request, token);
    const goToError = Faults.takeTarget(
      this.nova.cloud.faults.serverErrors,
      server.id,
      server.name,
    );
    this.nova.cloud.afterTransition(() => this.build(server, request, token, goToError));
    const adminPass = randomBytes(9).toString("base64url");
    return {
      status: 202,
      body: {
        server: {
          id: server.id,
          links: serverLinks(this.nova.cloud.baseUrl(), server),
          "OS-DCF:diskConfig": "MANUAL",
          security_groups: server.security_groups.map((name) => ({ name })),
          adminPass,
        },
      },
      headers: { Location: `${this.nova.cloud.baseUrl()}/compute/v2.1/servers/${server.id}` },
    };
  };

  private checkRequest(body: Record<string, unknown>, token: Token): ServerRequest {
    const name = body.name;
    if (typeof name !== "string" || name.length === 0)
      throw badRequest(
        "Invalid input for field/attribute name. Value: None. None is not of type 'string'",
      );
    const flavorId =
      String(body.flavorRef ?? "")
        .split("/")
        .pop() ?? "";
    if (!this.nova.records.flavors.some((f) => f.id === flavorId))
      throw badRequest(`Flavor ${flavorId} could not be found.`);
    const keyName = (body.key_name as string | undefined) ?? null;
    if (keyName && !this.nova.findKeypair(keyName, token))
      throw badRequest("Invalid key_name provided.");
    let userData: string | null = null;
    if (typeof body.user_data === "string") {
      if (!/^[A-Za-z0-9+/=\s]*$/.test(body.user_data))
        throw badRequest("User data needs to be valid base 64.");
      userData = Buffer.from(body.user_data, "base64").toString("utf8");
    }
    this.checkQuota(flavorId, token);
    const availabilityZone = (body.availability_zone as string | undefined) ?? "nova";
    if (availabilityZone !== "nova")
      throw badRequest(`The requested availability zone is not available`);
    const networks = this.requestedNetworks(body.networks, token);
    const securityGroups = this.requestedSecurityGroups(
      (body.security_groups as { name: string }[] | undefined) ?? [{ name: "default" }],
      token,
    );
    const imageRef = (body.imageRef as string | undefined) ?? "";
    const mappings = (body.block_device_mapping_v2 as BlockDeviceMapping[] | undefined) ?? [];
    return {
      name,
      flavorId,
      keyName,
      userData,
      availabilityZone,
      networks,
      securityGroups,
      imageRef,
      boot: this.bootSource(mappings, imageRef, token),
      metadata: (body.metadata as Record<string, string> | undefined) ?? {},
    };
  }

  /** `none`, `auto` (or nothing: the one shared network), or `[{uuid}]`/`[{port}]`. */
  private requestedNetworks(networks: unknown, token: Token): string[] {
    const { records, neutron } = this.nova;
    if (networks === "none") return [];
    if (networks === "auto" || networks === undefined) {
      const shared = records.networks.filter((n) => n.shared && !n.external);
      if (networks === undefined && shared.length > 1)
        throw conflict("Multiple possible networks found, use a Network ID to be more specific.");
      return shared.slice(0, 1).map((n) => n.id);
    }
    if (!Array.isArray(networks)) throw badRequest("Invalid input for field/attribute networks.");
    return (networks as { uuid?: string; port?: string }[]).map((requested) => {
      if (requested.port) {
        const port = records.ports.find(
          (p) => p.id === requested.port && p.project_id === token.project.id,
        );
        if (!port) throw notFound(`Port ${requested.port} could not be found.`);
        return `port:${port.id}`;
      }
      if (!requested.uuid)
        throw badRequest("Bad networks format: network uuid is not in proper format ()");
      if (
        !records.networks.some((n) => n.id === requested.uuid && neutron.visibleNetwork(n, token))
      )
        throw badRequest(`Network ${requested.uuid} could not be found.`);
      return requested.uuid;
    });
  }

  /** By name or id. */
  private requestedSecurityGroups(requested: { name: string }[], token: Token): SecurityGroup[] {
    const groups = this.nova.neutron.securityGroupsOf(token);
    return requested.map(({ name }) => {
      const group = groups.find((g) => g.name === name || g.id === name);
      if (!group)
        throw badRequest(`Security group ${name} not found for project ${token.project.id}.`);
      return group;
    });
  }

  /** A volume, an image → new volume, or an image (local disk), by mapping or by `imageRef`. */
  private bootSource(mappings: BlockDeviceMapping[], imageRef: string, token: Token): BootSource {
    const { records, glance } = this.nova;
    const mapping =
      mappings.find((m) => Number(m.boot_index ?? -1) === 0) ??
      (imageRef ? undefined : mappings[0]);
    if (!mapping) {
      if (!imageRef)
        throw badRequest(
          "Block Device Mapping is Invalid: You specified more local devices than the limit allows",
        );
      const id = imageRef.split("/").pop() ?? "";
      if (!glance.visibleImage(id, token)) throw badRequest(`Image ${id} could not be found.`);
      return {};
    }
    const source = mapping.source_type;
    const destination = mapping.destination_type ?? "volume";
    const uuid = String(mapping.uuid);
    if (source === "volume") {
      const volume = records.volumes.find(
        (v) => v.id === mapping.uuid && v.project_id === token.project.id,
      );
      if (!volume)
        throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${uuid}.`);
      if (volume.status !== "available")
        throw badRequest(
          `Block Device Mapping is Invalid: Volume ${volume.id} status must be available, but current status is: ${volume.status}.`,
        );
      return { mapping, volume };
    }
    if (source === "image" && destination === "volume") {
      const image = glance.visibleImage(uuid, token);
      if (!image) throw badRequest(`Block Device Mapping is Invalid: failed to get image ${uuid}.`);
      return { mapping, volumeFromImageId: image.id };
    }
    if (source === "image" && destination === "local") {
      if (!glance.visibleImage(uuid, token)) throw badRequest(`Image ${uuid} could not be found.`);
      return { mapping };
    }
    throw badRequest(
      `Block Device Mapping is Invalid: source_type ${String(source)} with destination_type ${String(destination)} is not supported by localcloud.`,
    );
  }

  /** The BUILD record, its ports (new, or given ones taken over) and its boot volume reserved. */
  private createRecord(request: ServerRequest, token: Token): Server {
    const { records, neutron, cinder } = this.nova;
    const created = now();
    const { boot } = request;
    const server: Server = {
      id: uuid(),
      name: request.name,
      project_id: token.project.id,
      user_id: token.user.id,
      status: "BUILD",
      task_state: "scheduling",
      flavor_id: request.flavorId,
      image_id: boot.mapping ? "" : (request.imageRef.split("/").pop() ?? ""),
      key_name: request.keyName,
      metadata: request.metadata,
      user_data: request.userData,
      security_groups: request.securityGroups.map((g) => g.name),
      availability_zone: request.availabilityZone,
      created,
      updated: created,
      launched_at: null,
      volumes: [],
      port_ids: [],
      host: 0,
    };
    for (const id of request.networks) {
      if (id.startsWith("port:")) {
        const port = records.ports.find((p) => p.id === id.slice(5));
        if (port) {
          port.device_id = server.id;
          port.device_owner = "compute:nova";
          port.status = "ACTIVE";
          server.port_ids.push(port.id);
        }
        continue;
      }
      const network = neutron.findNetwork(id, token);
      const securityGroupIds = request.securityGroups.map((g) => g.id);
      server.port_ids.push(
        neutron.allocatePort(network, token, server.id, "compute:nova", securityGroupIds).id,
      );
    }
    if (boot.volume) {
      cinder.reserve(boot.volume);
      server.volumes.push(this.rootAttachment(boot.volume.id, boot.mapping));
    }
    records.servers.push(server);
    this.nova.save();
    return server;
  }

  private rootAttachment(volumeId: string, mapping: BlockDeviceMapping | undefined) {
    return {
      volume_id: volumeId,
      device: "/dev/vda",
      attachment_id: uuid(),
      delete_on_termination: Boolean(mapping?.delete_on_termination),
    };
  }

  /** Boot volume (made from the image if asked), or the image unpacked; attach; power on. */
  private async build(
    server: Server,
    request: ServerRequest,
    token: Token,
    goToError: boolean,
  ): Promise<void> {
    const { nova } = this;
    const { records, cinder } = nova;
    const { boot } = request;
    if (server.status !== "BUILD") return;
    if (goToError) {
      for (const attachment of server.volumes) {
        const volume = records.volumes.find((v) => v.id === attachment.volume_id);
        if (volume) cinder.detach(volume);
      }
      return nova.toError(server);
    }
    server.task_state = "spawning";
    if (boot.volumeFromImageId) {
      const image = records.images.find((i) => i.id === boot.volumeFromImageId)!;
      const volume = cinder.create(token, {
        size: Number(boot.mapping?.volume_size ?? image.min_disk ?? 1) || 1,
        image,
        volume_type: boot.mapping?.volume_type as string | undefined,
      });
      server.volumes.push(this.rootAttachment(volume.id, boot.mapping));
      const deadline = Date.now() + 600_000;
      while (
        (volume.status === "creating" || volume.status === "downloading") &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 200));
      if (volume.status !== "available")
        return nova.toError(
          server,
          `Build of instance ${server.id} aborted: Volume ${volume.id} did not finish being created and its status is ${volume.status}.`,
        );
    } else if (!boot.mapping || boot.mapping.destination_type === "local") {
      const imageId = boot.mapping ? String(boot.mapping.uuid) : server.image_id;
      const root = join(nova.serverDir(server.id), "root");
      await run("mkdir", ["-p", root]);
      await run("tar", ["--numeric-owner", "-xf", nova.cloud.disk.imageFile(imageId), "-C", root]);
    }
    for (const attachment of server.volumes) {
      const volume = records.volumes.find((v) => v.id === attachment.volume_id);
      if (volume) cinder.attach(volume, server.id, attachment.device, attachment.attachment_id);
    }
    if (server.status !== "BUILD") return;
    try {
      await nova.powerOn(server);
    } catch (e) {
      return nova.toError(
        server,
        `Build of instance ${server.id} aborted: ${(e as Error).message}`,
      );
    }
    server.launched_at = now();
    nova.setStatus(server, "ACTIVE");
  }
}
