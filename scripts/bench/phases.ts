/**
 * The phases `npm run bench` compares between Packer and this program, and
 * how each tool's record of a build maps onto them. Pure: no I/O.
 *
 * | phase | Packer (its log, see packerLog.ts) | this program (the build's `timings`) |
 * |---|---|---|
 * | setup | "Loading flavor" → "Launching server" (flavor, keypair, source image, network, volume) | sourceCheck + provision − Ansible − boot (the build stack's engine start, keypair, volume) |
 * | boot + SSH wait | "Launching server" → "Provisioning with Ansible" | server create started (runner log) → Ansible started |
 * | Ansible | "Provisioning with Ansible" → "Stopping server" | ansible |
 * | stop/delete | "Stopping server" → "Creating the image" | release |
 * | upload + active | "Creating the image" → the step after "Waiting for image" | upload |
 * | properties | image visibility/tags/members steps + the CI's post-build `openstack image` calls | properties |
 * | cleanup | the cleanup lines (server, volume, keypair) → end of the build | teardown + retention |
 * | other | process start → first step, end of the build → exit | the rest of the wall time (one build at a time only) |
 */

export const PHASES = [
  "setup",
  "boot + SSH wait",
  "Ansible",
  "stop/delete",
  "upload + active",
  "properties",
  "cleanup",
  "other",
] as const;
export type Phase = (typeof PHASES)[number];

/** Seconds per phase; a phase the record does not show is absent. */
export type Phases = Partial<Record<Phase, number>>;

/** What the `images` stack output says about a build (its `build` entry). */
export interface OurBuild {
  /** Seconds per step (lib/protocol.ts TIMING_NAMES) and `cloud`. */
  timings: Record<string, number>;
  /** When Ansible ran (epoch ms). */
  ansibleWindow?: { start: number; end: number };
}

const SERVER_ACTIVE = /^\[(\d\d):(\d\d):(\d\d)\] builder server active \((\d+) s\)/m;

/**
 * When the builder's server create started, from the runner log's milestone
 * line `[HH:MM:SS] builder server active (N s)` (UTC time of day, whole
 * seconds): that time minus N, on the day that puts it nearest `near` (epoch
 * ms, e.g. when Ansible started). Undefined when the log has no such line.
 */
export function serverCreateStart(runnerLog: string, near: number): number | undefined {
  const m = SERVER_ACTIVE.exec(runnerLog);
  if (!m) return undefined;
  const [h, min, s, took] = m.slice(1).map(Number);
  const day = 86_400_000;
  const timeOfDay = ((h * 60 + min) * 60 + s) * 1000;
  const midnight = Math.floor(near / day) * day;
  const candidates = [midnight - day, midnight, midnight + day].map((d) => d + timeOfDay);
  const at = candidates.reduce((a, b) => (Math.abs(b - near) < Math.abs(a - near) ? b : a));
  return at - took * 1000;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * One build of this program in phases. `runnerLog` (the build's
 * `<key>-<time>.runner.log`) splits the time before Ansible into setup and
 * boot + SSH wait; without it, all of that time is `setup` and boot is absent.
 * `other` is not set here (see {@link otherFromWall}).
 */
export function ourPhases(build: OurBuild, runnerLog?: string): Phases {
  const t = build.timings;
  const step = (name: string) => t[name] ?? 0;
  const ansible = step("ansible");
  const beforeAnsible = step("sourceCheck") + step("provision") - ansible;
  const ansibleStart = build.ansibleWindow?.start;
  const serverStart =
    runnerLog !== undefined && ansibleStart !== undefined
      ? serverCreateStart(runnerLog, ansibleStart)
      : undefined;
  const out: Phases = {};
  if (serverStart !== undefined && ansibleStart !== undefined && ansibleStart >= serverStart) {
    const boot = (ansibleStart - serverStart) / 1000;
    out.setup = round1(Math.max(0, beforeAnsible - boot));
    out["boot + SSH wait"] = round1(boot);
  } else {
    out.setup = round1(beforeAnsible);
  }
  out.Ansible = round1(ansible);
  out["stop/delete"] = round1(step("release"));
  out["upload + active"] = round1(step("upload"));
  out.properties = round1(step("properties"));
  out.cleanup = round1(step("teardown") + step("retention"));
  return out;
}

/** `phases` with `other` = the wall time not in any phase (for one build run on its own). */
export function otherFromWall(wall: number, phases: Phases): Phases {
  const known = PHASES.filter((p) => p !== "other").reduce((sum, p) => sum + (phases[p] ?? 0), 0);
  return { ...phases, other: round1(Math.max(0, wall - known)) };
}

/**
 * Phases of several builds added up (seconds of work per phase, however much
 * the builds overlapped). A phase is absent when any build lacks it.
 */
export function sumPhases(list: readonly Phases[]): Phases {
  const out: Phases = {};
  if (list.length === 0) return out;
  for (const p of PHASES) {
    if (list.every((ph) => ph[p] !== undefined))
      out[p] = round1(list.reduce((sum, ph) => sum + (ph[p] ?? 0), 0));
  }
  return out;
}
