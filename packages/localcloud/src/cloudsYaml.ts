// <stateDir>/clouds.yaml: how clients (openstack CLI, gophercloud, our runner) reach the cloud.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";
import { REGION } from "./keystone";
import type { Records } from "./state";

/** Names of the clouds.yaml entries. */
export const CLOUD_NAMES = {
  /** Password auth, project staging. */
  staging: "localcloud",
  /** Password auth, project production. */
  production: "localcloud-production",
  /** Application credential of project staging. */
  appcred: "localcloud-appcred",
  /** Password auth of a user of domain `hpc`, project staging (domain Default). */
  domain: "localcloud-domain",
};

/** Writes clouds.yaml (mode 0600); returns its path. */
export function writeCloudsYaml(
  stateDir: string,
  /** Keystone's v3 URL. */
  authUrl: string,
  records: Records,
  caFile?: string,
): string {
  const project = (name: string) => records.projects.find((p) => p.name === name)!;
  const staging = project("staging");
  const production = project("production");
  const userOf = (projectId: string) =>
    records.users.find((u) => u.project_id === projectId && u.domain_id === "default")!;
  const domainUser = records.users.find((u) => u.domain_id === "hpc")!;
  const appcred = records.appCredentials.find((a) => a.project_id === staging.id)!;
  const common = {
    region_name: REGION,
    interface: "public",
    identity_api_version: 3,
    ...(caFile ? { cacert: caFile } : {}),
  };
  const passwordEntry = (projectId: string, projectName: string) => ({
    auth: {
      auth_url: authUrl,
      username: userOf(projectId).name,
      password: userOf(projectId).password,
      project_name: projectName,
      user_domain_name: "Default",
      project_domain_name: "Default",
    },
    ...common,
  });
  const path = join(stateDir, "clouds.yaml");
  writeFileSync(
    path,
    toYaml({
      clouds: {
        [CLOUD_NAMES.staging]: passwordEntry(staging.id, "staging"),
        [CLOUD_NAMES.production]: passwordEntry(production.id, "production"),
        [CLOUD_NAMES.domain]: {
          auth: {
            auth_url: authUrl,
            username: domainUser.name,
            password: domainUser.password,
            project_name: "staging",
            user_domain_name: "hpc",
            project_domain_name: "Default",
          },
          ...common,
        },
        [CLOUD_NAMES.appcred]: {
          auth_type: "v3applicationcredential",
          auth: {
            auth_url: authUrl,
            application_credential_id: appcred.id,
            application_credential_secret: appcred.secret,
          },
          ...common,
        },
      },
    }),
    { mode: 0o600 },
  );
  return path;
}
