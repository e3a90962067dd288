/**
 * `npm run bench`: figures for BENCHMARKS.md, measured on one localcloud with
 * the real engine, plugins and Ansible, from the fixture appliance.
 *
 * Side by side with Packer (this project's template, bench/packer/, run as
 * the appliance's CI runs it), alternating, N runs each (`--runs`):
 *   cold    one cold build of a fat image;
 *   matrix  the appliance's CI matrix: two fat builds, an extra build chained
 *           on each (Packer: one `packer build` per image, the fat builds in
 *           parallel, then the extra builds in parallel); then the same matrix
 *           after a change that touches one extra build only (Packer rebuilds
 *           all four: its figures are those of the matrix; we rebuild one);
 *           then a no-op `up` and a `preview` of the matrix;
 * and, as before, of this program alone:
 *   one fat build split into Ansible, waiting on the cloud and the program's
 *   own overhead (from the cold runs); `two`: 2 independent builds in one `up`
 *   against one build.
 * Medians and ratios are printed per phase (scripts/bench/phases.ts) as
 * Markdown tables, with the targets beside them (not asserted).
 */
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { TIMING_NAMES } from "../lib/protocol";
import { repoRoot, toolPath } from "../tools/paths";
import { startLocalProject, type LocalProject } from "./localProject";
import { parseBenchArgs, type BenchArgs } from "./bench/args";
import { timedUp, type UpRun } from "./bench/ours";
import {
  packerBuild,
  packerMissing,
  packerSite,
  type PackerBuildRun,
  type PackerSite,
} from "./bench/packer";
import { otherFromWall, sumPhases } from "./bench/phases";
import {
  median,
  seconds,
  times,
  workloadTable,
  type ToolRun,
  type WorkloadResult,
} from "./bench/report";

const FLAVOR = "general.v1.small";
const NETWORK = "localcloud-net";
const BASE_IMAGE = "debian-12-localcloud";

const base = { flavor: FLAVOR, networks: [NETWORK], sshTimeoutMinutes: 5 };
const fromBase = (groups: string) => ({ sourceImageName: BASE_IMAGE, inventoryGroups: groups });

/** The appliance's CI matrix: fat images, and an extra image on each (extra.yml). */
const MATRIX = {
  fat: [
    { key: "RL8", groups: "fatimage" },
    { key: "RL9", groups: "fatimage" },
  ],
  extra: [
    { key: "extra-RL8", on: "RL8", groups: "doca,cuda,lustre", volumeSize: 35 },
    { key: "extra-RL9", on: "RL9", groups: "doca,cuda", volumeSize: 35 },
  ],
};

function matrixConfig(change?: string): Record<string, unknown> {
  const builds: Record<string, unknown> = {};
  for (const f of MATRIX.fat) builds[f.key] = fromBase(f.groups);
  for (const e of MATRIX.extra)
    builds[e.key] = {
      sourceBuild: e.on,
      inventoryGroups: e.groups,
      volumeSize: e.volumeSize,
      // The change that touches one extra build only.
      ...(change !== undefined && e.key === MATRIX.extra[0].key
        ? { extraVars: { bench_change: change } }
        : {}),
    };
  return { ...base, builds };
}

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = Date.now();
  const value = await fn();
  return [value, (Date.now() - start) / 1000];
}

/**
 * Runs `fn` with the cloud's request log cleared first; returns its result and
 * the number of requests. The requests go to `<bench dir>/requests/<label>.json`
 * (kept with `--keep`), for a closer look at where the time goes.
 */
