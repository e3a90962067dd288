/**
 * Slurm appliance images on OpenStack: reads the stack config once, builds
 * every image through the ImageSet component, exports what the cluster's
 * OpenTofu reads. See README.md for the configuration reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackSettings, runnerCloudEnvironment } from "./lib/config/load";
import { ImageSet } from "./components/ImageSet";

const settings = loadStackSettings();
const imageSet = new ImageSet("images", {
  settings,
  project: pulumi.getProject(),
  stack: pulumi.getStack(),
  runnerEnvironment: runnerCloudEnvironment(),
});

/** Per build key: image id, name, fingerprint, source image id, inventory groups. */
export const images = imageSet.outputs();
/** The default build's image id: the appliance's `cluster_image_id`. */
export const cluster_image_id = imageSet.builds[settings.defaultBuild].imageId;
/** Build key → image name: the shape of the appliance's `cluster_image.auto.tfvars.json`. */
export const cluster_image = Object.fromEntries(
  Object.entries(imageSet.builds).map(([key, build]) => [key, build.imageName]),
);
