import * as pulumi from "@pulumi/pulumi";
import { decodeConfig, resolveStackConfig } from "./resolve";
import { readStackConfigFile, secretConfigPaths } from "./secrets";
import { isPromotionConfig, resolvePromotionConfig, type PromotionSettings } from "./promotion";
import type { StackSettings } from "./types";
import { resolveCloud, type ResolvedCloud } from "../openstack/connection";

/** What a stack does: build images (staging), or promote images another stack built (production). */
export type StackPlan =
  { kind: "build"; settings: StackSettings } | { kind: "promote"; settings: PromotionSettings };

/**
 * Reads this project's whole stack config once and checks it. On bad config
 * this throws a RunError (a clean message, no stack trace) before the program
 * has registered a single resource.
 */
export function loadStackPlan(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): StackPlan {
  const namespace = pulumi.getProject();
  const all = pulumi.runtime.allConfig();
  const values = decodeConfig(all, namespace);
  const secretPaths = secretConfigPaths(
    Object.keys(all).filter(isConfigSecret),
    namespace,
    readStackConfigFile(cwd, pulumi.getStack()),
  );
  try {
    return isPromotionConfig(values)
      ? { kind: "promote", settings: resolvePromotionConfig(values, namespace) }
      : {
          kind: "build",
          settings: resolveStackConfig(values, { env, cwd, namespace, secretPaths }),
        };
  } catch (err) {
    throw asRunError(err);
  }
}

/** Whether Pulumi marks a full config key (`ns:key`) secret; the SDK's own check. */
function isConfigSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(fullKey) ?? false;
}

/** Config problems end the run with their message only, as Pulumi shows a RunError. */
export function asRunError(err: unknown): unknown {
  return err instanceof Error && err.name === "ConfigError"
    ? new pulumi.RunError(err.message)
    : err;
}

/** The `openstack:*` stack config (provider settings), keys without the namespace. */
export function openstackConfig(
  all: Record<string, string> = pulumi.runtime.allConfig(),
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith("openstack:"))
      .map(([k, v]) => [k.slice("openstack:".length), v]),
  );
}

/**
 * The run's one cloud connection (lib/openstack/connection.ts): from the
 * `openstack:*` stack config, OS_CLOUD + clouds.yaml and the OS_* variables.
 * Bad settings end the run here, before anything is created, naming the
 * setting and where it came from.
 */
export function loadCloud(
  all: Record<string, string> = pulumi.runtime.allConfig(),
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): ResolvedCloud {
  try {
    return resolveCloud({ config: openstackConfig(all), env, cwd });
  } catch (err) {
    throw asRunError(err);
  }
}

/** The promotion source's connection: its clouds.yaml entry, the same rules otherwise. */
export function loadSourceCloud(
  cloudName: string,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): ResolvedCloud {
  try {
    return resolveCloud({ config: { cloud: cloudName }, env, cwd });
  } catch (err) {
    throw asRunError(err);
  }
}
