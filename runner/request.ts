import type { ApplianceSettings, BuildSpec } from "../lib/config/types";
import type { BuiltImage } from "../lib/promotion";

/**
 * What the main stack hands to the build runner for one image (as JSON in
 * IMAGE_BUILD_REQUEST). Plain data; secrets travel in separate variables.
 */
export interface BuildRequest {
  project: string;
  stack: string;
  spec: BuildSpec;
  sourceImageId: string;
  fingerprint: string;
  appliance: Pick<ApplianceSettings, "repoRoot" | "environmentRoot">;
  buildState: { backendUrl?: string; secretsProvider?: string };
  manifestOutputPath?: string;
}

/** What a build produced; printed as the runner's last line, read back by the main stack. */
export interface BuildResult {
  imageId: string;
  imageName: string;
  fingerprint: string;
  sourceImageId: string;
  inventoryGroups: string[];
  gitCommit: string;
  builtAt: string;
  /** Seconds spent in each step, for the summary and the benchmarks. */
  timings: Record<string, number>;
  /** When Ansible ran (epoch ms), when it did in this run. */
  ansibleWindow?: { start: number; end: number };
  /** Images of this build key the stack keeps (after keepImages), newest first. */
  history?: BuiltImage[];
  /** This resource instance's claim on the image (see CLAIM_PROPERTY). */
  claim?: string;
}

export const RESULT_MARKER = "IMAGE_BUILD_RESULT=";

/** A runner's result as one output line: `<marker><json>`. */
export function formatMarkedLine(marker: string, value: unknown): string {
  return `${marker}${JSON.stringify(value)}`;
}

/** The last `<marker><json>` line in a command's output, parsed. */
export function parseMarkedLine<T>(marker: string, stdout: string): T | undefined {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(marker));
  return line ? (JSON.parse(line.slice(marker.length)) as T) : undefined;
}

export function formatResult(result: BuildResult): string {
  return formatMarkedLine(RESULT_MARKER, result);
}

/** The last result line in a command's output (the main stack's view of a build). */
export function parseResult(stdout: string): BuildResult | undefined {
  return parseMarkedLine<BuildResult>(RESULT_MARKER, stdout);
}
