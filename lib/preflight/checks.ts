/**
 * The preflight's verdicts on what the cloud answered: for each lookup that
 * failed, one problem per build that names the value — the build, the config
 * key, the value, and what the cloud has instead (or, where the provider has
 * no listing, what was looked up). Pure.
 */
import type { Lookup, LookupKind, Use } from "./lookups";
import { isId } from "./lookups";

/** What a data source answered for one lookup. */
export type LookupResult =
  | { status: "found"; id: string; name?: string; properties?: Record<string, string> }
  /** Nothing matched (the data source's "no results"). */
  | { status: "missing" }
  /** More than one matched (a name used twice). */
  | { status: "ambiguous" }
  /** The lookup itself failed (the cloud's error). */
  | { status: "failed"; message: string };

/** Lists the cloud gave, for "what it has instead". */
export interface CloudListings {
  /** Volume type names (from Cinder's quota set of the project). */
  volumeTypes?: string[];
  /** Availability zones of the block storage service (the builder volume). */
  volumeZones?: string[];
  /** Availability zones of the compute service (the builder server). */
  computeZones?: string[];
}

export interface PreflightProblem {
  build: string;
  key: string;
  value: string;
  message: string;
}

/** How each kind is described and how to find a valid value. */
const WHAT: Record<LookupKind, { noun: string; listCommand: string }> = {
  flavor: { noun: "flavor", listCommand: "openstack flavor list" },
  network: { noun: "network", listCommand: "openstack network list" },
  securityGroup: { noun: "security group", listCommand: "openstack security group list" },
  volumeType: { noun: "volume type", listCommand: "openstack volume type list" },
  availabilityZone: { noun: "availability zone", listCommand: "openstack availability zone list" },
  floatingIpNetwork: {
    noun: "external network (floating-IP pool)",
    listCommand: "openstack network list --external",
  },
  sourceImageName: { noun: "active image", listCommand: "openstack image list --status active" },
  sourceImageId: { noun: "active image", listCommand: "openstack image list --status active" },
};

function listed(names: string[] | undefined): string {
  if (!names) return "";
  return names.length ? `; the cloud has: ${names.join(", ")}` : "; the cloud lists none";
}

/** The problem message of a lookup that did not find what it needs, or undefined when it did. */
export function lookupMessage(
  lookup: Lookup,
  result: LookupResult | undefined,
  listings: CloudListings,
): string | undefined {
  const { noun, listCommand } = WHAT[lookup.kind];
  const by =
    (lookup.kind === "network" || lookup.kind === "securityGroup") && isId(lookup.value)
      ? "id"
      : "name";
  if (lookup.kind === "volumeType") {
    if (!listings.volumeTypes) return undefined; // not readable here: the build reports it
    return listings.volumeTypes.includes(lookup.value)
      ? undefined
      : `no volume type "${lookup.value}" is visible to this project${listed(listings.volumeTypes)}`;
  }
  if (lookup.kind === "availabilityZone") {
    const missing: string[] = [];
    if (listings.volumeZones && !listings.volumeZones.includes(lookup.value))
      missing.push(
        `not an availability zone of the block storage service (builder volume)${listed(listings.volumeZones)}`,
      );
    if (listings.computeZones && !listings.computeZones.includes(lookup.value))
      missing.push(
        `not an availability zone of the compute service (builder server)${listed(listings.computeZones)}`,
      );
    return missing.length ? missing.join("; ") : undefined;
  }
  if (!result) return `${noun} "${lookup.value}" was not looked up`;
  switch (result.status) {
    case "found":
      return undefined;
    case "failed":
      return `could not look up the ${noun} "${lookup.value}": ${result.message}`;
    case "ambiguous":
      return `more than one ${noun} is named "${lookup.value}" in this project: give its id (\`${listCommand}\`)`;
    case "missing":
      switch (lookup.kind) {
        case "flavor":
          return `no flavor named "${lookup.value}" is visible to this project (looked up by name among the project's public and private flavors; \`${listCommand}\` lists them)`;
        case "sourceImageName":
          return `no active image named "${lookup.value}" is visible to this project (looked up by name among active images, the project's, shared, community and public; \`${listCommand}\`)`;
        case "sourceImageId":
          return `no active image with id ${lookup.value} is visible to this project (it does not exist, is not active yet, or is not shared with this project; \`${listCommand}\`)`;
        default:
          return `no ${noun} with ${by} "${lookup.value}" is visible to this project (looked up by ${by}; \`${listCommand}\` lists them)`;
      }
  }
}

/**
 * OpenStack bug 1823445: a volume can't be made from an image carrying
 * `signature_verified`. With `sourceImageSignatureVerified: fail` (the
 * default) that fails the preview; with `unset` the build removes it.
 */
export function signatureMessage(
  imageId: string,
  properties: Record<string, string> | undefined,
  setting: "fail" | "unset",
): string | undefined {
  if (setting === "unset" || !properties || !("signature_verified" in properties)) return undefined;
  return (
    `the source image ${imageId} has the property signature_verified, so the cloud cannot make a volume from it (OpenStack bug 1823445). ` +
    `Fix: openstack image unset --property signature_verified ${imageId} — or set sourceImageSignatureVerified: unset to let the build do it`
  );
}

/** One problem per build that names a value the cloud does not have. */
export function lookupProblems(
  lookups: Lookup[],
  results: Map<Lookup, LookupResult>,
  listings: CloudListings,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const lookup of lookups) {
    const message = lookupMessage(lookup, results.get(lookup), listings);
    if (message) problems.push(...lookup.uses.map((use) => problemOf(use, lookup.value, message)));
  }
  return problems;
}

export function problemOf(use: Use, value: string, message: string): PreflightProblem {
  return { build: use.build, key: use.key, value, message };
}

/**
 * Volume type names from the `volume_type_quota` of Cinder's quota set
 * (keys `volumes_<type>`, `gigabytes_<type>`, `snapshots_<type>`, one set per
 * type the project may use).
 */
export function volumeTypesOfQuota(volumeTypeQuota: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(volumeTypeQuota)) {
    const m = /^(?:volumes|gigabytes|snapshots)_(.+)$/.exec(key);
    if (m) names.add(m[1]);
  }
  return [...names].sort();
}

/** Classifies a data source's error: no match, several matches, or a failure of the lookup. */
export function classifyLookupError(message: string): LookupResult {
  if (/returned no results|No Flavor found|No Security Group found|no .* found/i.test(message))
    return { status: "missing" };
  if (/more than one/i.test(message)) return { status: "ambiguous" };
  return { status: "failed", message: shortError(message) };
}

/** The provider's own message, without the SDK's invoke wrapper and stack. */
export function shortError(message: string): string {
  const first = message.split("\n").find((l) => l.trim()) ?? message;
  return first.replace(/^.*?(?:returned an error|failed): /, "").trim();
}
