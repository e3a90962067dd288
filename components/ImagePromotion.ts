import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { PromotionMethod } from "../lib/config/promotion";
import type { CheckedPin } from "../lib/promotion";
import {
  parsePromotionResult,
  type PromotionRequest,
  type PromotionResult,
} from "../runner/promote";

const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface ImagePromotionArgs {
  stack: string;
  pin: CheckedPin;
  promoteFrom: string;
  method: PromotionMethod;
  /** clouds.yaml entry of the project that owns the pinned image. */
  sourceCloud?: string;
  /** OS_CLOUD / OS_REGION_NAME of this stack's cloud. */
  runnerEnvironment?: Record<string, string>;
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
    const environment: Record<string, string> = {
      ...(args.runnerEnvironment ?? {}),
      IMAGE_PROMOTION_REQUEST: JSON.stringify(request),
      ...(args.sourceCloud ? { IMAGE_PROMOTION_SOURCE_CLOUD: args.sourceCloud } : {}),
    };
    this.command = new command.local.Command(
      `${name}-promotion`,
      {
        interpreter: ["node", "--import", "tsx", "runner/promoteMain.ts"],
        dir: PROJECT_ROOT,
        create: "promote",
        update: "promote",
        delete: "unpromote",
        environment,
        triggers: [{ imageId: pin.imageId, method: args.method }],
      },
      { parent: this },
    );
    this.result = pulumi
      .unsecret(this.command.stdout)
      .apply((stdout) => (stdout ? parsePromotionResult(stdout) : undefined));
    this.imageId = this.result.apply((r) => r?.imageId ?? "");
    this.imageName = this.result.apply((r) => r?.imageName ?? pin.expected?.imageName ?? "");
    this.fingerprint = this.result.apply((r) => r?.fingerprint ?? pin.expected?.fingerprint ?? "");
    this.registerOutputs({ imageId: this.imageId, imageName: this.imageName });
  }
}
