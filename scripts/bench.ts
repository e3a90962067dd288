/**
 * `npm run bench`: figures for BENCHMARKS.md, measured on localcloud with the
 * real engine and the fixture appliance.
 *   1. one fat build: wall time of `pulumi up`, time in Ansible, time waiting
 *      on cloud operations, and the program's own overhead (the rest);
 *   2. a no-op `up` and a `preview` of a stack with 4 builds;
 *   3. 2 independent builds in one `up` against 1 build.
 * Prints the figures; targets are stated beside them, not asserted.
 */
import { TIMING_NAMES } from "../lib/protocol";
import type { Stack } from "@pulumi/pulumi/automation";
import * as os from "node:os";
import { startLocalProject, type LocalProject } from "./localProject";
import type { ImagesOutput } from "./summary";

const base = {
  flavor: "general.v1.small",
  networks: ["localcloud-net"],
  sshTimeoutMinutes: 5,
};
const fromBase = (groups: string) => ({
  sourceImageName: "debian-12-localcloud",
  inventoryGroups: groups,
});

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = Date.now();
  const value = await fn();
  return [value, (Date.now() - start) / 1000];
}

async function upImages(stack: Stack): Promise<[ImagesOutput, number]> {
  const [, seconds] = await timed(() => stack.up({ color: "never" }));
  return [(await stack.outputs()).images.value as ImagesOutput, seconds];
}

const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const lines: string[] = [];
  const report = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  report(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const project: LocalProject = await startLocalProject({ label: "slurm-image-builder-bench" });
  try {
    // 1. One fat build.
    const one = await project.stack("one", { ...base, builds: { fat: fromBase("fatimage") } });
    const [oneImages, oneWall] = await upImages(one);
    const t = oneImages.fat.build?.timings ?? {};
    const ansible = t.ansible ?? 0;
    const cloud = t.cloud ?? 0;
    const overhead = oneWall - ansible - cloud;
    report(
      `one fat build: wall ${fmt(oneWall)} s; Ansible ${fmt(ansible)} s; waiting on the cloud ${fmt(cloud)} s; program overhead ${fmt(overhead)} s (${fmt((overhead / oneWall) * 100)} %, target < 10 %)`,
    );
    report(
      `  steps: ${[...TIMING_NAMES, "cloud"]
        .filter((k) => t[k] !== undefined)
        .map((k) => `${k} ${t[k]}s`)
        .join(", ")}`,
    );

    // 3. Two independent builds against one (the one above).
    const two = await project.stack("two", {
      ...base,
      builds: { a: fromBase("fatimage"), b: fromBase("cuda") },
    });
    const [, twoWall] = await upImages(two);
    report(
      `2 independent builds: wall ${fmt(twoWall)} s = ${fmt(twoWall / oneWall)} × one build (target < 1.3 ×)`,
    );

    // 2. No-op up and preview with 4 builds (two chains of two).
    const four = await project.stack("four", {
      ...base,
      builds: {
        fat: fromBase("fatimage"),
        lustre: { sourceBuild: "fat", inventoryGroups: "lustre" },
        other: fromBase("doca"),
        cuda: { sourceBuild: "other", inventoryGroups: "cuda" },
      },
    });
    const [, fourWall] = await upImages(four);
    report(`4 builds (first up, for reference): wall ${fmt(fourWall)} s`);
    const [, noopUp] = await timed(() => four.up({ color: "never" }));
    const [, noopPreview] = await timed(() => four.preview({ color: "never" }));
    report(
      `no-op up with 4 builds: ${fmt(noopUp)} s (target < 15 s); preview: ${fmt(noopPreview)} s`,
    );
  } finally {
    await project.stop(false);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
