/**
 * Slurm appliance images on OpenStack. A stack either builds images (staging:
 * the ImageSet component) or promotes images another stack built and tested
 * (production: one ImagePromotion per pinned key). Both export the same
 * outputs, which the cluster's OpenTofu reads (`npm run tfvars`).
 * See README.md for the configuration reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { asRunError, loadCloud, loadSourceCloud, loadStackPlan } from "./lib/config/load";
import { describeConnection, type ResolvedCloud } from "./lib/openstack/connection";
import type { PromotionSettings } from "./lib/config/promotion";
import type { StackSettings } from "./lib/config/types";
import { checkPins } from "./lib/pins";
import { ImageSet } from "./components/ImageSet";
import { ImagePromotion } from "./components/ImagePromotion";
import { checkCloud, cloudProvider, runnerCloud } from "./components/cloud";
import { buildInputs } from "./components/buildInputs";
import { preflight } from "./components/preflight";

async function buildingStack(settings: StackSettings, cloud: ResolvedCloud, projectId: string) {
  // Every OpenStack call of this stack goes through this provider, and the
  // runners get the same connection: the one resolved at the start of the run.
  const provider = cloudProvider("cloud", cloud);
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const inputs = buildInputs(settings, project, stack);
  // Awaited before any build is registered: a flavor, network, security group,
  // volume type, zone, source image or quota the cloud does not have ends the
  // run here, in `pulumi preview` too, and nothing is created.
  const checked = await preflight({
    settings,
    inputs,
    project,
    stack,
    projectId,
    cloudLabel: describeConnection(cloud.connection),
    provider,
  });
  const imageSet = new ImageSet(
    "images",
    {
      settings,
      project,
      stack,
      cloud: runnerCloud(cloud),
      inputs,
      sourceImageIds: checked.sourceImageIds,
    },
    { providers: [provider] },
  );
  return {
    /** Per build key: image id, name, fingerprint, source, groups, how it was built, kept images. */
    images: imageSet.outputs(),
    /** The default build's image id: the appliance's `cluster_image_id`. */
    cluster_image_id: imageSet.builds[settings.defaultBuild].imageId,
    /** Build key → image name: the shape of the appliance's `cluster_image.auto.tfvars.json`. */
    cluster_image: Object.fromEntries(
      Object.entries(imageSet.builds).map(([key, build]) => [key, build.imageName]),
    ),
  };
}

async function promotingStack(settings: PromotionSettings, cloud: ResolvedCloud) {
  const source = settings.sourceCloud ? loadSourceCloud(settings.sourceCloud) : undefined;
  const from = new pulumi.StackReference(settings.promoteFrom);
  // Read now, not as an Output: a bad pin must stop the run before anything is created.
  const built = await from.getOutputDetails("images");
  let pins;
  try {
    pins = checkPins(
      settings.pins,
      built.value ?? built.secretValue,
      settings.promoteFrom,
      pulumi.getProject(),
    );
  } catch (err) {
    throw asRunError(err);
  }
  const promotions = Object.fromEntries(
    pins.map((pin) => [
      pin.key,
      new ImagePromotion(pin.key, {
        stack: pulumi.getStack(),
        pin,
        promoteFrom: settings.promoteFrom,
        method: settings.method,
        sourceCloud: settings.sourceCloud,
        cloud: runnerCloud(cloud),
        source: source && runnerCloud(source),
      }),
    ]),
  );
  return {
    /** Per pinned key: the image this project uses, the pinned image, how it got here. */
    images: Object.fromEntries(pins.map((pin) => [pin.key, promotions[pin.key].outputs()])),
    cluster_image_id: promotions[settings.defaultBuild].imageId,
    cluster_image: Object.fromEntries(pins.map((pin) => [pin.key, promotions[pin.key].imageName])),
  };
}

export = async () => {
  const plan = loadStackPlan();
  // Resolved once, before anything is registered: bad cloud settings stop the run here.
  const cloud = loadCloud();
  const { projectId } = await checkCloud(cloud);
  return plan.kind === "build"
    ? buildingStack(plan.settings, cloud, projectId)
    : promotingStack(plan.settings, cloud);
};
