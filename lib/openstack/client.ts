import * as fs from "node:fs";
import * as tls from "node:tls";
import { Agent, EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from "undici";
import type { CloudConnection, CloudSecrets } from "./connection";

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

/** The cloud could not be reached at all (TLS, proxy, DNS, refused): names the endpoint and the cause. */
export class CloudUnreachableError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly code: string | undefined,
    cause: string,
  ) {
    super(`${method} ${url}: ${cause}`);
    this.name = "CloudUnreachableError";
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

const TLS_HINT =
  "set the cloud's CA bundle (clouds.yaml `cacert:`, OS_CACERT or openstack:cacertFile), or `verify: false` / OS_INSECURE=true to skip verification";

/** What a connection failure means, in words, from undici's error and its cause. */
export function explainNetworkError(err: unknown): { code?: string; text: string } {
  let e: unknown = err;
  // fetch wraps the real error in `cause` ("fetch failed").
  while (e && typeof e === "object" && "cause" in e && (e as { cause?: unknown }).cause) {
    e = (e as { cause: unknown }).cause;
  }
  const code = (e as { code?: string } | undefined)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const tlsCodes: Record<string, string> = {
    SELF_SIGNED_CERT_IN_CHAIN:
      "certificate signed by unknown authority (self-signed certificate in chain)",
    DEPTH_ZERO_SELF_SIGNED_CERT:
      "certificate signed by unknown authority (self-signed certificate)",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate signed by unknown authority",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "certificate signed by unknown authority",
    UNABLE_TO_GET_ISSUER_CERT: "certificate signed by unknown authority",
    CERT_HAS_EXPIRED: "the server's certificate has expired",
    ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is not valid for this host name",
  };
  if (code && tlsCodes[code]) return { code, text: `${tlsCodes[code]} (${code}); ${TLS_HINT}` };
  if (code === "ECONNREFUSED") return { code, text: `connection refused (${message})` };
  if (code === "ENOTFOUND") return { code, text: `host not found (${message})` };
  if (code === "ECONNRESET") return { code, text: `connection reset (${message})` };
  if (/proxy/i.test(message)) return { code, text: `proxy: ${message}` };
  return { code, text: code ? `${message} (${code})` : message };
}

/** Paths of the system's CA bundle (Node's fetch does not read it by itself). */
const SYSTEM_CA_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

/**
 * The HTTP layer of a connection: undici with the connection's TLS (CA
 * bundle on top of Node's and the system's CAs, client certificate,
 * insecure) and the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY,
 * lower case too), as the provider's Go HTTP client has them.
 */
export function cloudDispatcher(
  connection: Pick<CloudConnection, "tls">,
  env: Record<string, string | undefined> = process.env,
): Dispatcher {
  const t = connection.tls ?? {};
  const ca: string[] = [...tls.rootCertificates];
  const system = [env.SSL_CERT_FILE, ...SYSTEM_CA_FILES].find((f) => f && fs.existsSync(f));
  if (system) ca.push(fs.readFileSync(system, "utf8"));
  if (t.caFile) ca.push(fs.readFileSync(t.caFile, "utf8"));
  const tlsOptions = {
    ca,
    ...(t.certFile ? { cert: fs.readFileSync(t.certFile) } : {}),
    ...(t.keyFile ? { key: fs.readFileSync(t.keyFile) } : {}),
    rejectUnauthorized: !t.insecure,
  };
  const proxied = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"].some((k) => env[k]);
  if (!proxied) return new Agent({ connect: tlsOptions });
  return withoutWarning(
    "UNDICI-EHPA",
    () =>
      new EnvHttpProxyAgent({
        connect: tlsOptions,
        requestTls: tlsOptions,
        httpProxy: env.HTTP_PROXY ?? env.http_proxy,
        httpsProxy: env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy,
        noProxy: env.NO_PROXY ?? env.no_proxy,
      } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]),
  );
}

/**
 * Runs `make` without the one process warning of that code (undici calls its
 * env proxy agent experimental on every construction: noise in each runner's
 * output; the agent's behaviour is what this program relies on and tests).
 */
function withoutWarning<T>(code: string, make: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0] as { code?: string } | undefined;
    if (options && typeof options === "object" && options.code === code) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emit;
  }
}

/** `fetch` through a dispatcher (undici's own fetch: the dispatcher and fetch of one version). */
export function cloudFetch(dispatcher: Dispatcher): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(
      input as string,
      { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
    )) as unknown as typeof fetch;
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

