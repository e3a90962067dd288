// Nova v2.1: flavors, keypairs, servers (boot from volume), actions, volume
// attachments, interfaces, metadata, availability zones, microversions.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { firstBoot, hostnameFor } from "./cloudinit";
import { Cloud } from "./cloud";
import { Faults } from "./faults";
import { ApiError, Ctx, Reply, Router, badRequest, conflict, notFound } from "./http";
import { Token } from "./identity";
import { ImageService } from "./image";
import { NetworkService } from "./network";
import { Keypair, Server, Volume, now, uuid } from "./state";
import { VolumeService } from "./volume";

const run = promisify(execFile);
export const COMPUTE_MAX_MICROVERSION = "2.96";
export const DEFAULT_USER = "rocky";
/** Glance property naming the image's default (cloud-init) user. */
export const DEFAULT_USER_PROPERTY = "os_admin_user";

export function parseMicroversion(ctx: Ctx): [number, number] {
  const fromNew = ctx
    .header("openstack-api-version")
    ?.split(",")
    .map((s) => s.trim().split(/\s+/))
    .find(([svc]) => svc === "compute")?.[1];
  const v = fromNew ?? ctx.header("x-openstack-nova-api-version") ?? "2.1";
  const [maj, min] = (v === "latest" ? COMPUTE_MAX_MICROVERSION : v).split(".").map(Number);
  const [xmaj, xmin] = COMPUTE_MAX_MICROVERSION.split(".").map(Number);
  if (maj !== 2 || !Number.isInteger(min) || min < 1 || min > xmin || maj > xmaj)
    throw new ApiError(
      406,
      `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is ${COMPUTE_MAX_MICROVERSION}.`,
      "notAcceptable",
    );
  return [maj, min];
}

function fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
  return createHash("md5").update(blob).digest("hex").match(/../g)!.join(":");
}

export class ComputeService {
  constructor(
    private c: Cloud,
    private images: ImageService,
    private volumes: VolumeService,
    private net: NetworkService,
  ) {}

  private get r() {
    return this.c.records;
  }

  findServer(id: string, t: Token): Server {
    const s = this.r.servers.find((x) => x.id === id && x.project_id === t.project.id);
    if (!s) throw notFound(`Instance ${id} could not be found.`);
    return s;
  }

  private findKeypair(name: string, t: Token): Keypair | undefined {
    return this.r.keypairs.find((k) => k.name === name && k.user_id === t.user.id);
  }

  private flavorView(id: string) {
    const f = this.r.flavors.find((x) => x.id === id);
    if (!f) throw notFound(`Flavor ${id} could not be found.`);
    return {
      id: f.id,
      name: f.name,
      vcpus: f.vcpus,
      ram: f.ram,
      disk: f.disk,
      swap: 0,
      "OS-FLV-EXT-DATA:ephemeral": 0,
      "OS-FLV-DISABLED:disabled": false,
      "os-flavor-access:is_public": true,
      rxtx_factor: 1.0,
      description: null,
      extra_specs: {},
      links: [{ rel: "self", href: `${this.c.baseUrl()}/compute/v2.1/flavors/${f.id}` }],
    };
  }

