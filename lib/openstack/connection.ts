/**
 * One cloud connection, resolved once at the start of a run from the
 * `openstack:*` stack config, `OS_CLOUD` + clouds.yaml/secure.yaml and the
 * `OS_*` variables, and then handed as is to the main stack's provider, the
 * build stack's provider and the runner's REST client.
 *
 * The rules (README, "OpenStack credentials"), chosen so that the OpenStack
 * provider — gophercloud, which reads the same environment and can't be
 * told otherwise — ends up with exactly the same connection:
 *
 * 1. The cloud is the `openstack:cloud` stack config key, else `OS_CLOUD`.
 *    With a cloud, its clouds.yaml entry (merged with secure.yaml) gives the
 *    credentials; stack-config credential keys beside it are an error.
 *    Stack config credentials (`openstack:authUrl`, ...) with `OS_CLOUD` set
 *    in the environment are an error too: the provider would use OS_CLOUD.
 * 2. Every credential the chosen source leaves unset is taken from its `OS_*`
 *    variable (a Horizon clouds.yaml has no password: `OS_PASSWORD` fills it).
 *    A variable that would name a different project, user or domain than the
 *    chosen source does (an id beside a name) is an error, not a silent switch.
 * 3. Region, interface and TLS: stack config, then `OS_*`, then the entry.
 *
 * Pure apart from reading the config files it is pointed at.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

export type AuthType = "password" | "v3applicationcredential" | "token";
export type Interface = "public" | "internal" | "admin";

/** Everything needed to reach the cloud but the secrets. Plain data: may be shown and stored. */
export interface CloudConnection {
  authUrl: string;
  authType: AuthType;
  username?: string;
  userId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  regionName?: string;
  interface: Interface;
  tls: {
    /** CA bundle (PEM file) to verify the cloud's certificates with, besides the system's. */
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    insecure?: boolean;
  };
  /** Where it came from, for messages: "clouds.yaml entry x in /path", "stack config", "OS_* variables". */
  source: string;
}

/** The secret part. Travels only as secrets (stdin, secret config, secret inputs). */
export interface CloudSecrets {
  password?: string;
  applicationCredentialSecret?: string;
  token?: string;
}

export interface ResolvedCloud {
  connection: CloudConnection;
  secrets: CloudSecrets;
}

/** A cloud setting that can't work: its message names the setting and where it came from. */
export class CloudConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface ResolveInput {
  /** `openstack:*` stack config, keys without the namespace (`authUrl`, `cloud`, ...). */
  config?: Record<string, string | undefined>;
  env?: Record<string, string | undefined>;
  /** Where clouds.yaml is looked for first (the project directory). */
  cwd?: string;
  home?: string;
}

/** Stack config keys that carry credentials or identity (not allowed beside `openstack:cloud`). */
const CONFIG_AUTH_KEYS = [
  "authUrl",
  "userName",
  "userId",
  "password",
  "tenantName",
  "tenantId",
  "userDomainName",
  "userDomainId",
  "projectDomainName",
  "projectDomainId",
  "domainName",
  "domainId",
  "defaultDomain",
  "applicationCredentialId",
  "applicationCredentialName",
  "applicationCredentialSecret",
  "token",
] as const;

/** Identity fields and where each is read from: clouds.yaml auth key, stack config key, env vars. */
const FIELDS = {
  authUrl: { yaml: "auth_url", config: "authUrl", env: ["OS_AUTH_URL"] },
  username: { yaml: "username", config: "userName", env: ["OS_USERNAME"] },
  userId: { yaml: "user_id", config: "userId", env: ["OS_USER_ID"] },
  password: { yaml: "password", config: "password", env: ["OS_PASSWORD"] },
  projectName: {
    yaml: "project_name",
    config: "tenantName",
    env: ["OS_PROJECT_NAME", "OS_TENANT_NAME"],
  },
  projectId: { yaml: "project_id", config: "tenantId", env: ["OS_PROJECT_ID", "OS_TENANT_ID"] },
  userDomainName: {
    yaml: "user_domain_name",
    config: "userDomainName",
    env: ["OS_USER_DOMAIN_NAME"],
  },
  userDomainId: { yaml: "user_domain_id", config: "userDomainId", env: ["OS_USER_DOMAIN_ID"] },
  projectDomainName: {
    yaml: "project_domain_name",
    config: "projectDomainName",
    env: ["OS_PROJECT_DOMAIN_NAME"],
  },
  projectDomainId: {
    yaml: "project_domain_id",
    config: "projectDomainId",
    env: ["OS_PROJECT_DOMAIN_ID"],
  },
  domainName: { yaml: "domain_name", config: "domainName", env: ["OS_DOMAIN_NAME"] },
  domainId: { yaml: "domain_id", config: "domainId", env: ["OS_DOMAIN_ID"] },
  defaultDomain: { yaml: "default_domain", config: "defaultDomain", env: ["OS_DEFAULT_DOMAIN"] },
  applicationCredentialId: {
    yaml: "application_credential_id",
    config: "applicationCredentialId",
    env: ["OS_APPLICATION_CREDENTIAL_ID"],
  },
  applicationCredentialName: {
    yaml: "application_credential_name",
    config: "applicationCredentialName",
    env: ["OS_APPLICATION_CREDENTIAL_NAME"],
  },
  applicationCredentialSecret: {
    yaml: "application_credential_secret",
    config: "applicationCredentialSecret",
    env: ["OS_APPLICATION_CREDENTIAL_SECRET"],
  },
  token: { yaml: "token", config: "token", env: ["OS_TOKEN", "OS_AUTH_TOKEN"] },
} as const;
type Field = keyof typeof FIELDS;

