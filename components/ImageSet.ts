import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { applianceDigest, fileDigest, secretValueDigest } from "../lib/fingerprint";
import type { BuildSpec, StackSettings } from "../lib/config/types";
import type { RunnerCloud } from "./cloud";
import { ImageBuild, type ImageBuildArgs, type ImageOutputs } from "./ImageBuild";

export type { ImageOutputs };

export interface ImageSetArgs {
  settings: StackSettings;
  project: string;
  stack: string;
  /** The cloud connection for the runners (components/cloud.ts). */
  cloud?: RunnerCloud;
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
    const digest = applianceDigest(
      settings.appliance.repoRoot,
      settings.appliance.fingerprintPaths,
      settings.appliance.fingerprintExclude,
    );
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
          sourceImageId: this.sourceImageId(spec),
          appliance: {
            repoRoot: settings.appliance.repoRoot,
            environmentRoot: settings.appliance.environmentRoot,
            digest,
          },
          extraVarsFileDigest: spec.ansible.extraVarsFile
            ? fileDigest(spec.ansible.extraVarsFile)
            : undefined,
          buildState: settings.buildState,
          manifestOutputPath: settings.manifestOutputPath,
          vaultPassword,
          secretExtraVars: this.secretExtraVars(args, spec.key),
          addPreviousOutputInEnv: settings.addPreviousOutputInEnv,
          cloud: args.cloud,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ images: this.outputs() });
  }

  /** The build's secret extraVars: values as a Pulumi secret, digests for its triggers. */
  private secretExtraVars(args: ImageSetArgs, key: string): ImageBuildArgs["secretExtraVars"] {
    const values = args.settings.secretExtraVars[key];
    if (!values) return undefined;
    return {
      json: pulumi.secret(JSON.stringify(values)),
      digests: Object.fromEntries(
        Object.entries(values).map(([name, value]) => [
          name,
          secretValueDigest(value, `${args.project}/${args.stack}/${key}/${name}`),
        ]),
      ),
    };
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
