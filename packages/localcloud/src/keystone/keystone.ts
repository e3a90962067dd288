// Keystone v3: version discovery, password and application-credential auth,
// tokens with expiry, a service catalog, projects and users (read-only).
import { randomBytes } from "node:crypto";
import { ApiError, Ctx, Reply, Router, notFound } from "./http";
import { Project, Store, User, hexId } from "./state";

export const REGION = "RegionOne";

export interface Token {
  id: string;
  user: User;
  project: Project;
  methods: string[];
  issuedAt: Date;
  expiresAt: Date;
  appCredId?: string;
}

export class Identity {
  private tokens = new Map<string, Token>();

  constructor(
    private store: Store,
    private baseUrl: () => string,
    public tokenTtlSeconds: number,
  ) {}

  /** Validates the X-Auth-Token of a request; throws 401 when missing, unknown or expired. */
  authenticate(ctx: Ctx): Token {
    const id = ctx.header("x-auth-token");
    const token = id ? this.tokens.get(id) : undefined;
    if (!token || token.expiresAt.getTime() <= Date.now()) {
      throw new ApiError(401, "The request you have made requires authentication.", undefined, {
        "WWW-Authenticate": `Keystone uri="${this.baseUrl()}/identity"`,
      });
    }
    return token;
  }

  /** Makes every token issued so far expire now. */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = new Date(Date.now() - 1000);
  }

  catalog(projectId: string): unknown[] {
    const base = this.baseUrl();
    const entry = (type: string, name: string, url: string) => ({
      id: hexId(),
      type,
      name,
      endpoints: ["public", "internal", "admin"].map((iface) => ({
        id: `${type}-${iface}`,
        interface: iface,
        region: REGION,
        region_id: REGION,
        url,
      })),
    });
    return [
      entry("identity", "keystone", `${base}/identity`),
      entry("compute", "nova", `${base}/compute/v2.1`),
      entry("volumev3", "cinderv3", `${base}/volume/v3/${projectId}`),
      entry("block-storage", "cinder", `${base}/volume/v3/${projectId}`),
      entry("image", "glance", `${base}/image`),
      entry("network", "neutron", `${base}/network`),
    ];
  }

  private versionDoc() {
    return {
      id: "v3.14",
      status: "stable",
      updated: "2020-04-07T00:00:00Z",
      links: [{ rel: "self", href: `${this.baseUrl()}/identity/v3/` }],
      "media-types": [
        { base: "application/json", type: "application/vnd.openstack.identity-v3+json" },
      ],
    };
  }

  private domain(id: string) {
    return { id, name: id === "default" ? "Default" : id };
  }

  private tokenBody(t: Token) {
    return {
      token: {
        methods: t.methods,
        user: {
          id: t.user.id,
          name: t.user.name,
          domain: this.domain(t.user.domain_id),
          password_expires_at: null,
        },
        project: {
          id: t.project.id,
          name: t.project.name,
          domain: this.domain(t.project.domain_id),
        },
        roles: [
          { id: "member", name: "member" },
          { id: "reader", name: "reader" },
        ],
        is_domain: false,
        catalog: this.catalog(t.project.id),
        expires_at: t.expiresAt.toISOString().replace("Z", "000Z"),
        issued_at: t.issuedAt.toISOString().replace("Z", "000Z"),
        audit_ids: [randomBytes(16).toString("base64url").slice(0, 22)],
        ...(t.appCredId
          ? {
              application_credential: {
                id: t.appCredId,
                name: "localcloud-appcred",
                restricted: true,
              },
            }
          : {}),
      },
    };
  }

  private unauthorized(): ApiError {
    return new ApiError(401, "The request you have made requires authentication.");
  }

  private issue(ctx: Ctx): Reply {
    const body = ctx.json<{ auth?: AuthBody }>();
    const auth = body.auth;
    if (!auth?.identity?.methods)
      throw new ApiError(
        400,
        "Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
      );
    const { records } = this.store;
    const methods = auth.identity.methods;
    let user: User | undefined;
    let project: Project | undefined;
    let appCredId: string | undefined;
    if (methods.includes("application_credential")) {
      const ac = auth.identity.application_credential ?? {};
      const cred = records.appCredentials.find(
        (c) =>
          (ac.id !== undefined && c.id === ac.id) ||
          (ac.id === undefined &&
            ac.name !== undefined &&
            c.name === ac.name &&
            matchesUser(
              records.users.find((u) => u.id === c.user_id),
              ac.user,
            )),
      );
      if (!cred || cred.secret !== ac.secret) throw this.unauthorized();
      user = records.users.find((u) => u.id === cred.user_id);
      project = records.projects.find((p) => p.id === cred.project_id);
      appCredId = cred.id;
    } else if (methods.includes("password")) {
      const pu = auth.identity.password?.user ?? {};
      user = records.users.find((u) => matchesUser(u, pu));
      if (!user || user.password !== pu.password) throw this.unauthorized();
      const scope = auth.scope?.project;
      if (scope) {
        project = records.projects.find(
          (p) =>
            (scope.id !== undefined && p.id === scope.id) ||
            (scope.id === undefined && p.name === scope.name),
        );
        if (!project || project.id !== user.project_id) throw this.unauthorized();
      } else {
        project = records.projects.find((p) => p.id === user?.project_id);
      }
    } else if (methods.includes("token")) {
      const old = this.tokens.get(auth.identity.token?.id ?? "");
      if (!old || old.expiresAt.getTime() <= Date.now()) throw this.unauthorized();
      user = old.user;
      project = old.project;
    } else {
      throw this.unauthorized();
    }
    if (!user || !project) throw this.unauthorized();
    const issuedAt = new Date();
    const token: Token = {
      id: `gAAAA${randomBytes(32).toString("base64url")}`,
      user,
      project,
      methods,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + this.tokenTtlSeconds * 1000),
      appCredId,
    };
    this.tokens.set(token.id, token);
    return { status: 201, body: this.tokenBody(token), headers: { "X-Subject-Token": token.id } };
  }

  routes(r: Router): void {
    const versions = (): Reply => ({
      status: 300,
      body: { versions: { values: [this.versionDoc()] } },
    });
    r.add("identity", "GET", "/identity", versions);
    r.add("identity", "GET", "/identity/v3", () => ({
      status: 200,
      body: { version: this.versionDoc() },
    }));
    r.add("identity", "POST", "/identity/v3/auth/tokens", (ctx) => this.issue(ctx));
    r.add("identity", "GET", "/identity/v3/auth/tokens", (ctx) => {
      const caller = this.authenticate(ctx);
      const subject = this.tokens.get(ctx.header("x-subject-token") ?? "");
      if (!subject || subject.expiresAt.getTime() <= Date.now())
        throw notFound(`Could not find token: ${ctx.header("x-subject-token") ?? ""}.`);
      void caller;
      return {
        status: 200,
        body: this.tokenBody(subject),
        headers: { "X-Subject-Token": subject.id },
      };
    });
    r.add("identity", "DELETE", "/identity/v3/auth/tokens", (ctx) => {
      this.authenticate(ctx);
      this.tokens.delete(ctx.header("x-subject-token") ?? "");
      return { status: 204 };
    });
    r.add("identity", "GET", "/identity/v3/auth/catalog", (ctx) => {
      const t = this.authenticate(ctx);
      return { status: 200, body: { catalog: this.catalog(t.project.id) } };
    });
    r.add("identity", "GET", "/identity/v3/auth/projects", (ctx) => {
      const t = this.authenticate(ctx);
      return { status: 200, body: { projects: [this.projectView(t.project)] } };
    });
    r.add("identity", "GET", "/identity/v3/projects", (ctx) => {
      this.authenticate(ctx);
      const name = ctx.query.get("name");
      const projects = this.store.records.projects.filter((p) => name === null || p.name === name);
      return {
        status: 200,
        body: {
          projects: projects.map((p) => this.projectView(p)),
          links: { self: null, next: null, previous: null },
        },
      };
    });
    r.add("identity", "GET", "/identity/v3/projects/:id", (ctx) => {
      this.authenticate(ctx);
      const p = this.store.records.projects.find((x) => x.id === ctx.params.id);
      if (!p) throw notFound(`Could not find project: ${ctx.params.id}.`);
      return { status: 200, body: { project: this.projectView(p) } };
    });
    r.add("identity", "GET", "/identity/v3/users/:id", (ctx) => {
      const t = this.authenticate(ctx);
      const u = this.store.records.users.find((x) => x.id === ctx.params.id);
      if (!u || u.id !== t.user.id) throw notFound(`Could not find user: ${ctx.params.id}.`);
      return {
        status: 200,
        body: {
          user: {
            id: u.id,
            name: u.name,
            domain_id: u.domain_id,
            enabled: true,
            default_project_id: u.project_id,
          },
        },
      };
    });
    r.add("identity", "GET", "/identity/v3/domains/:id", (ctx) => {
      this.authenticate(ctx);
      if (ctx.params.id !== "default") throw notFound(`Could not find domain: ${ctx.params.id}.`);
      return {
        status: 200,
        body: { domain: { id: "default", name: "Default", enabled: true, description: "" } },
      };
    });
  }

  private projectView(p: Project) {
    return {
      id: p.id,
      name: p.name,
      domain_id: p.domain_id,
      enabled: true,
      is_domain: false,
      parent_id: p.domain_id,
      description: "",
      tags: [],
      links: { self: `${this.baseUrl()}/identity/v3/projects/${p.id}` },
    };
  }
}

interface UserRef {
  id?: string;
  name?: string;
  password?: string;
  domain?: { id?: string; name?: string };
}
interface AuthBody {
  identity?: {
    methods?: string[];
    password?: { user?: UserRef };
    application_credential?: { id?: string; name?: string; secret?: string; user?: UserRef };
    token?: { id?: string };
  };
  scope?: { project?: { id?: string; name?: string; domain?: { id?: string; name?: string } } };
}

function matchesUser(u: User | undefined, ref: UserRef | undefined): boolean {
  if (!u || !ref) return false;
  if (ref.id !== undefined) return u.id === ref.id;
  return u.name === ref.name;
}
