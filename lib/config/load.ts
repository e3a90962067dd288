import * as pulumi from "@pulumi/pulumi";
import { decodeConfig, resolveStackConfig } from "./resolve";
import type { StackSettings } from "./types";

/**
 * Reads this project's whole stack config once and checks it. On bad config
 * this throws a RunError (a clean message, no stack trace) before the program
 * has registered a single resource.
 */
export function loadStackSettings(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): StackSettings {
  const namespace = pulumi.getProject();
  const values = decodeConfig(pulumi.runtime.allConfig(), namespace);
  try {
    return resolveStackConfig(values, { env, cwd, namespace });
  } catch (err) {
    if (err instanceof Error && err.name === "ConfigError") throw new pulumi.RunError(err.message);
    throw err;
  }
}

/** `openstack:*` provider settings the build runner must use too (it talks to the same cloud). */
export function runnerCloudEnvironment(
  all: Record<string, string> = pulumi.runtime.allConfig(),
): Record<string, string> {
  const env: Record<string, string> = {};
  if (all["openstack:cloud"]) env.OS_CLOUD = all["openstack:cloud"];
  if (all["openstack:region"]) env.OS_REGION_NAME = all["openstack:region"];
  return env;
}
