// A small client of the real Keystone: tokens, and the admin calls localcloud
// makes at start (domain, projects, users, roles, application credentials,
// services and endpoints), and token validation as keystonemiddleware does it.

export interface KeystoneToken {
  id: string;
  methods: string[];
  user: { id: string; name: string; domain: { id: string; name: string } };
  project?: { id: string; name: string; domain: { id: string; name: string } };
  roles?: { id: string; name: string }[];
  expires_at: string;
  issued_at: string;
  application_credential?: { id: string; name: string };
}

export class KeystoneError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface PasswordAuth {
  user: { name: string; domainId: string; password: string };
  project: { name: string; domainId: string };
}

export class KeystoneApi {
  private admin?: KeystoneToken;

  /** `url`: http://127.0.0.1:PORT (without /v3). */
  constructor(
    readonly url: string,
    private adminPassword: string,
  ) {}

  async request<T>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await fetch(`${this.url}/v3${path}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...(opts.token ? { "X-Auth-Token": opts.token } : {}),
        ...opts.headers,
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as T;
    return { status: res.status, body, headers: res.headers };
  }

  /** A call that must succeed (2xx); its Keystone error otherwise. */
  async call<T>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<T> {
    const r = await this.request<T>(method, path, opts);
    if (r.status >= 300)
      throw new KeystoneError(
        r.status,
        `Keystone ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`,
      );
    return r.body;
  }

  /** A project-scoped token for a password. */
  async passwordToken(auth: PasswordAuth): Promise<KeystoneToken> {
    const r = await this.request<{ token: KeystoneToken }>("POST", "/auth/tokens", {
      body: {
        auth: {
          identity: {
            methods: ["password"],
            password: {
              user: {
                name: auth.user.name,
                domain: { id: auth.user.domainId },
                password: auth.user.password,
              },
            },
          },
          scope: { project: { name: auth.project.name, domain: { id: auth.project.domainId } } },
        },
      },
    });
    if (r.status !== 201)
      throw new KeystoneError(r.status, `Keystone refused ${auth.user.name}: ${r.status}`);
    return { ...r.body.token, id: r.headers.get("x-subject-token") ?? "" };
  }

  /** The admin's token (project admin), renewed a minute before it expires. */
  async adminToken(): Promise<string> {
    if (!this.admin || Date.parse(this.admin.expires_at) - Date.now() < 60_000)
      this.admin = await this.passwordToken({
        user: { name: "admin", domainId: "default", password: this.adminPassword },
        project: { name: "admin", domainId: "default" },
      });
    return this.admin.id;
  }

  /**
   * Validates a client's token as keystonemiddleware does (GET /v3/auth/tokens,
   * X-Subject-Token, the service's own token): the token, or undefined when
   * Keystone does not know it (404) or it expired or was revoked.
   */
  async validate(subject: string): Promise<KeystoneToken | undefined> {
    const once = async () =>
      this.request<{ token: KeystoneToken }>("GET", "/auth/tokens", {
        token: await this.adminToken(),
        headers: { "X-Subject-Token": subject },
      });
    let r = await once();
    if (r.status === 401) {
      this.admin = undefined; // the service token itself was refused: get a new one, once
      r = await once();
    }
    if (r.status === 200) return { ...r.body.token, id: subject };
    if (r.status === 404 || r.status === 401) return undefined;
    throw new KeystoneError(r.status, `Keystone token validation: ${r.status}`);
  }

  /** Revokes a token (DELETE /v3/auth/tokens). */
  async revoke(subject: string): Promise<void> {
    await this.request("DELETE", "/auth/tokens", {
      token: await this.adminToken(),
      headers: { "X-Subject-Token": subject },
    });
  }
}
