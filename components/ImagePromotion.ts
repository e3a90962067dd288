import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { PromotionMethod } from "../lib/config/promotion";
import type { CheckedPin } from "../lib/pins";
import {
  encodeBuildSecrets,
  ENV,
  parsePromotionResult,
  promotionRequestEnvironment,
  type PromotionRequest,
  type PromotionResult,
} from "../lib/protocol";
import type { RunnerCloud } from "./cloud";
import { runnerCommand } from "./runnerCommand";

/** Stack outputs per pin, in the shape the README documents. */
export interface PromotionOutputs {
  imageId: pulumi.Output<string>;
  imageName: pulumi.Output<string>;
  fingerprint: pulumi.Output<string>;
  pinnedImageId: string;
  /** The stack promoted from, or "outside". */
  promotedFrom: string;
  how: pulumi.Output<string>;
}

export interface ImagePromotionArgs {
  stack: string;
  pin: CheckedPin;
  promoteFrom: string;
  method: PromotionMethod;
  /** clouds.yaml entry of the project that owns the pinned image (for messages). */
  sourceCloud?: string;
  /** This stack's cloud connection for the runner (components/cloud.ts). */
  cloud?: RunnerCloud;
  /** The connection of the project that owns the pinned image, when it is another cloud entry. */
  source?: RunnerCloud;
}

/**
 * One pinned image of a promoting stack. A command whose create shares (or
 * copies, or tags) the image into this stack's project and whose delete
 * undoes the share; its trigger is the pinned id, so bumping a pin replaces
 * exactly this resource and nothing else.
 */
export class ImagePromotion extends pulumi.ComponentResource {
  readonly imageId: pulumi.Output<string>;
  readonly imageName: pulumi.Output<string>;
  readonly fingerprint: pulumi.Output<string>;
  readonly result: pulumi.Output<PromotionResult | undefined>;
  readonly command: command.local.Command;
  private readonly pinnedOutputs: PromotionOutputs;

  constructor(name: string, args: ImagePromotionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:index:ImagePromotion", name, {}, opts);
    const { pin } = args;
    const request: PromotionRequest = {
      stack: args.stack,
      key: pin.key,
      imageId: pin.imageId,
      outside: pin.outside,
      expected: pin.expected,
      promoteFrom: args.promoteFrom,
      method: args.method,
    };
    const runner = runnerCommand(
      `${name}-promotion`,
      {
        script: "runner/promoteMain",
        modes: { create: "promote", update: "promote", delete: "unpromote" },
        environment: {
          ...(args.cloud?.environment ?? {}),
          ...(args.source
            ? { [ENV.promotionSourceConnection]: args.source.environment[ENV.cloud] }
            : {}),
          ...promotionRequestEnvironment(request, args.sourceCloud),
        },
        // Credentials on stdin: a change of them is an update, never a new promotion.
        stdin:
          args.cloud || args.source
            ? pulumi.secret(
                encodeBuildSecrets({
                  cloud: args.cloud?.secrets,
                  sourceCloud: args.source?.secrets,
                }),
              )
            : undefined,
        triggers: [{ imageId: pin.imageId, method: args.method }],
        parseResult: parsePromotionResult,
      },
      this,
    );
    this.command = runner.command;
    this.result = runner.result;
    this.imageId = this.result.apply((r) => r?.imageId ?? "");
    this.imageName = this.result.apply((r) => r?.imageName ?? pin.expected?.imageName ?? "");
    this.fingerprint = this.result.apply((r) => r?.fingerprint ?? pin.expected?.fingerprint ?? "");
    this.pinnedOutputs = {
      imageId: this.imageId,
      imageName: this.imageName,
      fingerprint: this.fingerprint,
      pinnedImageId: pin.imageId,
      promotedFrom: pin.outside ? "outside" : args.promoteFrom,
      how: this.result.apply((r) => r?.how ?? ""),
    };
    this.registerOutputs({ ...this.pinnedOutputs });
  }

  /** This pin's entry of the stack's `images` output. */
  outputs(): PromotionOutputs {
    return this.pinnedOutputs;
  }
}