async function counted<T>(
  project: LocalProject,
  label: string,
  fn: () => Promise<T>,
): Promise<[T, { requests: number; auths: number }]> {
  project.cloud.clearRequests();
  const value = await fn();
  const reqs = project.cloud.requests();
  const dir = path.join(project.dir, "requests");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${label}.json`), `${JSON.stringify(reqs, null, 1)}\n`);
  const auths = reqs.filter((r) => r.method === "POST" && r.path.endsWith("/auth/tokens")).length;
  return [value, { requests: reqs.length, auths }];
}

function ourRun(up: UpRun, counts: { requests: number; auths: number }): ToolRun {
  const phases = sumPhases(up.built.map((b) => b.phases));
  return {
    wall: up.wall,
    // Time outside the builds' steps is theirs only when one build ran.
    phases: up.built.length === 1 ? otherFromWall(up.wall, phases) : phases,
    builds: up.built.length,
    ...counts,
  };
}

function packerRun(
  wall: number,
  runs: PackerBuildRun[],
  counts: { requests: number; auths: number },
): ToolRun {
  for (const r of runs)
    if (r.missing.length > 0) say(`  Packer log ${r.logFile} lacks: ${r.missing.join(", ")}`);
  return { wall, phases: sumPhases(runs.map((r) => r.phases)), builds: runs.length, ...counts };
}

interface Results {
  cold: WorkloadResult;
  matrix: WorkloadResult;
  change: WorkloadResult;
  /** This program's one-build figures from the cold runs. */
  coldUps: UpRun[];
  noopUp: number[];
  preview: number[];
  two?: number;
}

async function packerCold(
  project: LocalProject,
  site: PackerSite,
  round: number,
): Promise<ToolRun> {
  const [run, counts] = await counted(project, `cold-${round}-packer`, async () => {
    const [r, wall] = await timed(() =>
      packerBuild(site, {
        label: `cold-${round}`,
        imageName: "openhpc-fat",
        sourceImageName: BASE_IMAGE,
        inventoryGroups: "fatimage",
      }),
    );
    return { r, wall };
  });
  return packerRun(run.wall, [run.r], counts);
}

async function packerMatrix(
  project: LocalProject,
  site: PackerSite,
  round: number,
): Promise<ToolRun> {
  const [run, counts] = await counted(project, `matrix-${round}-packer`, async () => {
    const [builds, wall] = await timed(async () => {
      const fat = await Promise.all(
        MATRIX.fat.map((f) =>
          packerBuild(site, {
            label: `matrix-${round}-${f.key}`,
            imageName: `openhpc-${f.key}`,
            sourceImageName: BASE_IMAGE,
            inventoryGroups: f.groups,
          }),
        ),
      );
      // extra.yml: the source is the fat image named in cluster_image.auto.tfvars.json.
      const extra = await Promise.all(
        MATRIX.extra.map((e) =>
          packerBuild(site, {
            label: `matrix-${round}-${e.key}`,
            imageName: `openhpc-${e.key}`,
            sourceImageName: fat[MATRIX.fat.findIndex((f) => f.key === e.on)].imageName,
            inventoryGroups: e.groups,
            volumeSize: e.volumeSize,
          }),
        ),
      );
      return [...fat, ...extra];
    });
    return { builds, wall };
  });
  return packerRun(run.wall, run.builds, counts);
}

async function oursUp(
  project: LocalProject,
  stack: Stack,
  label: string,
): Promise<[UpRun, ToolRun]> {
  const [up, counts] = await counted(project, label, () => timedUp(project, stack));
  return [up, ourRun(up, counts)];
}

async function runBench(
  args: BenchArgs,
  project: LocalProject,
  site: PackerSite,
): Promise<Results> {
  const res: Results = {
    cold: {
      title: "1. One cold build (a fat image)",
      note: "Packer: one `packer build` + the CI's post-build. Ours: `pulumi up` of a new stack with one build.",
      packer: [],
      ours: [],
      target: 1.0,
    },
    matrix: {
      title: "2. The CI matrix, cold (2 fat builds, an extra build chained on each)",
      note: "Packer: the two fat builds in parallel (one `packer build` each + post-build), then the two extra builds in parallel. Ours: one `pulumi up` of a new stack with the four builds. Phases: seconds added up over the builds.",
      packer: [],
      ours: [],
      target: 1.0,
    },
    change: {
      title: "3. The matrix after a change that touches one extra build",
      note: "Packer (as CI): all four images again — its figures are those of (2) in the same round. Ours: `pulumi up` after `extraVars` of one extra build changed: one rebuild.",
      packer: [],
      ours: [],
      target: 0.35,
    },
    coldUps: [],
    noopUp: [],
    preview: [],
  };
  for (let round = 1; round <= args.runs; round++) {
    const packerFirst = round % 2 === 1;
    const inOrder = async (packer: () => Promise<void>, ours: () => Promise<void>) => {
      for (const step of packerFirst ? [packer, ours] : [ours, packer]) await step();
    };
    say(`round ${round}/${args.runs} (${packerFirst ? "Packer" : "ours"} first)`);
    if (args.workloads.includes("cold")) {
      await inOrder(
        async () => {
          const r = await packerCold(project, site, round);
          res.cold.packer.push(r);
          say(`  cold: Packer ${seconds(r.wall)}`);
        },
        async () => {
          const stack = await project.stack(`cold-${round}`, {
            ...base,
            builds: { fat: fromBase("fatimage") },
          });
          const [up, r] = await oursUp(project, stack, `cold-${round}-ours`);
          res.cold.ours.push(r);
          res.coldUps.push(up);
          say(`  cold: ours ${seconds(r.wall)}`);
        },
      );
    }
    if (args.workloads.includes("matrix")) {
      let stack: Stack | undefined;
      await inOrder(
        async () => {
          const r = await packerMatrix(project, site, round);
          res.matrix.packer.push(r);
          res.change.packer.push(r);
          say(`  matrix: Packer ${seconds(r.wall)}`);
        },
        async () => {
          stack = await project.stack(`matrix-${round}`, matrixConfig());
          const [, r] = await oursUp(project, stack, `matrix-${round}-ours`);
          res.matrix.ours.push(r);
          say(`  matrix: ours ${seconds(r.wall)}`);
        },
      );
      const changed = await project.stack(`matrix-${round}`, matrixConfig(`round-${round}`));
      const [, r] = await oursUp(project, changed, `change-${round}-ours`);
      res.change.ours.push(r);
      say(`  matrix after a one-build change: ours ${seconds(r.wall)} (${r.builds} rebuilt)`);
      const [, noop] = await timed(() => changed.up({ color: "never" }));
      const [, preview] = await timed(() => changed.preview({ color: "never" }));
      res.noopUp.push(noop);
      res.preview.push(preview);
      say(`  no-op up ${seconds(noop)}, preview ${seconds(preview)}`);
    }
  }
  if (args.workloads.includes("two")) {
    const two = await project.stack("two", {
      ...base,
      builds: { a: fromBase("fatimage"), b: fromBase("cuda") },
    });
    const [up] = await oursUp(project, two, "two-ours");
    res.two = up.wall;
    say(`2 independent builds: ours ${seconds(up.wall)}`);
  }
  return res;
}

function report(
  args: BenchArgs,
  res: Results,
  load: { start: number[]; end: number[]; samples: number[] },
): string[] {
  const lines: string[] = [];
  const cpus = os.cpus();
  lines.push(
    `machine: ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
      `load average (1/5/15 min) at start ${load.start.map((l) => l.toFixed(2)).join("/")}, at end ${load.end.map((l) => l.toFixed(2)).join("/")}` +
      (load.samples.length > 0
        ? `; 1-min load every 15 s: median ${median(load.samples)?.toFixed(2)}, min ${Math.min(...load.samples).toFixed(2)}, max ${Math.max(...load.samples).toFixed(2)}`
        : ""),
    `runs: ${args.runs} per tool and workload, alternating (odd rounds Packer first); medians; ours ${args.compiled ? "compiled (as the package runs it)" : "from source (ts-node, tsx)"}`,
    "",
  );
  if (args.workloads.includes("cold")) lines.push(...workloadTable(res.cold));
  if (args.workloads.includes("matrix"))
    lines.push(...workloadTable(res.matrix), ...workloadTable(res.change));

  lines.push("### This program alone", "");
  if (res.coldUps.length > 0) {
    const builds = res.coldUps.map((u) => u.built[0]?.build.timings ?? {});
    const wall = median(res.coldUps.map((u) => u.wall)) ?? 0;
    const of = (k: string) => median(builds.map((t) => t[k] ?? 0)) ?? 0;
    const overhead = median(
      res.coldUps.map((u, i) => u.wall - (builds[i].ansible ?? 0) - (builds[i].cloud ?? 0)),
    );
    lines.push(
      `- one fat build: wall ${seconds(wall)}; Ansible ${seconds(of("ansible"))}; waiting on the cloud ${seconds(of("cloud"))}; ` +
        `program overhead ${seconds(overhead)} (${(((overhead ?? 0) / wall) * 100).toFixed(1)} %, target < 10 %)`,
      `- its steps (medians): ${[...TIMING_NAMES, "cloud"].map((k) => `${k} ${of(k).toFixed(1)} s`).join(", ")}`,
    );
  }
  if (res.noopUp.length > 0)
    lines.push(
      `- no-op \`up\` of the matrix (4 builds): ${seconds(median(res.noopUp))} (target < 5 s); \`preview\`: ${seconds(median(res.preview))}`,
    );
  if (res.two !== undefined) {
    const one = median(res.coldUps.map((u) => u.wall));
    lines.push(
      `- 2 independent builds in one \`up\`: ${seconds(res.two)}${one ? ` = ${times(res.two / one)} one build (target < 1.3×)` : ""}`,
    );
  }
  lines.push("");
  return lines;
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const missing = packerMissing();
  if (missing && (args.workloads.includes("cold") || args.workloads.includes("matrix"))) {
    process.stderr.write(`${missing}\n`);
    process.exitCode = 1;
    return;
  }
  const load = { start: os.loadavg(), end: [] as number[], samples: [] as number[] };
  // The 1-minute load average every 15 s: others' work on the machine shows here.
  const sampler = setInterval(() => load.samples.push(os.loadavg()[0]), 15_000);
  sampler.unref();
  if (args.compiled) {
    say("compiling the program as the package ships it (npm run build:dist)");
    const { execa } = await import("execa");
    await execa("npm", ["run", "-s", "build:dist"], { cwd: repoRoot, stdio: "inherit" });
  }
  const project = await startLocalProject({
    label: "slurm-image-builder-bench",
    main: args.compiled ? path.join(repoRoot, "dist") : undefined,
  });
  say(`localcloud and stacks in ${project.dir}${args.compiled ? " (compiled program)" : ""}`);
  try {
    const { execa } = await import("execa");
    const env = { ...process.env, ...project.env };
    const networkId = (
      await execa(toolPath("openstack"), ["network", "show", NETWORK, "-f", "value", "-c", "id"], {
        env,
        stdin: "ignore",
      })
    ).stdout.trim();
    const gitCommit = (
      await execa("git", ["-C", project.appliance.repoRoot, "rev-parse", "HEAD"], {
        stdin: "ignore",
      })
    ).stdout.trim();
    const site = await packerSite(project, { networkId, flavor: FLAVOR }, gitCommit);
    const res = await runBench(args, project, site);
    load.end = os.loadavg();
    clearInterval(sampler);
    const lines = report(args, res, load);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (args.json)
      fs.writeFileSync(args.json, `${JSON.stringify({ args, load, ...res }, null, 2)}\n`);
  } finally {
    await project.stop(args.keep);
    if (args.keep) say(`kept ${project.dir}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
