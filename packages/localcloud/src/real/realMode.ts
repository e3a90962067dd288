// localcloud's Nova, Cinder and Neutron in front of the real Keystone and Glance:
// each request's token validated by Keystone (as keystonemiddleware does),
// the images a request names copied from Glance with the caller's token.
import { linkSync, copyFileSync, existsSync } from "node:fs";
import type { Cloud } from "../cloud";
import type { RequestContext, RequestRecord } from "../http";
import { LogTail, glanceAccessRecords } from "./glanceLog";
import type { Token } from "../keystone";
import type { Image, Records } from "../state";
import type { KeystoneToken } from "./keystoneApi";
import type { RealServices } from "./realServices";
import { RemoteGlance, imageIdsOfRequest } from "./remoteGlance";

/** localcloud's Token for a token Keystone validated (unknown users and projects: as Keystone names them). */
export function localToken(records: Records, kt: KeystoneToken): Token | undefined {
  if (!kt.project) return undefined; // unscoped: no project to act in
  const project = records.projects.find((p) => p.id === kt.project!.id) ?? {
    id: kt.project.id,
    name: kt.project.name,
    domain_id: kt.project.domain.id,
  };
  const user = records.users.find((u) => u.id === kt.user.id) ?? {
    id: kt.user.id,
    name: kt.user.name,
    password: "",
    project_id: project.id,
    domain_id: kt.user.domain.id,
  };
  return {
    id: kt.id,
    user,
    project,
    methods: kt.methods,
    issuedAt: new Date(kt.issued_at),
    expiresAt: new Date(kt.expires_at),
    appCredId: kt.application_credential?.id,
  };
}

export class RealMode {
  readonly glance: RemoteGlance;
  private glanceLog: LogTail;

  constructor(
    private cloud: Cloud,
    readonly services: RealServices,
  ) {
    this.glance = new RemoteGlance(services.glanceUrl, () => cloud.records, cloud.disk, cloud.log);
    this.glanceLog = new LogTail(`${services.paths.logs}/glance-api.log`);
    this.glanceLog.clear();
  }

  /** The calls the real Glance served since the last `clearRequests`, from its access log. */
  requests(): RequestRecord[] {
    const name = (id: string) => this.cloud.records.projects.find((p) => p.id === id)?.name;
    return glanceAccessRecords(this.glanceLog.read(), name);
  }

  clearRequests(): void {
    this.glanceLog.clear();
  }

  /**
   * Before a compute, volume or network handler: the token checked by Keystone
   * (unknown, expired or revoked: forgotten, so the handler answers 401), then
   * the images the request names brought from Glance.
   */
  beforeRoute = async (ctx: RequestContext): Promise<void> => {
    if (!["compute", "volume", "network"].includes(ctx.service)) return;
    const id = ctx.header("x-auth-token");
    if (!id) return;
    const { keystone } = this.cloud;
    const validated = await this.services.keystone.validate(id);
    const token = validated ? localToken(this.cloud.records, validated) : undefined;
    if (!token) {
      keystone.revoke(id);
      return;
    }
    keystone.adopt(token);
    if (ctx.method !== "POST" || ctx.raw.length === 0) return;
    let body: unknown;
    try {
      body = ctx.json();
    } catch {
      return; // the handler answers the bad body
    }
    const ids = imageIdsOfRequest(body);
    if (ids.length) await this.glance.mirror(ids, token);
  };

  /** Revokes in Keystone every token localcloud has seen (the revokeTokens fault). */
  async revokeSeenTokens(): Promise<void> {
    for (const id of this.cloud.keystone.tokenIds()) {
      await this.services.keystone.revoke(id);
      this.cloud.keystone.revoke(id);
    }
  }

  /**
   * The default image in Glance (admin's, public), uploaded once from the
   * cached archive; its data also linked into localcloud's disk store.
   */
  async registerBaseImage(name: string, archive: () => Promise<string>): Promise<string> {
    const admin = await this.services.keystone.adminToken();
    const existing = await this.glance.findByName(admin, name);
    if (existing?.status === "active") return existing.id;
    const file = await archive();
    const image =
      existing ??
      (await this.glance.create(admin, {
        name,
        visibility: "public",
        disk_format: "raw",
        container_format: "bare",
        min_disk: 1,
        os_distro: "debian",
        os_version: "12",
        localcloud_source: "debootstrap bookworm minbase",
        hw_architecture: "x86_64",
      }));
    await this.glance.upload(admin, image.id, file);
    const local = this.cloud.disk.imageFile(image.id);
    if (!existsSync(local))
      try {
        linkSync(file, local);
      } catch {
        copyFileSync(file, local);
      }
    return image.id;
  }

  /** Cinder's upload-to-image: the image made in Glance by the caller (its id is Glance's). */
  async createImage(token: Token, fields: Record<string, unknown>): Promise<Image> {
    return this.glance.create(token.id, fields);
  }
}
