/**
 * What `npm run bench` prints: medians over the runs and the ratio ours /
 * Packer, per workload and phase, as Markdown tables (pasted into
 * BENCHMARKS.md as they are). Pure: no I/O.
 */
import { PHASES, type Phases } from "./phases";

/** One run of one tool on one workload. */
export interface ToolRun {
  /** Wall time, seconds. */
  wall: number;
  /** Seconds per phase, added up over the builds of the run. */
  phases: Phases;
  /** Builds made. */
  builds: number;
  /** Requests the cloud served (and of those, Keystone authentications). */
  requests?: number;
  auths?: number;
}

export interface WorkloadResult {
  title: string;
  /** What Packer and this program do in it. */
  note?: string;
  packer: ToolRun[];
  ours: ToolRun[];
  /** Ratio target (ours / Packer) for the wall time: printed, not asserted. */
  target?: number;
}

/** The median; undefined for no values. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median of a value over the runs that have it (undefined unless every run has it). */
export function medianOf(runs: readonly ToolRun[], pick: (r: ToolRun) => number | undefined) {
  const values = runs.map(pick);
  return values.every((v): v is number => v !== undefined) ? median(values) : undefined;
}

/**
 * ours / Packer; none when Packer's figure is under half a second (a ratio
 * against a phase Packer hardly has, e.g. its clean-up, which does not wait,
 * says nothing: the seconds beside it do).
 */
export function ratio(ours: number | undefined, packer: number | undefined): number | undefined {
  return ours === undefined || packer === undefined || packer < 0.5 ? undefined : ours / packer;
}

export const seconds = (n: number | undefined): string =>
  n === undefined ? "—" : `${n.toFixed(1)} s`;
export const times = (r: number | undefined): string =>
  r === undefined ? "—" : `${r.toFixed(2)}×`;

/** The target cell: `≤ 1.00× — met` / `— not met`. */
export function targetCell(r: number | undefined, target: number | undefined): string {
  if (target === undefined) return "";
  const verdict = r === undefined ? "" : r <= target ? " — met" : " — **not met**";
  return `≤ ${target.toFixed(2)}×${verdict}`;
}

/** A Markdown table; the first row is the header. */
export function markdownTable(rows: readonly (readonly string[])[]): string[] {
  const [head, ...body] = rows;
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...body.map(line)];
}

/** The table of one workload: wall, each phase, requests, `packer build` alone. */
export function workloadTable(w: WorkloadResult): string[] {
  const row = (name: string, pick: (r: ToolRun) => number | undefined, target?: number) => {
    const p = medianOf(w.packer, pick);
    const o = medianOf(w.ours, pick);
    const r = ratio(o, p);
    return [name, seconds(p), seconds(o), times(r), targetCell(r, target)];
  };
  const countCell = (runs: readonly ToolRun[]) => {
    const v = medianOf(runs, (r) => r.requests);
    const a = medianOf(runs, (r) => r.auths);
    return v === undefined
      ? "—"
      : `${Math.round(v)}${a === undefined ? "" : ` (${Math.round(a)} auth)`}`;
  };
  const builds = (runs: readonly ToolRun[]) => medianOf(runs, (r) => r.builds);
  const rows: string[][] = [
    [
      `median of ${w.packer.length} / ${w.ours.length} runs`,
      "Packer",
      "ours",
      "ours / Packer",
      "target",
    ],
    row("**wall**", (r) => r.wall, w.target),
    ...PHASES.map((p) => row(`— ${p}`, (r) => r.phases[p])),
    ["builds made", String(builds(w.packer) ?? "—"), String(builds(w.ours) ?? "—"), "", ""],
    ["API requests", countCell(w.packer), countCell(w.ours), "", ""],
  ];
  return [`### ${w.title}`, ...(w.note ? ["", w.note] : []), "", ...markdownTable(rows), ""];
}
