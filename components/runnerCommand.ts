import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runnerLaunch } from "../runner/launch";

export interface RunnerCommandArgs<R> {
  /** The runner's entry point, relative to the code root, without extension (`runner/main`). */
  script: string;
  /** The runner's mode for each operation (its first argument). */
  modes: { create: string; update: string; delete: string };
  environment: Record<string, pulumi.Input<string>>;
  /** Secret input for the runner (JSON), when there is any. */
  stdin?: pulumi.Input<string>;
  /** What decides a replacement: shown per entry in the preview diff. */
  triggers: pulumi.Input<unknown>[];
  /** Whether update/delete get the previous stdout (PULUMI_COMMAND_STDOUT); default true. */
  addPreviousOutputInEnv?: boolean;
  /** Reads the runner's result from its stdout. */
  parseResult: (stdout: string) => R | undefined;
}

/**
 * The per-image command of the main stack: runs one of this project's
 * runners (runner/) under Node, from source with tsx or compiled
 * (runner/launch.ts), and reads the result line it prints.
 */
export function runnerCommand<R>(
  name: string,
  args: RunnerCommandArgs<R>,
  parent: pulumi.Resource,
  dependsOn: pulumi.Resource[] = [],
): { command: command.local.Command; result: pulumi.Output<R | undefined> } {
  const cmd = new command.local.Command(
    name,
    {
      // Only the interpreter and `dir` say where the code is, so moving it (or
      // going from a checkout to the package) shows as an update, never a rebuild.
      ...runnerLaunch(args.script),
      create: args.modes.create,
      update: args.modes.update,
      delete: args.modes.delete,
      environment: args.environment,
      stdin: args.stdin,
      triggers: args.triggers,
      // Unset unless turned off, so the inputs of existing stacks stay as they were.
      ...(args.addPreviousOutputInEnv === false ? { addPreviousOutputInEnv: false } : {}),
    },
    { parent, dependsOn },
  );
  // Image ids and names are not secret, even when the command's inputs are.
  const result = pulumi
    .unsecret(cmd.stdout)
    .apply((stdout) => (stdout ? args.parseResult(stdout) : undefined));
  return { command: cmd, result };
}
