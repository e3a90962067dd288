/**
 * What the preflight looks up in the cloud before anything is created: every
 * cloud object a build names (flavor, networks, security groups, volume type,
 * availability zone, floating-IP network, source image), once per value, with
 * the builds and config keys that name it. Pure: components/preflight.ts does
 * the lookups through the provider's data sources.
 */
import type { BuildSpec, StackSettings } from "../config/types";

export type LookupKind =
  | "flavor"
  | "network"
  | "securityGroup"
  | "volumeType"
  | "availabilityZone"
  | "floatingIpNetwork"
  | "sourceImageName"
  | "sourceImageId";

/** A build that names the value, and the config key it is set at (e.g. `builds.RL9.networks[1]`). */
export interface Use {
  build: string;
  key: string;
}

export interface Lookup {
  kind: LookupKind;
  value: string;
  uses: Use[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Networks (and security groups) may be given by id or by name; an id is a UUID. */
export function isId(value: string): boolean {
  return UUID.test(value);
}

/**
 * The config key a build's setting comes from: `builds.<key>.<setting>` when
 * the build sets it itself (`ownSettings`), else the top-level `<setting>`.
 */
export function settingKey(
  build: string,
  setting: string,
  ownSettings: Record<string, string[]> | undefined,
): string {
  return ownSettings?.[build]?.includes(setting) ? `builds.${build}.${setting}` : setting;
}

/** The lookups of every build, one per (kind, value), in the order the builds name them. */
export function preflightLookups(settings: StackSettings): Lookup[] {
  const byKey = new Map<string, Lookup>();
  const add = (kind: LookupKind, value: string, use: Use) => {
    const id = `${kind}\u0000${value}`;
    const lookup = byKey.get(id) ?? { kind, value, uses: [] };
    lookup.uses.push(use);
    byKey.set(id, lookup);
  };
  for (const spec of settings.builds) {
    for (const [kind, value, setting, index] of buildLookups(spec)) {
      const where = setting.startsWith("builds.")
        ? setting
        : settingKey(spec.key, setting, settings.ownSettings);
      add(kind, value, {
        build: spec.key,
        key: index === undefined ? where : `${where}[${index}]`,
      });
    }
  }
  return [...byKey.values()];
}

/** kind, value, setting, index in a list setting. */
type BuildLookup = [LookupKind, string, string, number?];

function buildLookups(spec: BuildSpec): BuildLookup[] {
  const out: BuildLookup[] = [["flavor", spec.flavor, "flavor"]];
  spec.networks.forEach((n, i) => out.push(["network", n, "networks", i]));
  spec.securityGroups.forEach((g, i) => out.push(["securityGroup", g, "securityGroups", i]));
  if (spec.volume.type) out.push(["volumeType", spec.volume.type, "volumeType"]);
  if (spec.availabilityZone)
    out.push(["availabilityZone", spec.availabilityZone, "availabilityZone"]);
  if (spec.floatingIp && "network" in spec.floatingIp)
    out.push(["floatingIpNetwork", spec.floatingIp.network, "floatingIpNetwork"]);
  if (spec.source.kind === "imageName")
    out.push(["sourceImageName", spec.source.name, `builds.${spec.key}.sourceImageName`]);
  if (spec.source.kind === "imageId")
    out.push(["sourceImageId", spec.source.id, `builds.${spec.key}.sourceImage`]);
  return out;
}
