import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { ApplianceDigest } from "../lib/fingerprint";
import type { BuildSpec } from "../lib/config/types";
import { parseResult, type BuildRequest, type BuildResult } from "../runner/request";
import { contentInputs, fingerprintOf, rebuildTriggers } from "../lib/triggers";

/** This project's root (where runner/ and node_modules/ are). */
const PROJECT_ROOT = path.resolve(__dirname, "..");

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
  /** Extra environment for the runner (OS_CLOUD from `openstack:cloud`, ...). */
  runnerEnvironment?: Record<string, string>;
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
        contentInputs(spec, sourceImageId, args.appliance.digest, args.extraVarsFileDigest),
      );
    this.fingerprint = content.apply(fingerprintOf);
    this.sourceImageId = pulumi.output(args.sourceImageId);
    this.inventoryGroups = spec.inventoryGroups;

    // The request holds settings only; what changes per build (source and
    // fingerprint) has variables of its own, so a preview diff stays short.
    const request: Omit<BuildRequest, "sourceImageId" | "fingerprint"> = {
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
    const environment: Record<string, pulumi.Input<string>> = {
      ...(args.runnerEnvironment ?? {}),
      IMAGE_BUILD_REQUEST: JSON.stringify(request),
      IMAGE_BUILD_SOURCE_IMAGE_ID: this.sourceImageId,
      IMAGE_BUILD_FINGERPRINT: this.fingerprint,
    };
    // Secrets go through stdin: a secret in `environment` would make the whole
    // map secret and hide the request from `pulumi preview --diff`.
    const stdin = args.vaultPassword
      ? pulumi.secret(
          args.vaultPassword.apply((vaultPassword) => JSON.stringify({ vaultPassword })),
        )
      : undefined;

    const build = (this.command = new command.local.Command(
      `${name}-image`,
      {
        // The runner lives in this project; only `dir` names the checkout, so
        // moving it shows as an update (properties re-applied), never a rebuild.
        interpreter: ["node", "--import", "tsx", "runner/main.ts"],
        dir: PROJECT_ROOT,
        create: "build",
        update: "update",
        delete: "delete",
        environment,
        stdin,
        triggers: [content.apply(rebuildTriggers)],
      },
      { parent: this },
    ));
    // Image ids and names are not secret, even when the command's inputs are.
    this.result = pulumi
      .unsecret(build.stdout)
      .apply((stdout) => (stdout ? parseResult(stdout) : undefined));
    this.imageId = this.result.apply((r) => r?.imageId ?? "");
    this.imageName = this.result.apply((r) => r?.imageName ?? "");
    this.registerOutputs({
      imageId: this.imageId,
      imageName: this.imageName,
      fingerprint: this.fingerprint,
      sourceImageId: this.sourceImageId,
    });
  }
}
