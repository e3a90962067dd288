import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ApplianceDigest } from "../lib/fingerprint";
import type { BuiltImage } from "../lib/pins";
import type { BuildSpec } from "../lib/config/types";
import {
  builderRefOf,
  buildRequestEnvironment,
  encodeBuildSecrets,
  parseResult,
  type BuildRequest,
  type BuildResult,
  type BuildSettings,
} from "../lib/protocol";
import { contentInputs, fingerprintOf, rebuildTriggers } from "../lib/triggers";
import { builderGuard } from "./builderGuard";
import type { RunnerCloud } from "./cloud";
import { runnerCommand } from "./runnerCommand";

/** Stack outputs per build, in the shape the README documents. */
export interface ImageOutputs {
  imageId: pulumi.Output<string>;
  imageName: pulumi.Output<string>;
  fingerprint: pulumi.Output<string>;
  sourceImageId: pulumi.Output<string>;
  inventoryGroups: string[];
  /** How the image was built: commit, time, seconds per step, when Ansible ran. */
  build: pulumi.Output<
    Pick<BuildResult, "gitCommit" | "builtAt" | "timings" | "ansibleWindow"> | undefined
  >;
  /** Every image of this key the stack keeps, newest first: what a promoting stack may pin. */
  history: pulumi.Output<BuiltImage[]>;
}

export interface ImageBuildArgs {
  project: string;
  stack: string;
  spec: BuildSpec;
  /** The cloud image, or the image of the build this one starts from. */
  sourceImageId: pulumi.Input<string>;
  appliance: { repoRoot: string; environmentRoot: string; digest: ApplianceDigest };
  extraVarsFileDigest?: string;
  buildState: BuildRequest["buildState"];
  manifestOutputPath?: string;
  /** Secret. */
  vaultPassword?: pulumi.Output<string>;
  /** extraVars set with `--secret`: the values (secret) and their digests (for the triggers). */
  secretExtraVars?: {
    /** Secret: the values as JSON. */
    json: pulumi.Output<string>;
    digests: Record<string, string>;
  };
  /** See StackSettings.addPreviousOutputInEnv. */
  addPreviousOutputInEnv?: boolean;
  /** The cloud connection for the runner (components/cloud.ts): plain environment, secrets for stdin. */
  cloud?: RunnerCloud;
}

/**
 * One image. The main stack holds only this: a command whose create builds
 * the image in a short-lived build stack (keypair, volume, server, Ansible;
 * see runner/) and whose triggers are everything that decides the image's
 * content, so the preview shows what changed and a change means a rebuild.
 */
export class ImageBuild extends pulumi.ComponentResource {
  readonly imageId: pulumi.Output<string>;
  readonly imageName: pulumi.Output<string>;
  readonly fingerprint: pulumi.Output<string>;
  readonly sourceImageId: pulumi.Output<string>;
  readonly inventoryGroups: string[];
  readonly result: pulumi.Output<BuildResult | undefined>;
  /** The per-image command (exposed for tests and for `dependsOn`). */
  readonly command: command.local.Command;

  constructor(name: string, args: ImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:index:ImageBuild", name, {}, opts);
    const { spec } = args;
    const content = pulumi
      .output(args.sourceImageId)
      .apply((sourceImageId) =>
        contentInputs(
          spec,
          sourceImageId,
          args.appliance.digest,
          args.extraVarsFileDigest,
          args.secretExtraVars?.digests,
        ),
      );
    this.fingerprint = content.apply(fingerprintOf);
    this.sourceImageId = pulumi.output(args.sourceImageId);
    this.inventoryGroups = spec.inventoryGroups;

    // The request holds settings only; what changes per build (source and
    // fingerprint) has variables of its own, so a preview diff stays short.
    const settings: BuildSettings = {
      project: args.project,
      stack: args.stack,
      spec,
      appliance: {
        repoRoot: args.appliance.repoRoot,
        environmentRoot: args.appliance.environmentRoot,
      },
      buildState: args.buildState,
      manifestOutputPath: args.manifestOutputPath,
    };
    // Secrets go through stdin: a secret in `environment` would make the whole
    // map secret and hide the request from `pulumi preview --diff`.
    // The cloud's password, application credential secret or token too: a
    // change of it is an update (stdin is no trigger), never a rebuild.
    const cloudSecrets =
      args.cloud && Object.keys(args.cloud.secrets).length > 0 ? args.cloud.secrets : undefined;
    const stdin =
      args.vaultPassword || args.secretExtraVars || cloudSecrets
        ? pulumi.secret(
            pulumi
              .all([args.vaultPassword, args.secretExtraVars?.json])
              .apply(([vaultPassword, extraVarsJson]) =>
                encodeBuildSecrets({
                  vaultPassword,
                  secretExtraVars: extraVarsJson ? JSON.parse(extraVarsJson) : undefined,
                  cloud: cloudSecrets,
                }),
              ),
          )
        : undefined;

    const guard = builderGuard(
      `${name}-builder`,
      builderRefOf(settings),
      args.cloud?.environment ?? {},
      this,
      cloudSecrets && pulumi.secret(encodeBuildSecrets({ cloud: cloudSecrets })),
    );
    const runner = runnerCommand(
      `${name}-image`,
      {
        script: "runner/main",
        modes: { create: "build", update: "update", delete: "delete" },
        environment: {
          ...(args.cloud?.environment ?? {}),
          ...buildRequestEnvironment<pulumi.Input<string>>(
            settings,
            this.sourceImageId,
            this.fingerprint,
          ),
        },
        stdin,
        triggers: [content.apply(rebuildTriggers)],
        addPreviousOutputInEnv: args.addPreviousOutputInEnv,
        parseResult,
      },
      this,
      [guard],
    );
    this.command = runner.command;
    this.result = runner.result;
    this.imageId = this.result.apply((r) => r?.imageId ?? "");
    this.imageName = this.result.apply((r) => r?.imageName ?? "");
    this.registerOutputs({
      imageId: this.imageId,
      imageName: this.imageName,
      fingerprint: this.fingerprint,
      sourceImageId: this.sourceImageId,
    });
  }

  /** This build's entry of the stack's `images` output. */
  outputs(): ImageOutputs {
    return {
      imageId: this.imageId,
      imageName: this.imageName,
      fingerprint: this.fingerprint,
      sourceImageId: this.sourceImageId,
      inventoryGroups: this.inventoryGroups,
      build: this.result.apply((r) =>
        r
          ? {
              gitCommit: r.gitCommit,
              builtAt: r.builtAt,
              timings: r.timings,
              ansibleWindow: r.ansibleWindow,
            }
          : undefined,
      ),
      history: this.result.apply((r) => r?.history ?? []),
    };
  }
}
