// Keystone v3's tokens: issued for a password, an application credential or
// another token; they expire, and every other service checks them.
import { randomBytes } from "node:crypto";
import { ApiError, notFound, type Reply, type RequestContext } from "../http";
import type { AppCredential, Project, Records, Store, User } from "../state";

export const REGION = "RegionOne";

/** The domains: Keystone's `Default` and one more, `hpc`, with a user of its own. */
export const DOMAINS = [
  { id: "default", name: "Default" },
  { id: "hpc", name: "hpc" },
];

/** The id of the domain a reference names (by id or by name), or undefined when none exists. */
export function domainIdOf(ref: { id?: string; name?: string }): string | undefined {
  return DOMAINS.find((d) => (ref.id !== undefined ? d.id === ref.id : d.name === ref.name))?.id;
}

export interface Token {
  id: string;
  user: User;
  project: Project;
  methods: string[];
  issuedAt: Date;
  expiresAt: Date;
  appCredId?: string;
}

/** Checks a request's token: what the handlers of the other services are given. */
export type Authenticate = (ctx: RequestContext) => Token;

/** A handler of an authenticated route: it is given the caller's token. */
export type TokenHandler = (ctx: RequestContext, token: Token) => Promise<Reply> | Reply;

export interface UserRef {
  id?: string;
  name?: string;
  password?: string;
  domain?: { id?: string; name?: string };
}

/** The body of POST /v3/auth/tokens (`auth`). */
export interface AuthRequest {
  identity?: {
    methods?: string[];
    password?: { user?: UserRef };
    application_credential?: { id?: string; name?: string; secret?: string; user?: UserRef };
    token?: { id?: string };
  };
  scope?: { project?: { id?: string; name?: string; domain?: { id?: string; name?: string } } };
}

const AUTHENTICATION_REQUIRED = "The request you have made requires authentication.";

export class KeystoneEmulator {
  private tokens = new Map<string, Token>();
  /** Where clients authenticate when it is not here (real-services mode: the real Keystone's v3 URL). */
  authUri?: string;

  constructor(
    private store: Store,
    readonly baseUrl: () => string,
    public tokenTtlSeconds: number,
  ) {}

  get records(): Records {
    return this.store.records;
  }

  /** Validates the X-Auth-Token of a request; throws 401 when missing, unknown or expired. */
  authenticate(ctx: RequestContext): Token {
    const id = ctx.header("x-auth-token");
    const token = id ? this.validToken(id) : undefined;
    if (!token) {
      throw this.unauthorized();
    }
    return token;
  }

  /** 401 with the header Keystone sends on every 401, its own failed authentications too. */
  private unauthorized(): ApiError {
    return new ApiError(401, AUTHENTICATION_REQUIRED, undefined, {
      "WWW-Authenticate": `Keystone uri="${this.authUri ?? `${this.baseUrl()}/identity/v3`}"`,
    });
  }

  /** The token with this id, unless it is unknown or expired. */
  validToken(id: string): Token | undefined {
    const token = this.tokens.get(id);
    return token && token.expiresAt.getTime() > Date.now() ? token : undefined;
  }

  revoke(id: string): void {
    this.tokens.delete(id);
  }

  /** Takes a token another Keystone issued and validated (real-services mode) as valid until it expires. */
  adopt(token: Token): void {
    this.tokens.set(token.id, token);
  }

  /** The ids of the tokens known now. */
  tokenIds(): string[] {
    return [...this.tokens.keys()];
  }

  /** Revokes every token issued so far (as a password change or `openstack token revoke` does). */
  revokeAll(): void {
    this.tokens.clear();
  }

  /** Makes every token issued so far expire now. */
  expireAll(): void {
    for (const token of this.tokens.values()) token.expiresAt = new Date(Date.now() - 1000);
  }

