import { resolveCloud, type CloudConnection, type CloudSecrets } from "./connection";

/** What the REST client needs: the resolved connection and its secrets. */
export type CloudAuth = CloudConnection & CloudSecrets;

/** The connection and its secrets as one value for the client. */
export function cloudAuth(connection: CloudConnection, secrets: CloudSecrets): CloudAuth {
  return { ...connection, ...secrets };
}

/**
 * Credentials as the OpenStack tools read them, without stack config:
 * `OS_CLOUD` + clouds.yaml/secure.yaml, else the `OS_*` variables
 * (lib/openstack/connection.ts has the rules).
 */
export function loadCloudAuth(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CloudAuth {
  const { connection, secrets } = resolveCloud({ env, cwd });
  return cloudAuth(connection, secrets);
}