/** What the client needs: a resolved connection (lib/openstack/connection.ts) and its secrets. */
export type ClientAuth = Omit<CloudConnection, "tls" | "source" | "interface"> &
  CloudSecrets & { interface: string; tls?: CloudConnection["tls"]; source?: string };

export interface ClientOptions {
  /** Attempts for a retryable failure (first one included). Default 5. */
  attempts?: number;
  /** First retry delay; doubles per attempt, at most 20 s (Retry-After, when given, wins up to 60 s). */
  retryDelayMs?: number;
  /** Told about each retry and re-authentication. */
  notice?: (message: string) => void;
  /**
   * Other credentials for the same identity, tried once when Keystone
   * refuses the given ones (a password changed since they were stored).
   */
  fallbackSecrets?: () => CloudSecrets | undefined;
}

/** How the runner's calls show in a cloud's logs. */
export const USER_AGENT = "slurm-image-builder-runner";

/** Methods that are safe to send again after a lost answer. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/** Whether to try again: 5xx for idempotent methods (and PATCH on 502-504: not processed), network errors for idempotent ones. */
function retryable(method: string, status?: number): boolean {
  if (status === undefined) return IDEMPOTENT.has(method);
  if ([502, 503, 504].includes(status)) return method !== "POST";
  if (status === 500 || status === 429) return IDEMPOTENT.has(method);
  return false;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(60_000, Math.max(0, at - Date.now()));
}

/**
 * A small Keystone-authenticated REST client: just what the build needs that
 * no Pulumi resource does (Cinder's upload-to-image, Glance properties).
 * Like a good OpenStack client it renews its token before it expires and
 * once on a 401, and retries transient failures with backoff.
 */
export class OpenStackClient {
  private token?: string;
  private expiresAt = 0;
  private catalog: CatalogEntry[] = [];
  projectId?: string;
  private readonly fetchImpl: typeof fetch;

  private fallbackTried = false;

  constructor(
    private auth: ClientAuth,
    fetchImpl?: typeof fetch,
    private readonly options: ClientOptions = {},
  ) {
    this.fetchImpl = fetchImpl ?? cloudFetch(cloudDispatcher({ tls: auth.tls ?? {} }));
  }

  private authBody(): unknown {
    const a = this.auth;
    const domain = (id?: string, name?: string) => (id ? { id } : { name: name ?? "Default" });
    const scope =
      a.authType === "v3applicationcredential"
        ? undefined
        : a.projectId !== undefined
          ? { project: { id: a.projectId } }
          : a.projectName !== undefined
            ? {
                project: {
                  name: a.projectName,
                  domain: domain(a.projectDomainId, a.projectDomainName),
                },
              }
            : undefined;
    let identity: unknown;
    if (a.authType === "v3applicationcredential") {
      const credential: Record<string, unknown> = { secret: a.applicationCredentialSecret };
      if (a.applicationCredentialId) credential.id = a.applicationCredentialId;
      else {
        credential.name = a.applicationCredentialName;
        credential.user = a.userId
          ? { id: a.userId }
          : { name: a.username, domain: domain(a.userDomainId, a.userDomainName) };
      }
      identity = { methods: ["application_credential"], application_credential: credential };
    } else if (a.authType === "token") {
      identity = { methods: ["token"], token: { id: a.token } };
    } else {
      const user: Record<string, unknown> = a.userId
        ? { id: a.userId, password: a.password }
        : {
            name: a.username,
            password: a.password,
            domain: domain(a.userDomainId, a.userDomainName),
          };
      identity = { methods: ["password"], password: { user } };
    }
    return { auth: { identity, ...(scope ? { scope } : {}) } };
  }

  async authenticate(): Promise<void> {
    const url = `${this.auth.authUrl.replace(/\/+$/, "").replace(/\/v3$/, "")}/v3/auth/tokens`;
    const res = await this.send(
      "POST",
      url,
      () => ({
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": USER_AGENT,
        },
        body: JSON.stringify(this.authBody()),
      }),
      true,
    );
    const text = await res.text();
    if (res.status === 401 && this.options.fallbackSecrets && !this.fallbackTried) {
      this.fallbackTried = true;
      const other = this.options.fallbackSecrets();
      if (other) {
        this.options.notice?.(
          `Keystone refused the credentials this runner was given (${url}); using the environment's for the same user and project`,
        );
        this.auth = { ...this.auth, ...other };
        return this.authenticate();
      }
    }
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

