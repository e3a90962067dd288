import { TIMING_NAMES } from "../lib/protocol";

/** The per-build summary the demo and the benchmarks print. */
export type ImagesOutput = Record<
  string,
  {
    imageId: string;
    imageName: string;
    build?: { timings: Record<string, number>; builtAt: string };
  }
>;

export function formatSummary(images: ImagesOutput): string {
  const rows = Object.entries(images).map(([key, image]) => {
    const t = image.build?.timings ?? {};
    const steps = TIMING_NAMES.filter((s) => t[s] !== undefined).map((s) => `${s} ${t[s]}s`);
    return `  ${key}: ${image.imageName} (${image.imageId})\n      ${steps.join(", ") || "no timings (image reused)"}`;
  });
  return `Builds, seconds per step (provision includes ansible; cloud = time waiting on the cloud):\n${rows.join("\n")}`;
}
