import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { ENV, type BuilderRef } from "../lib/protocol";
import { runnerShellCommand } from "../runner/launch";

/**
 * The builder guard of one build key: a command that does nothing when it
 * is created and, when it is deleted, removes whatever the key's build stack
 * still holds (runner mode `clear`).
 *
 * Why: a `pulumi up` killed with its machine leaves the per-image command as
 * a pending create, which never reaches the state, so a later `pulumi
 * destroy` would not run its delete and the builder would stay. The guard is
 * created before the build starts (the build depends on it) and only names
 * the builder, so settings that change no builder leave it alone.
 */
export function builderGuard(
  name: string,
  ref: BuilderRef,
  runnerEnvironment: Record<string, string>,
  parent: pulumi.Resource,
  /** Secret: the cloud's credentials for the clear-up (components/cloud.ts). */
  stdin?: pulumi.Input<string>,
): command.local.Command {
  const clear = runnerShellCommand("runner/main", ["clear"]);
  return new command.local.Command(
    name,
    {
      dir: clear.dir,
      create: "true",
      delete: clear.command,
      environment: { ...runnerEnvironment, [ENV.builderRef]: JSON.stringify(ref) },
      stdin,
      addPreviousOutputInEnv: false,
    },
    { parent },
  );
}
