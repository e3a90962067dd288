/**
 * Packer's log as `npm run bench` records it, and the phases of a build read
 * from it. Pure: no I/O.
 *
 * The bench runs `packer build` with `PACKER_LOG=1` and stamps every line of
 * its stdout (the UI: `==> <build>: <step message>`) and stderr (PACKER_LOG's
 * own lines, stamped by Packer to the second only) with the time it arrived,
 * in milliseconds: one entry per line, written to the run's log file as
 * `<epoch ms> <out|err> <line>`.
 */
import type { Phases } from "./phases";

export interface LogEntry {
  /** When the line arrived (epoch ms). */
  t: number;
  stream: "out" | "err";
  text: string;
}

export function formatLogEntry(e: LogEntry): string {
  return `${e.t} ${e.stream} ${e.text}`;
}

/** Reads a log written with {@link formatLogEntry}; other lines are skipped. */
export function parseLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (out|err) (.*)$/.exec(line);
    if (m) out.push({ t: Number(m[1]), stream: m[2] as LogEntry["stream"], text: m[3] });
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * A step message of Packer's UI (`==> <build>: <message>`, what a builder
 * "says"), without colour codes; undefined for any other line (the indented
 * `    <build>: ...` detail and Ansible's output included).
 */
export function stepMessage(text: string): string | undefined {
  const m = /^==> [\w.-]+: (.*)$/.exec(text.replace(ANSI, "").trimEnd());
  return m?.[1];
}

/** Steps after the upload that set the image's visibility, tags, members, min disk. */
const IMAGE_UPDATE = /^(Updating image|Skipping image|Adding member|Accepting image)/;
/** The end of the build proper: post-processors, or Packer's last word on the build. */
const BUILD_END = /^(==> [\w.-]+: Running post-processor|Build '[^']+' (finished|errored))/;

export interface PackerPhaseResult {
  phases: Phases;
  /** The marker lines not found (their phases are absent). */
  missing: string[];
}

/**
 * The phases of one `packer build` of one volume-backed OpenStack build,
 * from its log: `spawn` and `exit` are when the process started and ended
 * (epoch ms). See phases.ts for the mapping.
 */
export function packerPhases(
  entries: readonly LogEntry[],
  spawn: number,
  exit: number,
): PackerPhaseResult {
  const steps = entries
    .filter((e) => e.stream === "out")
    .map((e) => ({ t: e.t, msg: stepMessage(e.text) }))
    .filter((s): s is { t: number; msg: string } => s.msg !== undefined);
  const missing: string[] = [];
  const find = (what: string, test: (msg: string) => boolean, after = -1): number => {
    const i = steps.findIndex((s, j) => j > after && test(s.msg));
    if (i < 0) missing.push(what);
    return i;
  };
  const flavor = find("Loading flavor", (m) => m.startsWith("Loading flavor"));
  const launch = find("Launching server", (m) => m.startsWith("Launching server"), flavor);
  const provision = find("Provisioning with", (m) => m.startsWith("Provisioning with"), launch);
  const stop = find("Stopping server", (m) => m.startsWith("Stopping server"), provision);
  const image = find("Creating the image", (m) => m.startsWith("Creating the image"), stop);
  const wait = find("Waiting for image", (m) => m.startsWith("Waiting for image"), image);
  // The first step after the wait ends the upload; image updates follow, then the clean-up.
  const afterWait = wait >= 0 && wait + 1 < steps.length ? wait + 1 : -1;
  if (wait >= 0 && afterWait < 0) missing.push("a step after Waiting for image");
  let cleanup = afterWait;
  while (cleanup >= 0 && cleanup < steps.length && IMAGE_UPDATE.test(steps[cleanup].msg)) cleanup++;
  if (cleanup >= steps.length) cleanup = -1;
  const cleanupAt = cleanup >= 0 ? steps[cleanup].t : undefined;
  const end = entries.find(
    (e) =>
      e.stream === "out" &&
      cleanupAt !== undefined &&
      e.t >= cleanupAt &&
      BUILD_END.test(e.text.replace(ANSI, "")),
  );
  if (!end) missing.push("the end of the build");

  const at = (i: number) => (i >= 0 ? steps[i].t : undefined);
  const span = (from: number | undefined, to: number | undefined) =>
    from !== undefined && to !== undefined ? Math.round((to - from) / 100) / 10 : undefined;
  const phases: Phases = {
    setup: span(at(flavor), at(launch)),
    "boot + SSH wait": span(at(launch), at(provision)),
    Ansible: span(at(provision), at(stop)),
    "stop/delete": span(at(stop), at(image)),
    "upload + active": span(at(image), at(afterWait)),
    properties: span(at(afterWait), cleanupAt),
    cleanup: span(cleanupAt, end?.t),
  };
  const startUp = span(spawn, at(flavor));
  const shutDown = span(end?.t, exit);
  if (startUp !== undefined && shutDown !== undefined)
    phases.other = Math.round((startUp + shutDown) * 10) / 10;
  for (const k of Object.keys(phases) as (keyof Phases)[])
    if (phases[k] === undefined) delete phases[k];
  return { phases, missing };
}

/** The image id of a Packer manifest (`manifest` post-processor): the last build's artifact. */
export function manifestImageId(manifestJson: string): string | undefined {
  const m = JSON.parse(manifestJson) as { builds?: { artifact_id?: string }[] };
  return m.builds?.at(-1)?.artifact_id;
}
