/**
 * The run's cloud connection (lib/openstack/connection.ts) as the main
 * stack hands it on: an explicit OpenStack provider that every OpenStack
 * call of the program uses, and what the runners get — the connection as
 * plain JSON in their environment, its secrets on their stdin.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { cloudAuth } from "../lib/openstack/cloudConfig";
import { OpenStackClient } from "../lib/openstack/client";
import {
  describeConnection,
  encodeConnection,
  providerConfig,
  type CloudSecrets,
  type ResolvedCloud,
} from "../lib/openstack/connection";
import { ENV } from "../lib/protocol";

/** What a runner command gets of the connection. */
export interface RunnerCloud {
  /** Plain: shown in `pulumi preview --diff` (no credentials in it). */
  environment: Record<string, string>;
  /** Secret: travels on the runner's stdin. */
  secrets: CloudSecrets;
}

export function runnerCloud(cloud: ResolvedCloud): RunnerCloud {
  return {
    environment: { [ENV.cloud]: encodeConnection(cloud.connection) },
    secrets: cloud.secrets,
  };
}

/**
 * The main stack's OpenStack provider, with every setting of the resolved
 * connection explicit (so the provider uses what the runners use); the
 * password, application credential secret or token as secrets.
 */
export function cloudProvider(
  name: string,
  cloud: ResolvedCloud,
  opts?: pulumi.CustomResourceOptions,
): openstack.Provider {
  const args: Record<string, pulumi.Input<string | boolean>> = {};
  for (const { key, value, secret } of providerConfig(cloud)) {
    args[key] = key === "insecure" ? value === "true" : secret ? pulumi.secret(value) : value;
  }
  return new openstack.Provider(name, args as openstack.ProviderArgs, opts);
}

/**
 * Authenticates once with the resolved connection, so that a cloud that
 * can't be used (TLS, proxy, refused credentials, no project scope) stops
 * the run before anything is registered, with the cause and where the
 * settings came from. Returns the project the token is scoped to.
 */
export async function checkCloud(cloud: ResolvedCloud): Promise<{ projectId: string }> {
  const client = new OpenStackClient(cloudAuth(cloud.connection, cloud.secrets), undefined, {
    attempts: 2,
  });
  try {
    await client.ready();
  } catch (err) {
    throw new pulumi.RunError(
      `can't use the cloud (${describeConnection(cloud.connection)}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!client.projectId)
    throw new pulumi.RunError(
      `the cloud's token has no project scope (${describeConnection(cloud.connection)}): set a project`,
    );
  return { projectId: client.projectId };
}
