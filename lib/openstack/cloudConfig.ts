import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** The parts of an OpenStack cloud entry this program needs to talk to the APIs. */
export interface CloudAuth {
  authUrl: string;
  authType: "password" | "v3applicationcredential";
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  regionName?: string;
  interface: string;
}

/** Where openstacksdk (and so the CLI and the Terraform provider) look for clouds.yaml. */
export function cloudsYamlCandidates(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const list: string[] = [];
  if (env.OS_CLIENT_CONFIG_FILE) list.push(env.OS_CLIENT_CONFIG_FILE);
  list.push(
    path.join(cwd, "clouds.yaml"),
    path.join(os.homedir(), ".config", "openstack", "clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  );
  return list;
}

type Entry = Record<string, unknown> & { auth?: Record<string, unknown> };

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
}

/**
 * Credentials as the OpenStack tools read them: the `OS_CLOUD` entry of
 * clouds.yaml (merged with secure.yaml beside it), or else `OS_*` variables.
 */
export function loadCloudAuth(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CloudAuth {
  const cloudName = env.OS_CLOUD;
  if (cloudName) {
    const file = cloudsYamlCandidates(env, cwd).find((f) => fs.existsSync(f));
    if (!file) {
      throw new Error(
        `OS_CLOUD=${cloudName} is set but no clouds.yaml was found (looked in ${cloudsYamlCandidates(env, cwd).join(", ")})`,
      );
    }
    const clouds = (parse(fs.readFileSync(file, "utf8")) ?? {}).clouds ?? {};
    const entry = clouds[cloudName] as Entry | undefined;
    if (!entry) {
      throw new Error(
        `cloud "${cloudName}" (OS_CLOUD) is not in ${file}; it has: ${Object.keys(clouds).join(", ") || "none"}`,
      );
    }
    const secureFile = path.join(path.dirname(file), "secure.yaml");
    const secure = fs.existsSync(secureFile)
      ? (((parse(fs.readFileSync(secureFile, "utf8")) ?? {}).clouds ?? {})[cloudName] ?? {})
      : {};
    return fromEntry(
      { ...entry, ...secure, auth: { ...(entry.auth ?? {}), ...(secure.auth ?? {}) } },
      env,
    );
  }
  if (!env.OS_AUTH_URL) {
    throw new Error(
      "no OpenStack credentials: set OS_CLOUD (with a clouds.yaml) or the OS_* variables of an openrc file",
    );
  }
  return fromEntry(
    {
      auth_type: env.OS_AUTH_TYPE,
      region_name: env.OS_REGION_NAME,
      interface: env.OS_INTERFACE,
      auth: {
        auth_url: env.OS_AUTH_URL,
        username: env.OS_USERNAME,
        user_id: env.OS_USER_ID,
        password: env.OS_PASSWORD,
        user_domain_name: env.OS_USER_DOMAIN_NAME,
        user_domain_id: env.OS_USER_DOMAIN_ID,
        project_name: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME,
        project_id: env.OS_PROJECT_ID ?? env.OS_TENANT_ID,
        project_domain_name: env.OS_PROJECT_DOMAIN_NAME,
        project_domain_id: env.OS_PROJECT_DOMAIN_ID,
        application_credential_id: env.OS_APPLICATION_CREDENTIAL_ID,
        application_credential_name: env.OS_APPLICATION_CREDENTIAL_NAME,
        application_credential_secret: env.OS_APPLICATION_CREDENTIAL_SECRET,
      },
    },
    env,
  );
}

function fromEntry(entry: Entry, env: NodeJS.ProcessEnv): CloudAuth {
  const auth = entry.auth ?? {};
  const authType =
    str(entry.auth_type) ??
    (auth.application_credential_id || auth.application_credential_secret
      ? "v3applicationcredential"
      : "password");
  if (
    authType !== "password" &&
    authType !== "v3password" &&
    authType !== "v3applicationcredential"
  ) {
    throw new Error(
      `auth_type "${authType}" is not supported; use password or v3applicationcredential`,
    );
  }
  const authUrl = str(auth.auth_url);
  if (!authUrl) throw new Error("the cloud entry has no auth.auth_url");
  return {
    authUrl,
    authType: authType === "v3applicationcredential" ? "v3applicationcredential" : "password",
    username: str(auth.username),
    userId: str(auth.user_id),
    password: str(auth.password),
    userDomainName: str(auth.user_domain_name) ?? str(auth.domain_name),
    userDomainId: str(auth.user_domain_id) ?? str(auth.domain_id),
    projectName: str(auth.project_name),
    projectId: str(auth.project_id),
    projectDomainName: str(auth.project_domain_name) ?? str(auth.domain_name),
    projectDomainId: str(auth.project_domain_id) ?? str(auth.domain_id),
    applicationCredentialId: str(auth.application_credential_id),
    applicationCredentialName: str(auth.application_credential_name),
    applicationCredentialSecret: str(auth.application_credential_secret),
    regionName: env.OS_REGION_NAME ?? str(entry.region_name),
    interface: str(entry.interface) ?? "public",
  };
}