  private serverView(s: Server, mv: number) {
    const f = this.r.flavors.find((x) => x.id === s.flavor_id);
    const flavor =
      mv >= 47
        ? {
            vcpus: f?.vcpus ?? 1,
            ram: f?.ram ?? 512,
            disk: f?.disk ?? 0,
            ephemeral: 0,
            swap: 0,
            original_name: f?.name ?? s.flavor_id,
            extra_specs: {},
          }
        : {
            id: s.flavor_id,
            links: [
              { rel: "bookmark", href: `${this.c.baseUrl()}/compute/flavors/${s.flavor_id}` },
            ],
          };
    const vmState = {
      BUILD: "building",
      ACTIVE: "active",
      SHUTOFF: "stopped",
      REBOOT: "active",
      ERROR: "error",
      DELETED: "deleted",
    }[s.status];
    const power =
      s.status === "ACTIVE" || s.status === "REBOOT" ? 1 : s.status === "SHUTOFF" ? 4 : 0;
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      tenant_id: s.project_id,
      user_id: s.user_id,
      metadata: s.metadata,
      hostId: createHash("sha224").update(`${s.project_id}localcloud`).digest("hex"),
      image: s.image_id
        ? {
            id: s.image_id,
            links: [{ rel: "bookmark", href: `${this.c.baseUrl()}/compute/images/${s.image_id}` }],
          }
        : "",
      flavor,
      created: s.created,
      updated: s.updated,
      addresses: this.net.serverAddresses(s),
      accessIPv4: "",
      accessIPv6: "",
      links: [
        { rel: "self", href: `${this.c.baseUrl()}/compute/v2.1/servers/${s.id}` },
        { rel: "bookmark", href: `${this.c.baseUrl()}/compute/servers/${s.id}` },
      ],
      "OS-DCF:diskConfig": "MANUAL",
      ...(s.status === "BUILD" ? { progress: 0 } : {}),
      "OS-EXT-AZ:availability_zone": s.availability_zone,
      config_drive: "",
      key_name: s.key_name,
      "OS-SRV-USG:launched_at": s.launched_at ? s.launched_at.replace("Z", ".000000") : null,
      "OS-SRV-USG:terminated_at": null,
      "OS-EXT-STS:task_state": s.task_state,
      "OS-EXT-STS:vm_state": vmState,
      "OS-EXT-STS:power_state": power,
      "os-extended-volumes:volumes_attached": s.volumes.map((v) => ({
        id: v.volume_id,
        delete_on_termination: v.delete_on_termination,
      })),
      security_groups: s.security_groups.map((name) => ({ name })),
      ...(s.fault ? { fault: s.fault } : {}),
      ...(mv >= 9 ? { locked: false } : {}),
      ...(mv >= 19 ? { description: null } : {}),
      ...(mv >= 26 ? { tags: [] } : {}),
      ...(mv >= 63 ? { trusted_image_certificates: null } : {}),
      ...(mv >= 73 ? { locked_reason: null } : {}),
      ...(mv >= 90 ? { "OS-EXT-SRV-ATTR:hostname": hostnameFor(s.name) } : {}),
    };
  }

  private keypairView(k: Keypair, mv: number, full: boolean) {
    return {
      name: k.name,
      public_key: k.public_key,
      fingerprint: k.fingerprint,
      ...(mv >= 2 ? { type: k.type } : {}),
      ...(full
        ? {
            user_id: k.user_id,
            created_at: k.created_at.replace("Z", ".000000"),
            deleted: false,
            deleted_at: null,
            id: k.id,
            updated_at: null,
          }
        : {}),
    };
  }

  private setStatus(s: Server, status: Server["status"], task: string | null = null): void {
    s.status = status;
    s.task_state = task;
    s.updated = now();
    this.c.store.save();
  }

  /** Starts the server's namespace (first boot does what cloud-init does). */
  private async powerOn(s: Server): Promise<void> {
    const boot = s.volumes[0];
    const root = boot
      ? this.c.disk.volumeRoot(boot.volume_id)
      : join(this.c.stateDir, "servers", s.id, "root");
    const bootVolume = boot ? this.r.volumes.find((v) => v.id === boot.volume_id) : undefined;
    const imageId = bootVolume?.volume_image_metadata.image_id ?? s.image_id;
    const image = this.r.images.find((i) => i.id === imageId);
    const defaultUser =
      image?.properties[DEFAULT_USER_PROPERTY] ??
      bootVolume?.volume_image_metadata[DEFAULT_USER_PROPERTY] ??
      DEFAULT_USER;
    const key = s.key_name
      ? this.r.keypairs.find((k) => k.name === s.key_name && k.user_id === s.user_id)
      : undefined;
    const addrs = this.net.sshAddresses(s.id);
    if (!addrs.fixed) throw new Error(`server ${s.id} has no fixed IP`);
    const hostname = await firstBoot({
      root,
      instanceId: s.id,
      hostname: hostnameFor(s.name),
      defaultUser,
      publicKeys: key ? [key.public_key] : [],
      userData: s.user_data,
      metaData: {
        uuid: s.id,
        name: s.name,
        hostname: hostnameFor(s.name),
        availability_zone: s.availability_zone,
        project_id: s.project_id,
        meta: s.metadata,
        public_keys: key ? { [key.name]: key.public_key } : {},
        keys: key ? [{ name: key.name, type: "ssh", data: key.public_key }] : [],
        launch_index: 0,
        devices: [],
      },
    });
    this.c.runner.start(
      {
        id: s.id,
        root,
        hostname,
        sshdAddress: this.c.sshdAddress(addrs.fixed),
        addresses: addrs.all,
        logDir: join(this.c.stateDir, "servers", s.id),
      },
      (code) => {
        this.c.log(`server ${s.id}: its processes ended (exit ${code ?? "signal"})`);
        if (s.status === "ACTIVE") this.setStatus(s, "SHUTOFF");
      },
    );
  }

  /** Restarts servers recorded ACTIVE (after a restart of localcloud). */
  async resume(): Promise<void> {
    for (const s of this.r.servers.filter((x) => x.status === "ACTIVE")) {
      try {
        await this.powerOn(s);
      } catch (e) {
        this.c.log(`server ${s.id}: cannot resume: ${(e as Error).message}`);
        this.setStatus(s, "SHUTOFF");
      }
    }
  }

  toError(
    s: Server,
    message = "No valid host was found. There are not enough hosts available.",
  ): void {
    void this.c.runner.stop(s.id);
    s.fault = { code: 500, message, created: now() };
    this.setStatus(s, "ERROR");
  }

  private createServer(ctx: Ctx, t: Token, mv: number): Reply {
    const body = ctx.json<{ server?: Record<string, unknown>; "os:scheduler_hints"?: unknown }>()
      .server;
    if (!body) throw badRequest("Invalid input for field/attribute server.");
    const name = body.name;
    if (typeof name !== "string" || name.length === 0)
      throw badRequest(
        "Invalid input for field/attribute name. Value: None. None is not of type 'string'",
      );
    const flavorRef =
      String(body.flavorRef ?? "")
        .split("/")
        .pop() ?? "";
    if (!this.r.flavors.some((f) => f.id === flavorRef))
      throw badRequest(`Flavor ${flavorRef} could not be found.`);
    const keyName = (body.key_name as string | undefined) ?? null;
    if (keyName && !this.findKeypair(keyName, t)) throw badRequest("Invalid key_name provided.");
    let userData: string | null = null;
    if (typeof body.user_data === "string") {
      const b = body.user_data;
      if (!/^[A-Za-z0-9+/=\s]*$/.test(b)) throw badRequest("User data needs to be valid base 64.");
      userData = Buffer.from(b, "base64").toString("utf8");
    }
    const az = (body.availability_zone as string | undefined) ?? "nova";
    if (az !== "nova") throw badRequest(`The requested availability zone is not available`);
    // networks
    const nets = body.networks;
    let netIds: string[];
    if (nets === "none") netIds = [];
    else if (nets === "auto" || nets === undefined) {
      const shared = this.r.networks.filter((n) => n.shared && !n.external);
      if (nets === undefined && shared.length > 1)
        throw conflict("Multiple possible networks found, use a Network ID to be more specific.");
      netIds = shared.slice(0, 1).map((n) => n.id);
    } else if (Array.isArray(nets)) {
      netIds = (nets as { uuid?: string; port?: string }[]).map((n) => {
        if (n.port) {
          const p = this.r.ports.find((x) => x.id === n.port && x.project_id === t.project.id);
          if (!p) throw notFound(`Port ${n.port} could not be found.`);
          return `port:${p.id}`;
        }
        if (!n.uuid)
          throw badRequest("Bad networks format: network uuid is not in proper format ()");
        if (!this.r.networks.some((x) => x.id === n.uuid && this.net.visibleNetwork(x, t)))
          throw badRequest(`Network ${n.uuid} could not be found.`);
        return n.uuid;
      });
    } else throw badRequest("Invalid input for field/attribute networks.");
    // security groups (by name or id)
    const sgs = this.net.securityGroupsOf(t);
    const sgNames = (
      (body.security_groups as { name: string }[] | undefined) ?? [{ name: "default" }]
    ).map((g) => {
      const sg = sgs.find((x) => x.name === g.name || x.id === g.name);
      if (!sg) throw badRequest(`Security group ${g.name} not found for project ${t.project.id}.`);
      return sg;
    });
    // block devices
    const bdms = (body.block_device_mapping_v2 as Record<string, unknown>[] | undefined) ?? [];
    const imageRef = (body.imageRef as string | undefined) ?? "";
    const bootBdm =
      bdms.find((b) => Number(b.boot_index ?? -1) === 0) ?? (imageRef ? undefined : bdms[0]);
    let bootVolume: Volume | undefined;
    let createVolumeFrom: string | undefined;
    if (bootBdm) {
      const src = bootBdm.source_type;
      const dest = bootBdm.destination_type ?? "volume";
      if (src === "volume") {
        bootVolume = this.r.volumes.find(
          (v) => v.id === bootBdm.uuid && v.project_id === t.project.id,
        );
        if (!bootVolume)
          throw badRequest(
            `Block Device Mapping is Invalid: failed to get volume ${String(bootBdm.uuid)}.`,
          );
        if (bootVolume.status !== "available")
          throw badRequest(
            `Block Device Mapping is Invalid: Volume ${bootVolume.id} status must be available, but current status is: ${bootVolume.status}.`,
          );
      } else if (src === "image" && dest === "volume") {
        const img = this.images.findVisibleOrUndefined(String(bootBdm.uuid), t);
        if (!img)
          throw badRequest(
            `Block Device Mapping is Invalid: failed to get image ${String(bootBdm.uuid)}.`,
          );
        createVolumeFrom = img.id;
      } else if (src === "image" && dest === "local") {
        const img = this.images.findVisibleOrUndefined(String(bootBdm.uuid), t);
        if (!img) throw badRequest(`Image ${String(bootBdm.uuid)} could not be found.`);
      } else {
        throw badRequest(
          `Block Device Mapping is Invalid: source_type ${String(src)} with destination_type ${String(dest)} is not supported by localcloud.`,
        );
      }
    } else if (imageRef) {
      const id = imageRef.split("/").pop() ?? "";
      if (!this.images.findVisibleOrUndefined(id, t))
        throw badRequest(`Image ${id} could not be found.`);
    } else {
      throw badRequest(
        "Block Device Mapping is Invalid: You specified more local devices than the limit allows",
      );
    }

    const t0 = now();
    const s: Server = {
      id: uuid(),
      name,
      project_id: t.project.id,
      user_id: t.user.id,
      status: "BUILD",
      task_state: "scheduling",
      flavor_id: flavorRef,
      image_id: bootBdm ? "" : (imageRef.split("/").pop() ?? ""),
      key_name: keyName,
      metadata: (body.metadata as Record<string, string> | undefined) ?? {},
      user_data: userData,
      security_groups: sgNames.map((g) => g.name),
      availability_zone: az,
      created: t0,
      updated: t0,
      launched_at: null,
      volumes: [],
      port_ids: [],
      host: 0,
    };
    for (const id of netIds) {
      if (id.startsWith("port:")) {
        const p = this.r.ports.find((x) => x.id === id.slice(5));
        if (p) {
          p.device_id = s.id;
          p.device_owner = "compute:nova";
          p.status = "ACTIVE";
          s.port_ids.push(p.id);
        }
        continue;
      }
      const net = this.net.findNetwork(id, t);
      s.port_ids.push(
        this.net.allocatePort(
          net,
          t,
          s.id,
          "compute:nova",
          sgNames.map((g) => g.id),
        ).id,
      );
    }
    if (bootVolume) {
      this.volumes.reserve(bootVolume);
      s.volumes.push({
        volume_id: bootVolume.id,
        device: "/dev/vda",
        attachment_id: uuid(),
        delete_on_termination: Boolean(bootBdm?.delete_on_termination),
      });
    }
    this.r.servers.push(s);
    this.c.store.save();
    const goError = Faults.takeTarget(this.c.faults.serverErrors, s.id, s.name);

    const build = async () => {
      if (s.status !== "BUILD") return;
      if (goError) {
        for (const v of s.volumes) {
          const vol = this.r.volumes.find((x) => x.id === v.volume_id);
          if (vol) this.volumes.detach(vol);
        }
        return this.toError(s);
      }
      s.task_state = "spawning";
      if (createVolumeFrom) {
        const img = this.r.images.find((i) => i.id === createVolumeFrom)!;
        const vol = this.volumes.create(t, {
          size: Number(bootBdm?.volume_size ?? img.min_disk ?? 1) || 1,
          image: img,
          volume_type: bootBdm?.volume_type as string | undefined,
        });
        s.volumes.push({
          volume_id: vol.id,
          device: "/dev/vda",
          attachment_id: uuid(),
          delete_on_termination: Boolean(bootBdm?.delete_on_termination),
        });
        const deadline = Date.now() + 600_000;
        while ((vol.status === "creating" || vol.status === "downloading") && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
        if (vol.status !== "available")
          return this.toError(
            s,
            `Build of instance ${s.id} aborted: Volume ${vol.id} did not finish being created and its status is ${vol.status}.`,
          );
      } else if (!bootBdm || bootBdm.destination_type === "local") {
        const imgId = bootBdm ? String(bootBdm.uuid) : s.image_id;
        const root = join(this.c.stateDir, "servers", s.id, "root");
        await run("mkdir", ["-p", root]);
        await run("tar", ["--numeric-owner", "-xf", this.c.disk.imageFile(imgId), "-C", root]);
      }
      for (const v of s.volumes) {
        const vol = this.r.volumes.find((x) => x.id === v.volume_id);
        if (vol) this.volumes.attach(vol, s.id, v.device, v.attachment_id);
      }
      if (s.status !== "BUILD") return;
      try {
        await this.powerOn(s);
      } catch (e) {
        return this.toError(s, `Build of instance ${s.id} aborted: ${(e as Error).message}`);
      }
      s.launched_at = now();
      this.setStatus(s, "ACTIVE");
    };
    this.c.later(this.c.options.transitionMs, build);
    const adminPass = randomBytes(9).toString("base64url");
    return {
      status: 202,
      body: {
        server: {
          id: s.id,
          links: this.serverView(s, mv).links,
          "OS-DCF:diskConfig": "MANUAL",
          security_groups: s.security_groups.map((n) => ({ name: n })),
          adminPass,
        },
      },
      headers: { Location: `${this.c.baseUrl()}/compute/v2.1/servers/${s.id}` },
    };
  }

  private deleteServer(s: Server): void {
    s.task_state = "deleting";
    s.updated = now();
    this.c.later(this.c.options.transitionMs, async () => {
      await this.c.runner.stop(s.id);
      for (const v of s.volumes) {
        const vol = this.r.volumes.find((x) => x.id === v.volume_id);
        if (!vol) continue;
        this.volumes.detach(vol);
        if (v.delete_on_termination) this.volumes.remove(vol);
      }
      this.net.releaseServerPorts(s);
      this.r.servers = this.r.servers.filter((x) => x !== s);
      rmSync(join(this.c.stateDir, "servers", s.id), { recursive: true, force: true });
      this.c.store.save();
    });
  }

  private action(ctx: Ctx, t: Token): Reply {
    const s = this.findServer(ctx.params.id, t);
    const body = ctx.json<Record<string, Record<string, unknown> | null>>();
    const [name] = Object.keys(body);
    const vmState = {
      BUILD: "building",
      ACTIVE: "active",
      SHUTOFF: "stopped",
      REBOOT: "active",
      ERROR: "error",
      DELETED: "deleted",
    }[s.status];
    const refuse = (action: string) =>
      conflict(`Cannot '${action}' instance ${s.id} while it is in vm_state ${vmState}`);
    switch (name) {
      case "os-stop":
        if (s.status !== "ACTIVE" && s.status !== "ERROR") throw refuse("stop");
        if (s.task_state)
          throw conflict(
            `Cannot 'stop' instance ${s.id} while it is in task_state ${s.task_state}`,
          );
        s.task_state = "powering-off";
        this.c.later(this.c.options.transitionMs, async () => {
          await this.c.runner.stop(s.id);
          this.setStatus(s, "SHUTOFF");
        });
        return { status: 202 };
      case "os-start":
        if (s.status !== "SHUTOFF") throw refuse("start");
        if (s.task_state)
          throw conflict(
            `Cannot 'start' instance ${s.id} while it is in task_state ${s.task_state}`,
          );
        s.task_state = "powering-on";
        this.c.later(this.c.options.transitionMs, async () => {
          await this.powerOn(s);
          this.setStatus(s, "ACTIVE");
        });
        return { status: 202 };
      case "reboot":
        if (s.status !== "ACTIVE" && s.status !== "SHUTOFF") throw refuse("reboot");
        this.setStatus(s, "REBOOT", "reboot_started");
        this.c.later(this.c.options.transitionMs, async () => {
          await this.c.runner.stop(s.id);
          await this.powerOn(s);
          this.setStatus(s, "ACTIVE");
        });
        return { status: 202 };
      case "forceDelete":
        this.deleteServer(s);
        return { status: 202 };
      case "os-getConsoleOutput": {
        let out = "";
        try {
          out = readFileSync(join(this.c.stateDir, "servers", s.id, "console.log"), "utf8");
        } catch {
          out = "";
        }
        const length = Number(body[name]?.length ?? 0);
        if (length > 0) out = out.split("\n").slice(-length).join("\n");
        return { status: 200, body: { output: out } };
      }
      case "addSecurityGroup":
      case "removeSecurityGroup": {
        const g = String(body[name]?.name ?? "");
        if (!this.net.securityGroupsOf(t).some((x) => x.name === g || x.id === g))
          throw notFound(`Security group ${g} not found for project ${t.project.id}.`);
        s.security_groups =
          name === "addSecurityGroup"
            ? [...new Set([...s.security_groups, g])]
            : s.security_groups.filter((x) => x !== g);
        this.c.store.save();
        return { status: 202 };
      }
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  }

  routes(r: Router, auth: (ctx: Ctx) => Token): void {
    const versionDoc = () => ({
      id: "v2.1",
      status: "CURRENT",
      version: COMPUTE_MAX_MICROVERSION,
      min_version: "2.1",
      updated: "2013-07-23T11:33:21Z",
      links: [{ rel: "self", href: `${this.c.baseUrl()}/compute/v2.1/` }],
      "media-types": [
        { base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" },
      ],
    });
    const v20 = () => ({
      ...versionDoc(),
      id: "v2.0",
      status: "SUPPORTED",
      version: "",
      min_version: "",
      links: [{ rel: "self", href: `${this.c.baseUrl()}/compute/v2/` }],
    });
    r.add("compute", "GET", "/compute", () => ({
      status: 200,
      body: { versions: [v20(), versionDoc()] },
    }));
    r.add("compute", "GET", "/compute/v2.1", () => ({
      status: 200,
      body: { version: versionDoc() },
    }));
    const p = "/compute/v2.1";
    const a = (ctx: Ctx) => auth(ctx);
    const mv = (ctx: Ctx) => parseMicroversion(ctx)[1];
    const attachmentView = (s: Server, v: Server["volumes"][number], m: number) => ({
      id: v.volume_id,
      volumeId: v.volume_id,
      serverId: s.id,
      device: v.device,
      ...(m >= 70 ? { tag: null } : {}),
      ...(m >= 79 ? { delete_on_termination: v.delete_on_termination } : {}),
      ...(m >= 89 ? { attachment_id: v.attachment_id, bdm_uuid: v.attachment_id } : {}),
    });

    // flavors
    const flavorList = (ctx: Ctx, detail: boolean): Reply => {
      a(ctx);
      const flavors = this.r.flavors.map((f) => this.flavorView(f.id));
      return {
        status: 200,
        body: {
          flavors: detail
            ? flavors
            : flavors.map((f) => ({ id: f.id, name: f.name, links: f.links, description: null })),
        },
      };
    };
    r.add("compute", "GET", `${p}/flavors`, (ctx) => flavorList(ctx, false));
    r.add("compute", "GET", `${p}/flavors/detail`, (ctx) => flavorList(ctx, true));
    r.add("compute", "GET", `${p}/flavors/:id`, (ctx) => {
      a(ctx);
      return { status: 200, body: { flavor: this.flavorView(ctx.params.id) } };
    });
    r.add("compute", "GET", `${p}/flavors/:id/os-extra_specs`, (ctx) => {
      a(ctx);
      this.flavorView(ctx.params.id);
      return { status: 200, body: { extra_specs: {} } };
    });

    // keypairs
    r.add("compute", "GET", `${p}/os-keypairs`, (ctx) => {
      const t = a(ctx);
      const m = mv(ctx);
      return {
        status: 200,
        body: {
          keypairs: this.r.keypairs
            .filter((k) => k.user_id === t.user.id)
            .map((k) => ({ keypair: this.keypairView(k, m, false) })),
        },
      };
    });
    r.add("compute", "GET", `${p}/os-keypairs/:name`, (ctx) => {
      const t = a(ctx);
      const k = this.findKeypair(ctx.params.name, t);
      if (!k) throw notFound(`Keypair ${ctx.params.name} not found for user ${t.user.id}`);
      return { status: 200, body: { keypair: this.keypairView(k, mv(ctx), true) } };
    });
    r.add("compute", "POST", `${p}/os-keypairs`, async (ctx) => {
      const t = a(ctx);
      const m = mv(ctx);
      const body = ctx.json<{ keypair?: { name?: string; public_key?: string; type?: string } }>()
        .keypair;
      const name = body?.name;
      if (!name || !/^[a-zA-Z0-9 _.@-]{1,255}$/.test(name))
        throw badRequest("Keypair data is invalid: Keypair name contains unsafe characters");
      if (this.findKeypair(name, t)) throw conflict(`Key pair '${name}' already exists.`);
      let publicKey = body?.public_key;
      let privateKey: string | undefined;
      if (!publicKey) {
        if (m >= 92)
          throw badRequest(
            "Invalid input for field/attribute keypair. Value: ... 'public_key' is a required property",
          );
        const dir = mkdtempSync(join(tmpdir(), "localcloud-key-"));
        try {
          await run("ssh-keygen", [
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            "",
            "-C",
            `Generated-by-Nova`,
            "-f",
            join(dir, "k"),
          ]);
          privateKey = readFileSync(join(dir, "k"), "utf8");
          publicKey = readFileSync(join(dir, "k.pub"), "utf8").trim();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } else if (
        !/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+/.test(publicKey.trim())
      ) {
        throw badRequest("Keypair data is invalid: failed to generate fingerprint");
      }
      const k: Keypair = {
        name,
        public_key: publicKey.trim(),
        fingerprint: fingerprint(publicKey),
        type: body?.type ?? "ssh",
        user_id: t.user.id,
        project_id: t.project.id,
        created_at: now(),
        id: this.r.nextKeypairId++,
      };
      this.r.keypairs.push(k);
      this.c.store.save();
      const view = {
        ...this.keypairView(k, m, false),
        user_id: k.user_id,
        ...(privateKey ? { private_key: privateKey } : {}),
      };
      return { status: m >= 10 ? 201 : 200, body: { keypair: view } };
    });
    r.add("compute", "DELETE", `${p}/os-keypairs/:name`, (ctx) => {
      const t = a(ctx);
      const k = this.findKeypair(ctx.params.name, t);
      if (!k) throw notFound(`Keypair ${ctx.params.name} not found for user ${t.user.id}`);
      this.r.keypairs = this.r.keypairs.filter((x) => x !== k);
      this.c.store.save();
      return { status: mv(ctx) >= 10 ? 204 : 202 };
    });

    // servers
    const serverList = (ctx: Ctx, detail: boolean): Reply => {
      const t = a(ctx);
      const m = mv(ctx);
      let servers = this.r.servers.filter((s) => s.project_id === t.project.id);
      const name = ctx.query.get("name");
      if (name) {
        let match: (n: string) => boolean;
        try {
          const re = new RegExp(name);
          match = (n) => re.test(n);
        } catch {
          match = (n) => n.includes(name);
        }
        servers = servers.filter((s) => match(s.name));
      }
      const status = ctx.query.get("status");
      if (status) servers = servers.filter((s) => s.status === status.toUpperCase());
      const marker = ctx.query.get("marker");
      if (marker) {
        const i = servers.findIndex((s) => s.id === marker);
        if (i < 0) throw badRequest(`marker [${marker}] not found`);
        servers = servers.slice(i + 1);
      }
      const limit = Number(ctx.query.get("limit") ?? 0);
      const body: Record<string, unknown> = {};
      if (limit > 0 && servers.length > limit) {
        servers = servers.slice(0, limit);
        body.servers_links = [
          {
            rel: "next",
            href: `${this.c.baseUrl()}${ctx.path}?limit=${limit}&marker=${servers[servers.length - 1].id}`,
          },
        ];
      }
      body.servers = servers.map((s) =>
        detail
          ? this.serverView(s, m)
          : { id: s.id, name: s.name, links: this.serverView(s, m).links },
      );
      return { status: 200, body };
    };
    r.add("compute", "GET", `${p}/servers`, (ctx) => serverList(ctx, false));
    r.add("compute", "GET", `${p}/servers/detail`, (ctx) => serverList(ctx, true));
    r.add("compute", "POST", `${p}/servers`, (ctx) => this.createServer(ctx, a(ctx), mv(ctx)));
    r.add("compute", "GET", `${p}/servers/:id`, (ctx) => {
      const t = a(ctx);
      return {
        status: 200,
        body: { server: this.serverView(this.findServer(ctx.params.id, t), mv(ctx)) },
      };
    });
    r.add("compute", "PUT", `${p}/servers/:id`, (ctx) => {
      const t = a(ctx);
      const s = this.findServer(ctx.params.id, t);
      const body = ctx.json<{ server?: { name?: string } }>().server ?? {};
      if (body.name) s.name = body.name;
      s.updated = now();
      this.c.store.save();
      return { status: 200, body: { server: this.serverView(s, mv(ctx)) } };
    });
    r.add("compute", "DELETE", `${p}/servers/:id`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      this.deleteServer(s);
      return { status: 204 };
    });
    r.add("compute", "POST", `${p}/servers/:id/action`, (ctx) => this.action(ctx, a(ctx)));
    r.add("compute", "GET", `${p}/servers/:id/ips`, (ctx) => ({
      status: 200,
      body: { addresses: this.net.serverAddresses(this.findServer(ctx.params.id, a(ctx))) },
    }));
    r.add("compute", "GET", `${p}/servers/:id/tags`, (ctx) => {
      this.findServer(ctx.params.id, a(ctx));
      if (mv(ctx) < 26) throw notFound("The resource could not be found.");
      return { status: 200, body: { tags: [] } };
    });
    r.add("compute", "GET", `${p}/servers/:id/metadata`, (ctx) => ({
      status: 200,
      body: { metadata: this.findServer(ctx.params.id, a(ctx)).metadata },
    }));
    const setMeta = (ctx: Ctx, replace: boolean): Reply => {
      const s = this.findServer(ctx.params.id, a(ctx));
      const md = ctx.json<{ metadata?: Record<string, string> }>().metadata;
      if (!md) throw badRequest("Malformed request body");
      s.metadata = replace ? md : { ...s.metadata, ...md };
      this.c.store.save();
      return { status: 200, body: { metadata: s.metadata } };
    };
    r.add("compute", "POST", `${p}/servers/:id/metadata`, (ctx) => setMeta(ctx, false));
    r.add("compute", "PUT", `${p}/servers/:id/metadata`, (ctx) => setMeta(ctx, true));
    r.add("compute", "DELETE", `${p}/servers/:id/metadata/:key`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      if (!(ctx.params.key in s.metadata)) throw notFound("Metadata item was not found");
      delete s.metadata[ctx.params.key];
      this.c.store.save();
      return { status: 204 };
    });
    r.add("compute", "GET", `${p}/servers/:id/os-volume_attachments`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      const m = mv(ctx);
      return {
        status: 200,
        body: {
          volumeAttachments: s.volumes.map((v) => attachmentView(s, v, m)),
        },
      };
    });
    r.add("compute", "GET", `${p}/servers/:id/os-volume_attachments/:volume`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      const v = s.volumes.find((x) => x.volume_id === ctx.params.volume);
      if (!v)
        throw notFound(`Volume ${ctx.params.volume} is not attached to the instance ${s.id}.`);
      return { status: 200, body: { volumeAttachment: attachmentView(s, v, mv(ctx)) } };
    });
    // Attaching records the attachment (the volume's tree is not mounted into the running server).
    r.add("compute", "POST", `${p}/servers/:id/os-volume_attachments`, (ctx) => {
      const t = a(ctx);
      const s = this.findServer(ctx.params.id, t);
      const body = ctx.json<{
        volumeAttachment?: { volumeId?: string; device?: string; delete_on_termination?: boolean };
      }>().volumeAttachment;
      const vol = this.r.volumes.find(
        (x) => x.id === body?.volumeId && x.project_id === t.project.id,
      );
      if (!vol) throw notFound(`Volume ${body?.volumeId ?? ""} could not be found.`);
      if (vol.status !== "available")
        throw badRequest(
          `Invalid volume: volume ${vol.id} status must be available, but current status is: ${vol.status}.`,
        );
      if (s.status !== "ACTIVE" && s.status !== "SHUTOFF")
        throw conflict(
          `Cannot 'attach_volume' instance ${s.id} while it is in vm_state ${s.status.toLowerCase()}`,
        );
      const used = new Set(s.volumes.map((x) => x.device));
      let device = body?.device ?? "";
      if (!device || used.has(device)) {
        const letter =
          "bcdefghijklmnopqrstuvwxyz".split("").find((l) => !used.has(`/dev/vd${l}`)) ?? "z";
        device = `/dev/vd${letter}`;
      }
      const entry = {
        volume_id: vol.id,
        device,
        attachment_id: uuid(),
        delete_on_termination: Boolean(body?.delete_on_termination),
      };
      s.volumes.push(entry);
      this.volumes.reserve(vol);
      this.c.later(this.c.options.transitionMs, () =>
        this.volumes.attach(vol, s.id, device, entry.attachment_id),
      );
      this.c.store.save();
      return { status: 200, body: { volumeAttachment: attachmentView(s, entry, mv(ctx)) } };
    });
    r.add("compute", "DELETE", `${p}/servers/:id/os-volume_attachments/:volume`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      const i = s.volumes.findIndex((x) => x.volume_id === ctx.params.volume);
      if (i < 0)
        throw notFound(`Volume ${ctx.params.volume} is not attached to the instance ${s.id}.`);
      if (i === 0 && s.volumes[0].device === "/dev/vda")
        throw badRequest("Cannot detach a root device volume");
      const [entry] = s.volumes.splice(i, 1);
      const vol = this.r.volumes.find((x) => x.id === entry.volume_id);
      if (vol) {
        vol.status = "detaching";
        this.c.later(this.c.options.transitionMs, () => this.volumes.detach(vol));
      }
      this.c.store.save();
      return { status: 202 };
    });
    r.add("compute", "GET", `${p}/servers/:id/os-interface`, (ctx) => {
      const s = this.findServer(ctx.params.id, a(ctx));
      const ports = this.r.ports.filter((x) => x.device_id === s.id);
      return {
        status: 200,
        body: {
          interfaceAttachments: ports.map((x) => ({
            port_state: x.status,
            fixed_ips: x.fixed_ips,
            port_id: x.id,
            net_id: x.network_id,
            mac_addr: x.mac_address,
          })),
        },
      };
    });
    r.add("compute", "GET", `${p}/os-availability-zone/detail`, (ctx) => {
      a(ctx);
      return {
        status: 200,
        body: {
          availabilityZoneInfo: [
            {
              zoneName: "nova",
              zoneState: { available: true },
              hosts: {
                localcloud: {
                  "nova-compute": { available: true, active: true, updated_at: now() },
                },
              },
            },
          ],
        },
      };
    });
    r.add("compute", "GET", `${p}/os-availability-zone`, (ctx) => {
      a(ctx);
      return {
        status: 200,
        body: {
          availabilityZoneInfo: [{ zoneName: "nova", zoneState: { available: true }, hosts: null }],
        },
      };
    });
    r.add("compute", "GET", `${p}/limits`, (ctx) => {
      const t = a(ctx);
      const mine = this.r.servers.filter((s) => s.project_id === t.project.id);
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalInstances: 100,
              maxTotalCores: 200,
              maxTotalRAMSize: 512000,
              maxTotalKeypairs: 100,
              maxServerMeta: 128,
              maxImageMeta: 128,
              maxPersonality: 5,
              maxPersonalitySize: 10240,
              maxServerGroups: 10,
              maxServerGroupMembers: 10,
              totalInstancesUsed: mine.length,
              totalCoresUsed: mine.length,
              totalRAMUsed: mine.length * 512,
              totalServerGroupsUsed: 0,
            },
          },
        },
      };
    });
  }
}
