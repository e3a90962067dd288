import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { BuildSpec, StackSettings } from "../lib/config/types";
import type { RunnerCloud } from "./cloud";
import { buildInputs, type BuildInputs } from "./buildInputs";
import { ImageBuild, type ImageOutputs } from "./ImageBuild";

export type { ImageOutputs };

export interface ImageSetArgs {
  settings: StackSettings;
  project: string;
  stack: string;
  /** The cloud connection for the runners (components/cloud.ts). */
  cloud?: RunnerCloud;
  /** The digests the builds' content is computed from (default: computed here). */
  inputs?: BuildInputs;
  /** Source images the preflight resolved, per build key (default: looked up here by name). */
  sourceImageIds?: Record<string, string>;
}

/**
 * Every build of the stack. Chained builds take their source from the build
 * they start from, so the engine builds them after it and in parallel with
 * anything independent.
 */
export class ImageSet extends pulumi.ComponentResource {
  readonly builds: Record<string, ImageBuild> = {};

  constructor(name: string, args: ImageSetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:index:ImageSet", name, {}, opts);
    const { settings } = args;
    const inputs = args.inputs ?? buildInputs(settings, args.project, args.stack);
    const digest = inputs.digest;
    const vaultPassword = settings.vaultPassword
      ? pulumi.secret(settings.vaultPassword)
      : undefined;

    // settings.builds is in dependency order: a build's source exists before it.
    for (const spec of settings.builds) {
      this.builds[spec.key] = new ImageBuild(
        spec.key,
        {
          project: args.project,
          stack: args.stack,
          spec,
          sourceImageId: args.sourceImageIds?.[spec.key] ?? this.sourceImageId(spec),
          appliance: {
            repoRoot: settings.appliance.repoRoot,
            environmentRoot: settings.appliance.environmentRoot,
            digest,
          },
          extraVarsFileDigest: inputs.extraVarsFileDigests[spec.key],
          buildState: settings.buildState,
          manifestOutputPath: settings.manifestOutputPath,
          vaultPassword,
          secretExtraVars: inputs.secretExtraVars[spec.key],
          addPreviousOutputInEnv: settings.addPreviousOutputInEnv,
          cloud: args.cloud,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ images: this.outputs() });
  }

  private sourceImageId(spec: BuildSpec): pulumi.Input<string> {
    switch (spec.source.kind) {
      case "build":
        return this.builds[spec.source.key].imageId;
      case "imageId":
        return spec.source.id;
      case "imageName":
        // Resolved at every preview: a new upstream image with the same name rebuilds.
        // Through the stack's explicit provider (`providers` of this component).
        return openstack.images.getImageOutput(
          { name: spec.source.name, mostRecent: true },
          { parent: this, provider: this.getProvider("openstack::") },
        ).id;
    }
  }

  /** The stack's `images` output: one entry per build key. */
  outputs(): Record<string, ImageOutputs> {
    return Object.fromEntries(
      Object.entries(this.builds).map(([key, build]) => [key, build.outputs()]),
    );
  }
}