  /** The URL of a service: its catalog entry of this connection's interface and region. */
  endpoint(service: keyof typeof SERVICE_TYPES): string {
    const wanted = this.auth.interface.replace(/URL$/, "");
    const seen: string[] = [];
    for (const type of SERVICE_TYPES[service]) {
      const entry = this.catalog.find((e) => e.type === type);
      if (!entry) continue;
      for (const e of entry.endpoints)
        seen.push(`${e.interface}/${e.region_id ?? e.region ?? "-"}`);
      const endpoint = entry.endpoints.find(
        (e) =>
          e.interface === wanted &&
          (!this.auth.regionName ||
            e.region === this.auth.regionName ||
            e.region_id === this.auth.regionName),
      );
      if (endpoint) return endpoint.url.replace(/\/+$/, "");
    }
    throw new Error(
      `no ${service} endpoint (interface ${wanted}${this.auth.regionName ? `, region ${this.auth.regionName}` : ""}) in the service catalog${seen.length ? `; it has ${[...new Set(seen)].join(", ")}` : ""}`,
    );
  }

  /** Base URL of a service (Glance's with its /v2). */
  private async serviceUrl(service: keyof typeof SERVICE_TYPES): Promise<string> {
    await this.ready();
    const base = this.endpoint(service);
    return service === "image" && !/\/v2(\.\d+)?$/.test(base) ? `${base}/v2` : base;
  }

  /**
   * One request with retries: network errors and retryable statuses are
   * tried again with backoff (Retry-After honoured); what is left is
   * returned (a response) or thrown (CloudUnreachableError).
   */
  private async send(
    method: string,
    url: string,
    init: () => RequestInit,
    replayable: boolean,
  ): Promise<Response> {
    const attempts = replayable ? (this.options.attempts ?? 5) : 1;
    const base = this.options.retryDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let failure: { code?: string; text: string } | undefined;
      try {
        res = await this.fetchImpl(url, init());
      } catch (err) {
        failure = explainNetworkError(err);
      }
      const again =
        attempt < attempts &&
        (res
          ? retryable(method, res.status)
          : retryable(method) || (method === "POST" && url.endsWith("/auth/tokens"))) &&
        // Certificates don't fix themselves.
        !(failure && /certificate/.test(failure.text));
      if (!again) {
        if (res) return res;
        throw new CloudUnreachableError(method, url, failure!.code, failure!.text);
      }
      const wait =
        retryAfterMs(res?.headers.get("retry-after") ?? null) ??
        Math.min(20_000, base * 2 ** (attempt - 1));
      if (res) await res.arrayBuffer().catch(() => undefined);
      this.options.notice?.(
        `${method} ${url}: ${res ? `HTTP ${res.status}` : failure!.text}; trying again in ${Math.round(wait / 100) / 10} s (attempt ${attempt + 1} of ${attempts})`,
      );
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** A service request with the token; a 401 renews the token once and repeats it. */
  private async authorised(
    service: keyof typeof SERVICE_TYPES,
    method: string,
    pathAndQuery: string,
    init: (token: string) => RequestInit,
    replayable: boolean,
  ): Promise<{ res: Response; url: string }> {
    let url = `${await this.serviceUrl(service)}${pathAndQuery}`;
    let res = await this.send(method, url, () => init(this.token!), replayable);
    if (res.status === 401 && replayable) {
      await res.arrayBuffer().catch(() => undefined);
      this.options.notice?.(`${method} ${url}: HTTP 401; authenticating again`);
      this.token = undefined;
      url = `${await this.serviceUrl(service)}${pathAndQuery}`;
      res = await this.send(method, url, () => init(this.token!), replayable);
    }
    return { res, url };
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
    const { res, url } = await this.authorised(
      service,
      method,
      pathAndQuery,
      (token) =>
        ({
          method,
          headers: {
            "x-auth-token": token,
            "user-agent": USER_AGENT,
            ...(body !== undefined ? { "content-type": contentType } : {}),
          },
          body,
          // Streams need half-duplex in Node's fetch.
          ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
        }) as RequestInit,
      // A stream can be sent once only.
      !(body instanceof ReadableStream),
    );
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
    const { res, url } = await this.authorised(
      service,
      method,
      pathAndQuery,
      (token) => ({
        method,
        headers: {
          "x-auth-token": token,
          "user-agent": USER_AGENT,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": contentType } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      true,
    );
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