/** Pairs that name one thing two ways: one from the chosen source and the other from env is a conflict. */
const PAIRS: [Field, Field][] = [
  ["projectName", "projectId"],
  ["username", "userId"],
  ["userDomainName", "userDomainId"],
  ["projectDomainName", "projectDomainId"],
];

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
}

function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "boolean") return v;
  const s = String(v).toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new CloudConfigError(`${what}: "${String(v)}" is not a boolean (true or false)`);
}

/** Where clouds.yaml (and secure.yaml) are looked for, in order: openstacksdk's and gophercloud's. */
export function configDirs(cwd: string, home: string): string[] {
  return [cwd, path.join(home, ".config", "openstack"), "/etc/openstack"];
}

function findFile(
  dirs: string[],
  names: string[],
  exists: (f: string) => boolean,
): string | undefined {
  for (const dir of dirs)
    for (const name of names) {
      const file = path.join(dir, name);
      if (exists(file)) return file;
    }
  return undefined;
}

type Entry = Record<string, unknown> & { auth?: Record<string, unknown> };

function readClouds(file: string): Record<string, Entry> {
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new CloudConfigError(
      `${file} can't be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const clouds = (doc as { clouds?: unknown } | null)?.clouds;
  return clouds && typeof clouds === "object" ? (clouds as Record<string, Entry>) : {};
}

/** secure.yaml over clouds.yaml, nested maps merged key by key (openstacksdk's rule). */
function merge(base: Entry, over: Entry): Entry {
  const out: Entry = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object"
        ? merge(b as Entry, v as Entry)
        : v;
  }
  return out;
}

/** The clouds.yaml entry of `name`, with secure.yaml merged, and where it is. */
export function loadCloudEntry(
  name: string,
  origin: string,
  env: Record<string, string | undefined>,
  cwd: string,
  home: string,
  exists: (f: string) => boolean = fs.existsSync,
): { entry: Entry; where: string } {
  const dirs = configDirs(cwd, home);
  const file =
    env.OS_CLIENT_CONFIG_FILE && exists(env.OS_CLIENT_CONFIG_FILE)
      ? env.OS_CLIENT_CONFIG_FILE
      : findFile(dirs, ["clouds.yaml", "clouds.yml"], exists);
  if (!file)
    throw new CloudConfigError(
      `cloud "${name}" (${origin}): no clouds.yaml found (looked in ${[
        ...(env.OS_CLIENT_CONFIG_FILE
          ? [`OS_CLIENT_CONFIG_FILE=${env.OS_CLIENT_CONFIG_FILE}`]
          : []),
        ...dirs,
      ].join(", ")})`,
    );
  const clouds = readClouds(file);
  const entry = clouds[name];
  if (!entry || typeof entry !== "object")
    throw new CloudConfigError(
      `cloud "${name}" (${origin}) is not in ${file}; it has: ${Object.keys(clouds).join(", ") || "none"}`,
    );
  const secureFile =
    env.OS_CLIENT_SECURE_FILE && exists(env.OS_CLIENT_SECURE_FILE)
      ? env.OS_CLIENT_SECURE_FILE
      : findFile(dirs, ["secure.yaml", "secure.yml"], exists);
  const secure = secureFile ? readClouds(secureFile)[name] : undefined;
  return {
    entry: secure ? merge(entry, secure) : entry,
    where: `clouds.yaml entry "${name}" in ${file}${secure ? ` (+ ${secureFile})` : ""}`,
  };
}

function normaliseInterface(v: string, what: string): Interface {
  const s = v.toLowerCase().replace(/url$/, "");
  if (s === "public" || s === "internal" || s === "admin") return s;
  throw new CloudConfigError(`${what}: "${v}" is not an interface (public, internal or admin)`);
}

function normaliseAuthType(v: string, what: string): AuthType {
  switch (v) {
    case "password":
    case "v3password":
      return "password";
    case "v3applicationcredential":
    case "applicationcredential":
      return "v3applicationcredential";
    case "token":
    case "v3token":
      return "token";
    default:
      throw new CloudConfigError(
        `${what}: auth type "${v}" is not supported; use password, v3applicationcredential or token`,
      );
  }
}

function firstEnv(
  env: Record<string, string | undefined>,
  names: readonly string[],
): { value: string; name: string } | undefined {
  // Like gophercloud, the later name wins (OS_PROJECT_NAME over OS_TENANT_NAME is listed first here).
  for (const name of names) {
    const value = str(env[name]);
    if (value !== undefined) return { value, name };
  }
  return undefined;
}

/** Resolves the one connection of this run. Throws CloudConfigError naming the setting and its source. */
export function resolveCloud(input: ResolveInput = {}): ResolvedCloud {
  const config = Object.fromEntries(
    Object.entries(input.config ?? {}).filter(([, v]) => v !== undefined && v !== ""),
  ) as Record<string, string>;
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const home = input.home ?? os.homedir();

  for (const key of ["endpointOverrides", "systemScope", "swauth"])
    if (config[key] !== undefined)
      throw new CloudConfigError(
        `stack config openstack:${key} is not supported: the runner and the build stack could not follow it`,
      );
  const configAuthKeys = CONFIG_AUTH_KEYS.filter((k) => config[k] !== undefined);
  const cloudName = config.cloud ?? str(env.OS_CLOUD);
  const cloudOrigin = config.cloud ? "stack config openstack:cloud" : "OS_CLOUD";

  const values: Partial<Record<Field, string>> = {};
  const from: Partial<Record<Field, string>> = {};
  let entry: Entry = {};
  let source: string;

  if (cloudName) {
    if (configAuthKeys.length > 0) {
      throw new CloudConfigError(
        config.cloud
          ? `stack config sets both openstack:cloud (${config.cloud}) and credentials (${configAuthKeys.map((k) => `openstack:${k}`).join(", ")}); the OpenStack provider would ignore the credentials: use one or the other`
          : `OS_CLOUD=${cloudName} is set in the environment and the stack config sets credentials (${configAuthKeys.map((k) => `openstack:${k}`).join(", ")}); the OpenStack provider would use OS_CLOUD and ignore them: unset OS_CLOUD (or remove the openstack:* credentials)`,
      );
    }
    const loaded = loadCloudEntry(cloudName, cloudOrigin, env, cwd, home);
    entry = loaded.entry;
    source = loaded.where;
    const auth = (entry.auth ?? {}) as Record<string, unknown>;
    for (const [field, where] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
      const v = str(auth[where.yaml]);
      if (v !== undefined) {
        values[field] = v;
        from[field] = `${source}, auth.${where.yaml}`;
      }
    }
  } else {
    source = configAuthKeys.length > 0 ? "stack config openstack:*" : "OS_* variables";
    for (const [field, where] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
      const v = str(config[where.config]);
      if (v !== undefined) {
        values[field] = v;
        from[field] = `stack config openstack:${where.config}`;
      }
    }
  }

  // 2. What the chosen source leaves unset comes from the environment.
  const chosen = new Set(Object.keys(values) as Field[]);
  for (const [field, where] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
    if (values[field] !== undefined) continue;
    const e = firstEnv(env, where.env);
    if (e) {
      values[field] = e.value;
      from[field] = `environment ${e.name}`;
    }
  }
  if (chosen.size > 0) {
    for (const [a, b] of PAIRS) {
      for (const [mine, theirs] of [
        [a, b],
        [b, a],
      ] as const) {
        if (chosen.has(mine) && !chosen.has(theirs) && values[theirs] !== undefined)
          throw new CloudConfigError(
            `${from[mine]} sets ${mine} "${values[mine]}" but ${from[theirs]} sets ${theirs} "${values[theirs]}": the OpenStack provider would take both and could act as another ${a
              .replace(/(Name|Id)$/, "")
              .replace(/([A-Z])/g, " $1")
              .toLowerCase()}; unset ${from[theirs]!.replace("environment ", "")} or set ${theirs} in ${source} too`,
          );
      }
    }
  }

  const authUrl = values.authUrl;
  if (!authUrl) {
    throw new CloudConfigError(
      cloudName
        ? `${source} has no auth.auth_url (and OS_AUTH_URL is not set)`
        : "no OpenStack credentials: set OS_CLOUD (with a clouds.yaml), the OS_* variables of an openrc file, or openstack:authUrl and the other credentials in the stack config",
    );
  }
  if (!/^https?:\/\//.test(authUrl))
    throw new CloudConfigError(`${from.authUrl}: auth URL "${authUrl}" is not an http(s) URL`);

  const authTypeRaw = str(entry.auth_type) ?? str(env.OS_AUTH_TYPE);
  const authType = authTypeRaw
    ? normaliseAuthType(
        authTypeRaw,
        str(entry.auth_type) ? `${source}, auth_type` : "environment OS_AUTH_TYPE",
      )
    : values.applicationCredentialId || values.applicationCredentialSecret
      ? "v3applicationcredential"
      : values.token && !values.password
        ? "token"
        : "password";

  const missing = (what: string) =>
    new CloudConfigError(`${source}: ${authType} auth needs ${what}, which is not set`);
  if (authType === "password") {
    if (!values.password) throw missing("a password (auth.password, OS_PASSWORD)");
    if (!values.username && !values.userId) throw missing("a user name or id");
  } else if (authType === "v3applicationcredential") {
    if (!values.applicationCredentialSecret) throw missing("the application credential secret");
    if (!values.applicationCredentialId && !values.applicationCredentialName)
      throw missing("the application credential id (or name + user)");
    if (!values.applicationCredentialId && !values.username && !values.userId)
      throw missing("the user of the application credential named by name");
  } else if (!values.token) throw missing("a token (auth.token, OS_TOKEN)");

  // Domains: the user's and the project's, else domain_*, else default_domain (an id), else "default".
  const defaultDomainId = values.defaultDomain;
  const domain = (name?: string, id?: string) =>
    name || id
      ? { name: id ? undefined : name, id }
      : values.domainId || values.domainName
        ? { name: values.domainId ? undefined : values.domainName, id: values.domainId }
        : defaultDomainId
          ? { id: defaultDomainId }
          : { name: "Default" };
  const userDomain = domain(values.userDomainName, values.userDomainId);
  const projectDomain = domain(values.projectDomainName, values.projectDomainId);

  const pick = (
    configKey: string,
    envNames: string[],
    yamlKey: string,
  ): { value: string; what: string } | undefined => {
    if (config[configKey] !== undefined)
      return { value: config[configKey], what: `stack config openstack:${configKey}` };
    const e = firstEnv(env, envNames);
    if (e) return { value: e.value, what: `environment ${e.name}` };
    const y = entry[yamlKey];
    if (y !== undefined && y !== null && y !== "")
      return { value: String(y), what: `${source}, ${yamlKey}` };
    return undefined;
  };
  const iface = pick("endpointType", ["OS_ENDPOINT_TYPE", "OS_INTERFACE"], "interface");
  const region = pick("region", ["OS_REGION_NAME"], "region_name");
  const cacert = pick("cacertFile", ["OS_CACERT"], "cacert");
  const cert = pick("cert", ["OS_CERT"], "cert");
  const key = pick("key", ["OS_KEY"], "key");
  let insecure: boolean | undefined;
  if (config.insecure !== undefined)
    insecure = bool(config.insecure, "stack config openstack:insecure");
  else if (str(env.OS_INSECURE) !== undefined)
    insecure = bool(env.OS_INSECURE, "environment OS_INSECURE");
  else if (entry.verify !== undefined) {
    const verify = bool(entry.verify, `${source}, verify`);
    insecure = verify === undefined ? undefined : !verify;
  } else if (entry.insecure !== undefined) insecure = bool(entry.insecure, `${source}, insecure`);

  const file = (p: { value: string; what: string } | undefined) => {
    if (!p) return undefined;
    const abs = path.resolve(cwd, p.value.replace(/^~(?=\/)/, home));
    if (!fs.existsSync(abs))
      throw new CloudConfigError(`${p.what}: file ${p.value} does not exist`);
    return abs;
  };

  const connection: CloudConnection = {
    authUrl: authUrl.replace(/\/+$/, ""),
    authType,
    username: values.username,
    userId: values.userId,
    userDomainName: userDomain.name,
    userDomainId: userDomain.id,
    projectName: values.projectName,
    projectId: values.projectId,
    projectDomainName: projectDomain.name,
    projectDomainId: projectDomain.id,
    applicationCredentialId: values.applicationCredentialId,
    applicationCredentialName: values.applicationCredentialName,
    regionName: region?.value,
    interface: iface ? normaliseInterface(iface.value, iface.what) : "public",
    tls: {
      caFile: file(cacert),
      certFile: file(cert),
      keyFile: file(key),
      insecure,
    },
    source,
  };
  const secrets: CloudSecrets = {};
  if (authType === "password") secrets.password = values.password;
  if (authType === "v3applicationcredential")
    secrets.applicationCredentialSecret = values.applicationCredentialSecret;
  if (authType === "token") secrets.token = values.token;
  return { connection: dropUndefined(connection), secrets };
}

function dropUndefined<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (v === undefined) delete out[k];
    else if (v && typeof v === "object" && !Array.isArray(v))
      out[k] = dropUndefined(v as Record<string, unknown>);
  }
  return out as T;
}

// ------------------------------------------------------------------ consumers

/** `openstack:*` keys of the connection (provider config names), with which ones are secret. */
export function providerConfig(
  cloud: ResolvedCloud,
): { key: string; value: string; secret: boolean }[] {
  const c = cloud.connection;
  const out: { key: string; value: string; secret: boolean }[] = [];
  const add = (key: string, value: string | undefined, secret = false) => {
    if (value !== undefined && value !== "") out.push({ key, value, secret });
  };
  add("authUrl", c.authUrl);
  add("userName", c.username);
  add("userId", c.userId);
  add("tenantName", c.projectName);
  add("tenantId", c.projectId);
  add("userDomainName", c.userDomainName);
  add("userDomainId", c.userDomainId);
  add("projectDomainName", c.projectDomainName);
  add("projectDomainId", c.projectDomainId);
  add("applicationCredentialId", c.applicationCredentialId);
  add("applicationCredentialName", c.applicationCredentialName);
  add("region", c.regionName);
  add("endpointType", c.interface);
  add("cacertFile", c.tls.caFile);
  add("cert", c.tls.certFile);
  add("key", c.tls.keyFile);
  if (c.tls.insecure !== undefined) add("insecure", String(c.tls.insecure));
  add("password", cloud.secrets.password, true);
  add("applicationCredentialSecret", cloud.secrets.applicationCredentialSecret, true);
  add("token", cloud.secrets.token, true);
  return out;
}

/**
 * Variables an OpenStack client process would read on its own; a process that
 * gets the connection explicitly (the build stack's engine) gets them blanked,
 * so nothing but the resolved connection can reach its provider.
 */
export const OS_ENVIRONMENT = [
  "OS_CLOUD",
  "OS_CLIENT_CONFIG_FILE",
  "OS_CLIENT_SECURE_FILE",
  "OS_AUTH_TYPE",
  "OS_IDENTITY_API_VERSION",
  "OS_ENDPOINT_TYPE",
  "OS_INTERFACE",
  "OS_REGION_NAME",
  "OS_CACERT",
  "OS_CERT",
  "OS_KEY",
  "OS_INSECURE",
  "OS_SYSTEM_SCOPE",
  ...new Set(Object.values(FIELDS).flatMap((f) => f.env)),
];

/** The connection as one JSON value (plain: no secrets in it). */
export function encodeConnection(c: CloudConnection): string {
  return JSON.stringify(c);
}

export function decodeConnection(text: string): CloudConnection {
  const c = JSON.parse(text) as CloudConnection;
  if (!c || typeof c.authUrl !== "string" || !c.authType)
    throw new Error("the cloud connection passed to this runner is not readable");
  return { ...c, tls: c.tls ?? {} };
}

/** How a connection is named in messages: `project staging (user u) at https://...`. */
export function describeConnection(c: CloudConnection): string {
  const project = c.projectName ?? c.projectId;
  return `${project ? `project ${project}` : "no project scope"} at ${c.authUrl}${c.regionName ? `, region ${c.regionName}` : ""}, ${c.interface} endpoints (${c.source})`;
}
