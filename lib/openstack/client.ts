import type { CloudAuth } from "./cloudConfig";

/** An OpenStack API error, with what the cloud said. */
export class OpenStackError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly body: string,
  ) {
    super(`${method} ${url} failed: HTTP ${status}: ${summariseBody(body)}`);
    this.name = "OpenStackError";
  }
}

function summariseBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    // Nova/Cinder wrap errors in {"<kind>": {"message": ...}}; Glance uses {"message"} or plain text.
    for (const value of Object.values(parsed)) {
      if (value && typeof value === "object" && "message" in value)
        return String((value as { message: unknown }).message);
    }
    if ("message" in parsed) return String(parsed.message);
  } catch {
    // not JSON
  }
  return body
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

/** Service types by the names clouds use for them. */
const SERVICE_TYPES: Record<string, string[]> = {
  volume: ["block-storage", "volumev3", "volume"],
  image: ["image"],
  compute: ["compute"],
  network: ["network"],
};

/**
 * A small Keystone-authenticated REST client: just what the build needs that
 * no Pulumi resource does (Cinder's upload-to-image, Glance properties).
 */
export class OpenStackClient {
  private token?: string;
  private expiresAt = 0;
  private catalog: CatalogEntry[] = [];
  projectId?: string;

  constructor(
    private readonly auth: CloudAuth,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private authBody(): unknown {
    const a = this.auth;
    if (a.authType === "v3applicationcredential") {
      const credential: Record<string, unknown> = { secret: a.applicationCredentialSecret };
      if (a.applicationCredentialId) credential.id = a.applicationCredentialId;
      else {
        credential.name = a.applicationCredentialName;
        credential.user = {
          ...(a.userId ? { id: a.userId } : { name: a.username }),
          domain: a.userDomainId ? { id: a.userDomainId } : { name: a.userDomainName ?? "Default" },
        };
      }
      return {
        auth: {
          identity: { methods: ["application_credential"], application_credential: credential },
        },
      };
    }
    const user: Record<string, unknown> = a.userId
      ? { id: a.userId, password: a.password }
      : {
          name: a.username,
          password: a.password,
          domain: a.userDomainId ? { id: a.userDomainId } : { name: a.userDomainName ?? "Default" },
        };
    const scope =
      a.projectId !== undefined
        ? { project: { id: a.projectId } }
        : a.projectName !== undefined
          ? {
              project: {
                name: a.projectName,
                domain: a.projectDomainId
                  ? { id: a.projectDomainId }
                  : { name: a.projectDomainName ?? "Default" },
              },
            }
          : undefined;
    return {
      auth: {
        identity: { methods: ["password"], password: { user } },
        ...(scope ? { scope } : {}),
      },
    };
  }

  async authenticate(): Promise<void> {
    const url = `${this.auth.authUrl.replace(/\/+$/, "").replace(/\/v3$/, "")}/v3/auth/tokens`;
    const res = await this.fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(this.authBody()),
    });
    const text = await res.text();
    if (!res.ok) throw new OpenStackError(res.status, "POST", url, text);
    const token = res.headers.get("x-subject-token");
    if (!token) throw new Error(`Keystone answered ${url} without an X-Subject-Token header`);
    const body = JSON.parse(text) as {
      token: { expires_at?: string; catalog?: CatalogEntry[]; project?: { id: string } };
    };
    this.token = token;
    this.expiresAt = body.token.expires_at
      ? Date.parse(body.token.expires_at)
      : Date.now() + 3600_000;
    this.catalog = body.token.catalog ?? [];
    this.projectId = body.token.project?.id;
  }

  /** Authenticates if there is no valid token yet (the catalog comes with it). */
  async ready(): Promise<void> {
    if (!this.token || Date.now() > this.expiresAt - 60_000) await this.authenticate();
  }

  endpoint(service: keyof typeof SERVICE_TYPES): string {
    for (const type of SERVICE_TYPES[service]) {
      const entry = this.catalog.find((e) => e.type === type);
      if (!entry) continue;
      const endpoint = entry.endpoints.find(
        (e) =>
          e.interface === this.auth.interface &&
          (!this.auth.regionName ||
            e.region === this.auth.regionName ||
            e.region_id === this.auth.regionName),
      );
      if (endpoint) return endpoint.url.replace(/\/+$/, "");
    }
    throw new Error(
      `no ${service} endpoint (${this.auth.interface}${this.auth.regionName ? `, region ${this.auth.regionName}` : ""}) in the service catalog`,
    );
  }

  /** Base URL of a service (Glance's with its /v2). */
  private async serviceUrl(service: keyof typeof SERVICE_TYPES): Promise<string> {
    await this.ready();
    const base = this.endpoint(service);
    return service === "image" && !/\/v2(\.\d+)?$/.test(base) ? `${base}/v2` : base;
  }

  /**
   * A request whose body or answer is data, not JSON (Glance image files):
   * the caller reads or streams the response. Errors are thrown like request's.
   */
  async raw(
    service: keyof typeof SERVICE_TYPES,
    method: string,
    pathAndQuery: string,
    body?: ReadableStream<Uint8Array> | Uint8Array,
    contentType = "application/octet-stream",
  ): Promise<Response> {
    const url = `${await this.serviceUrl(service)}${pathAndQuery}`;
    const res = await this.fetchImpl(url, {
      method,
      headers: {
        "x-auth-token": this.token!,
        ...(body !== undefined ? { "content-type": contentType } : {}),
      },
      body,
      // Streams need half-duplex in Node's fetch.
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    if (!res.ok) throw new OpenStackError(res.status, method, url, await res.text());
    return res;
  }

  /** JSON request to a service; renews the token when it is about to expire. */
  async request<T = unknown>(
    service: keyof typeof SERVICE_TYPES,
    method: string,
    pathAndQuery: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const url = `${await this.serviceUrl(service)}${pathAndQuery}`;
    const res = await this.fetchImpl(url, {
      method,
      headers: {
        "x-auth-token": this.token!,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": contentType } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new OpenStackError(res.status, method, url, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Runs `fn`; a 404 (already gone) counts as done. For deletions that may repeat. */
export async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof OpenStackError && err.status === 404)) throw err;
  }
}