  /** A new token for the identity in `auth` (password, application credential or token); 401 otherwise. */
  issue(auth: AuthRequest | undefined): Token {
    const methods = auth?.identity?.methods;
    if (!auth?.identity || !methods)
      throw new ApiError(
        400,
        "Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
      );
    const { user, project, appCredId, from } = methods.includes("application_credential")
      ? this.byApplicationCredential(auth.identity.application_credential ?? {})
      : methods.includes("password")
        ? this.byPassword(auth.identity.password?.user ?? {}, auth.scope?.project)
        : methods.includes("token")
          ? this.byToken(auth.identity.token?.id ?? "", auth.scope?.project)
          : { user: undefined, project: undefined, appCredId: undefined, from: undefined };
    if (!user || !project) throw this.unauthorized();
    const issuedAt = new Date();
    const token: Token = {
      id: `gAAAA${randomBytes(32).toString("base64url")}`,
      user,
      project,
      // A token for a token keeps the first one's expiry and names its methods too (Keystone).
      methods: from ? [...new Set([...methods, ...from.methods])] : methods,
      issuedAt,
      expiresAt: from?.expiresAt ?? new Date(issuedAt.getTime() + this.tokenTtlSeconds * 1000),
      appCredId: appCredId ?? from?.appCredId,
    };
    this.tokens.set(token.id, token);
    return token;
  }

  private byApplicationCredential(
    ref: NonNullable<NonNullable<AuthRequest["identity"]>["application_credential"]>,
  ): Identity {
    const { records } = this;
    const credential: AppCredential | undefined = records.appCredentials.find(
      (c) =>
        (ref.id !== undefined && c.id === ref.id) ||
        (ref.id === undefined &&
          ref.name !== undefined &&
          c.name === ref.name &&
          matchesUser(
            records.users.find((u) => u.id === c.user_id),
            ref.user,
          )),
    );
    // Keystone: an unknown id, or a name of an unknown user, is 404 (a wrong secret 401)
    if (!credential && ref.id !== undefined)
      throw notFound(`Could not find Application Credential: ${ref.id}.`);
    if (!credential && ref.user && !records.users.some((u) => matchesUser(u, ref.user)))
      throw notFound(`Could not find user: ${ref.user.name ?? ref.user.id ?? ""}.`);
    if (!credential || credential.secret !== ref.secret) throw this.unauthorized();
    return {
      user: records.users.find((u) => u.id === credential.user_id),
      project: records.projects.find((p) => p.id === credential.project_id),
      appCredId: credential.id,
    };
  }

  /** A user may only scope to its own project (unscoped: that project). */
  private byPassword(ref: UserRef, scope: NonNullable<AuthRequest["scope"]>["project"]): Identity {
    const { records } = this;
    const user = records.users.find((u) => matchesUser(u, ref));
    if (!user || user.password !== ref.password) throw this.unauthorized();
    if (!scope) return { user, project: records.projects.find((p) => p.id === user.project_id) };
    const project = records.projects.find(
      (p) =>
        (scope.id !== undefined && p.id === scope.id) ||
        (scope.id === undefined &&
          p.name === scope.name &&
          // A project named by name is looked up in the domain the scope names.
          (!scope.domain || domainIdOf(scope.domain) === p.domain_id)),
    );
    if (!project || project.id !== user.project_id) throw this.unauthorized();
    return { user, project };
  }

  /** A token for a token: the same user and project (localcloud's users have a role on one project only). */
  private byToken(id: string, scope: NonNullable<AuthRequest["scope"]>["project"]): Identity {
    const old = this.validToken(id);
    if (!old) throw this.unauthorized();
    if (scope && (scope.id ?? old.project.id) !== old.project.id) throw this.unauthorized();
    if (scope && scope.id === undefined && scope.name !== old.project.name)
      throw this.unauthorized();
    return { user: old.user, project: old.project, from: old };
  }
}

interface Identity {
  user: User | undefined;
  project: Project | undefined;
  appCredId?: string;
  /** The token a token was issued for. */
  from?: Token;
}

/** A user named by id, or by name in the domain the reference names (when it names one). */
function matchesUser(user: User | undefined, ref: UserRef | undefined): boolean {
  if (!user || !ref) return false;
  if (ref.id !== undefined) return user.id === ref.id;
  return user.name === ref.name && (!ref.domain || domainIdOf(ref.domain) === user.domain_id);
}
