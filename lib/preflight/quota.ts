/**
 * Whether the project's quotas have room for the builds that would run at
 * once. A build holds one server (its flavor's cores and RAM) and one volume
 * (`volumeSize` GB) while it runs; a chained build starts only after the
 * build it starts from has finished, so the builds that can run at the same
 * time are those of which none is an ancestor of another. Builds whose image
 * already exists (same fingerprint) make nothing. Pure.
 */
import type { PreflightProblem } from "./checks";

export interface BuildNeed {
  key: string;
  /** The build it starts from (`sourceBuild`), if any. */
  parent?: string;
  /** False when the image exists already: this run builds nothing for it. */
  builds: boolean;
  cores: number;
  /** MiB. */
  ram: number;
  /** GB. */
  volumeSize: number;
  volumeType?: string;
}

export type Resource = "instances" | "cores" | "ram" | "volumes" | "gigabytes";

/** The most of one resource the builds can hold at once, and which builds those are. */
export interface Peak {
  amount: number;
  builds: string[];
}

/**
 * For one resource: the largest total over sets of builds that can run at
 * once. The builds form a forest (a build has at most one parent), so a
 * subtree's peak is either its root alone or the peaks of its children
 * together.
 */
export function peakOf(needs: BuildNeed[], weight: (need: BuildNeed) => number): Peak {
  const children = new Map<string | undefined, BuildNeed[]>();
  const keys = new Set(needs.map((n) => n.key));
  for (const need of needs) {
    const parent = need.parent && keys.has(need.parent) ? need.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), need]);
  }
  const together = (list: BuildNeed[]): Peak =>
    list
      .map(subtree)
      .reduce(
        (sum, p) => ({ amount: sum.amount + p.amount, builds: [...sum.builds, ...p.builds] }),
        { amount: 0, builds: [] as string[] },
      );
  const subtree = (need: BuildNeed): Peak => {
    const own: Peak = need.builds
      ? { amount: weight(need), builds: [need.key] }
      : { amount: 0, builds: [] };
    const below = together(children.get(need.key) ?? []);
    return below.amount > own.amount ? below : own;
  };
  return together(children.get(undefined) ?? []);
}

/** Nova's absolute limits (`GET /limits`): a max of -1 is unlimited. */
export interface ComputeLimits {
  maxTotalInstances: number;
  totalInstancesUsed: number;
  maxTotalCores: number;
  totalCoresUsed: number;
  maxTotalRamSize: number;
  totalRamUsed: number;
}

/** Cinder's quota set (limits only: the provider does not read its usage); -1 is unlimited. */
export interface VolumeQuota {
  volumes: number;
  gigabytes: number;
  perVolumeGigabytes: number;
  /** `volumes_<type>`, `gigabytes_<type>`, ... */
  volumeTypeQuota: Record<string, unknown>;
}

const UNITS: Record<Resource, string> = {
  instances: "instances",
  cores: "cores",
  ram: "MiB of RAM",
  volumes: "volumes",
  gigabytes: "GB of volumes",
};

const SETTING: Record<Resource, string> = {
  instances: "builds",
  cores: "flavor",
  ram: "flavor",
  volumes: "builds",
  gigabytes: "volumeSize",
};

function shortage(
  resource: string,
  unit: string,
  setting: string,
  peak: Peak,
  limit: number,
  used: number | undefined,
): PreflightProblem | undefined {
  if (limit < 0 || peak.amount === 0) return undefined;
  const free = limit - (used ?? 0);
  if (peak.amount <= free) return undefined;
  const usedText =
    used === undefined
      ? `the project's quota is ${limit} ${unit}`
      : `the project uses ${used} of its quota of ${limit} ${unit}, so ${Math.max(free, 0)} are free`;
  return {
    build: peak.builds.join(", "),
    key: setting,
    value: String(peak.amount),
    message:
      `quota ${resource}: the builds that would run at once (${peak.builds.join(", ")}) need ${peak.amount} ${unit}, but ${usedText}. ` +
      `Raise the quota, free some, or build fewer images per run (e.g. \`pulumi up --target\`)`,
  };
}

/** Problems where the quotas the cloud shows have no room for the parallel builds. */
export function quotaProblems(
  needs: BuildNeed[],
  compute: ComputeLimits | undefined,
  volume: VolumeQuota | undefined,
): PreflightProblem[] {
  const out: (PreflightProblem | undefined)[] = [];
  if (compute) {
    out.push(
      shortage(
        "instances",
        UNITS.instances,
        SETTING.instances,
        peakOf(needs, () => 1),
        compute.maxTotalInstances,
        compute.totalInstancesUsed,
      ),
      shortage(
        "cores",
        UNITS.cores,
        SETTING.cores,
        peakOf(needs, (n) => n.cores),
        compute.maxTotalCores,
        compute.totalCoresUsed,
      ),
      shortage(
        "ram",
        UNITS.ram,
        SETTING.ram,
        peakOf(needs, (n) => n.ram),
        compute.maxTotalRamSize,
        compute.totalRamUsed,
      ),
    );
  }
  if (volume) {
    out.push(
      shortage(
        "volumes",
        UNITS.volumes,
        SETTING.volumes,
        peakOf(needs, () => 1),
        volume.volumes,
        undefined,
      ),
      shortage(
        "gigabytes",
        UNITS.gigabytes,
        SETTING.gigabytes,
        peakOf(needs, (n) => n.volumeSize),
        volume.gigabytes,
        undefined,
      ),
    );
    for (const need of needs.filter((n) => n.builds)) {
      if (volume.perVolumeGigabytes >= 0 && need.volumeSize > volume.perVolumeGigabytes)
        out.push({
          build: need.key,
          key: "volumeSize",
          value: String(need.volumeSize),
          message: `quota per_volume_gigabytes: a volume may have at most ${volume.perVolumeGigabytes} GB in this project`,
        });
    }
    const types = [
      ...new Set(needs.filter((n) => n.builds && n.volumeType).map((n) => n.volumeType!)),
    ];
    for (const type of types) {
      const ofType = needs.map((n) => ({ ...n, builds: n.builds && n.volumeType === type }));
      const limit = (name: string) => {
        const v = Number(volume.volumeTypeQuota[`${name}_${type}`]);
        return Number.isFinite(v) ? v : -1;
      };
      out.push(
        shortage(
          `volumes_${type}`,
          `volumes of type ${type}`,
          "volumeType",
          peakOf(ofType, () => 1),
          limit("volumes"),
          undefined,
        ),
        shortage(
          `gigabytes_${type}`,
          `GB of volumes of type ${type}`,
          "volumeSize",
          peakOf(ofType, (n) => n.volumeSize),
          limit("gigabytes"),
          undefined,
        ),
      );
    }
  }
  return out.filter((p): p is PreflightProblem => p !== undefined);
}
