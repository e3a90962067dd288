/**
 * The preflight of a building stack, run by `pulumi preview` and `pulumi up`
 * before any build resource is registered: every cloud object a build names
 * is looked up through the main stack's OpenStack provider (its data
 * sources, read in preview too), the source images are checked, and the
 * quotas the project can see are compared with what the builds that would
 * run at once need. Any problem ends the run with one message naming each
 * build, config key and value; nothing is created. The decisions are in
 * lib/preflight/; this module only asks the cloud.
 */
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../lib/config/types";
import {
  classifyLookupError,
  lookupProblems,
  problemOf,
  signatureMessage,
  volumeTypesOfQuota,
  type CloudListings,
  type LookupResult,
  type PreflightProblem,
} from "../lib/preflight/checks";
import { isId, preflightLookups, type Lookup } from "../lib/preflight/lookups";
import {
  quotaProblems,
  type BuildNeed,
  type ComputeLimits,
  type VolumeQuota,
} from "../lib/preflight/quota";
import { formatPreflight } from "../lib/preflight/report";
import { fingerprintFilter } from "../lib/provenance";
import { contentInputs, fingerprintOf } from "../lib/triggers";
import type { BuildInputs } from "./buildInputs";

export interface PreflightArgs {
  settings: StackSettings;
  inputs: BuildInputs;
  project: string;
  stack: string;
  /** The project the token is scoped to (quotas are read for it). */
  projectId: string;
  /** How the cloud is described in the message (project, auth URL, region). */
  cloudLabel: string;
  provider: openstack.Provider;
}

export interface PreflightResult {
  /** Per build with a cloud source: the image id it starts from. */
  sourceImageIds: Record<string, string>;
  /** Builds whose image exists already (same fingerprint): this run builds nothing for them. */
  existing: string[];
}

/** Runs a data source; its "no results" / "more than one" / other errors as a LookupResult. */
async function read<T>(call: () => Promise<T>): Promise<{ value: T } | { error: LookupResult }> {
  try {
    return { value: await call() };
  } catch (err) {
    return { error: classifyLookupError(err instanceof Error ? err.message : String(err)) };
  }
}

export async function preflight(args: PreflightArgs): Promise<PreflightResult> {
  const { settings } = args;
  const opts: pulumi.InvokeOptions = { provider: args.provider };
  const lookups = preflightLookups(settings);
  const has = (kind: Lookup["kind"]) => lookups.some((l) => l.kind === kind);
  const problems: PreflightProblem[] = [];
  const warnings: string[] = [];

  // The project's own lists: volume types (keys of Cinder's quota set) and zones.
  const [volumeQuota, volumeZones, computeZones, computeLimits, activeImageIds, signed] =
    await Promise.all([
      read(() => openstack.blockstorage.getQuotasetV3({ projectId: args.projectId }, opts)),
      has("availabilityZone")
        ? read(() => openstack.blockstorage.getAvailabilityZonesV3({}, opts))
        : undefined,
      has("availabilityZone")
        ? read(() => openstack.compute.getAvailabilityZones({}, opts))
        : undefined,
      read(() => openstack.compute.getLimitsV2({ projectId: args.projectId }, opts)),
      has("sourceImageId") ? read(() => openstack.images.getImageIds({}, opts)) : undefined,
      has("sourceImageId")
        ? Promise.all(
            ["True", "False"].map((v) =>
              read(() =>
                openstack.images.getImageIds({ properties: { signature_verified: v } }, opts),
              ),
            ),
          )
        : undefined,
    ]);

  const listings: CloudListings = {};
  if ("value" in volumeQuota)
    listings.volumeTypes = volumeTypesOfQuota(volumeQuota.value.volumeTypeQuota);
  else warnings.push(`volume types and volume quotas not checked: ${failure(volumeQuota.error)}`);
  if (volumeZones && "value" in volumeZones) listings.volumeZones = volumeZones.value.names;
  if (computeZones && "value" in computeZones) listings.computeZones = computeZones.value.names;
  for (const [what, r] of [
    ["block storage", volumeZones],
    ["compute", computeZones],
  ] as const)
    if (r && "error" in r)
      warnings.push(`${what} availability zones not checked: ${failure(r.error)}`);

  // Each named object, once per value.
  const results = new Map<Lookup, LookupResult>();
  const flavors = new Map<string, { vcpus: number; ram: number }>();
  await Promise.all(
    lookups.map(async (lookup) => {
      const result = await lookupOne(lookup, opts, activeImageIds, args.projectId);
      if (result) results.set(lookup, result.result);
      if (lookup.kind === "flavor" && result?.flavor) flavors.set(lookup.value, result.flavor);
    }),
  );
  problems.push(...lookupProblems(lookups, results, listings));

  // Source images: resolved ids, and signature_verified as configured.
  const sourceImageIds: Record<string, string> = {};
  const signedIds = new Set((signed ?? []).flatMap((r) => ("value" in r ? r.value.ids : [])));
  for (const lookup of lookups) {
    const result = results.get(lookup);
    if (lookup.kind !== "sourceImageName" && lookup.kind !== "sourceImageId") continue;
    if (result?.status !== "found") continue;
    for (const use of lookup.uses) {
      const spec = settings.builds.find((b) => b.key === use.build)!;
      sourceImageIds[use.build] = result.id;
      const properties =
        lookup.kind === "sourceImageName"
          ? result.properties
          : signedIds.has(result.id)
            ? { signature_verified: "" }
            : {};
      const message = signatureMessage(result.id, properties, spec.sourceImageSignatureVerified);
      if (message) problems.push(problemOf(use, lookup.value, message));
    }
  }

  // Quotas: only for the builds that would run (no image of their fingerprint yet).
  const existing = await existingImages(args, sourceImageIds, opts);
  const needs: BuildNeed[] = settings.builds.map((spec) => ({
    key: spec.key,
    parent: spec.source.kind === "build" ? spec.source.key : undefined,
    builds: !existing.has(spec.key),
    cores: flavors.get(spec.flavor)?.vcpus ?? 0,
    ram: flavors.get(spec.flavor)?.ram ?? 0,
    volumeSize: spec.volume.size,
    volumeType: spec.volume.type,
  }));
  let compute: ComputeLimits | undefined;
  if ("value" in computeLimits) {
    const l = computeLimits.value;
    compute = {
      maxTotalInstances: l.maxTotalInstances,
      totalInstancesUsed: l.totalInstancesUsed,
      maxTotalCores: l.maxTotalCores,
      totalCoresUsed: l.totalCoresUsed,
      maxTotalRamSize: l.maxTotalRamSize,
      totalRamUsed: l.totalRamUsed,
    };
  } else warnings.push(`compute quotas not checked: ${failure(computeLimits.error)}`);
  let volume: VolumeQuota | undefined;
  if ("value" in volumeQuota) {
    const q = volumeQuota.value;
    volume = {
      volumes: q.volumes,
      gigabytes: q.gigabytes,
      perVolumeGigabytes: q.perVolumeGigabytes,
      volumeTypeQuota: q.volumeTypeQuota,
    };
  }
  problems.push(...quotaProblems(needs, compute, volume));

  for (const warning of warnings) void pulumi.log.warn(`preflight: ${warning}`);
  if (problems.length)
    throw new pulumi.RunError(formatPreflight(problems, args.project, args.cloudLabel));
  return { sourceImageIds, existing: [...existing] };
}

function failure(result: LookupResult): string {
  return result.status === "failed" ? result.message : result.status;
}

async function lookupOne(
  lookup: Lookup,
  opts: pulumi.InvokeOptions,
  activeImageIds: { value: { ids: string[] } } | { error: LookupResult } | undefined,
  projectId: string,
): Promise<{ result: LookupResult; flavor?: { vcpus: number; ram: number } } | undefined> {
  const v = lookup.value;
  const found = (r: { value: { id: string } } | { error: LookupResult }): LookupResult =>
    "value" in r ? { status: "found", id: r.value.id } : r.error;
  switch (lookup.kind) {
    case "flavor": {
      const r = await read(() => openstack.compute.getFlavor({ name: v }, opts));
      return {
        result: found(r),
        flavor: "value" in r ? { vcpus: r.value.vcpus ?? 0, ram: r.value.ram ?? 0 } : undefined,
      };
    }
    case "network":
      return {
        result: found(
          await read(() =>
            openstack.networking.getNetwork(isId(v) ? { networkId: v } : { name: v }, opts),
          ),
        ),
      };
    case "securityGroup":
      // By name in the build's project, as the build (and Nova) look it up:
      // an admin sees every project's "default".
      return {
        result: found(
          await read(() =>
            openstack.networking.getSecGroup(
              isId(v) ? { secgroupId: v } : { name: v, tenantId: projectId },
              opts,
            ),
          ),
        ),
      };
    case "floatingIpNetwork":
      return {
        result: found(
          await read(() => openstack.networking.getNetwork({ name: v, external: true }, opts)),
        ),
      };
    case "sourceImageName": {
      const r = await read(() => openstack.images.getImage({ name: v, mostRecent: true }, opts));
      return {
        result:
          "value" in r
            ? {
                status: "found",
                id: r.value.id,
                name: r.value.name,
                properties: stringProps(r.value.properties),
              }
            : r.error,
      };
    }
    case "sourceImageId":
      if (!activeImageIds) return undefined;
      if ("error" in activeImageIds) return { result: activeImageIds.error };
      return {
        result: activeImageIds.value.ids.includes(v)
          ? { status: "found", id: v }
          : { status: "missing" },
      };
    default:
      return undefined; // volume types and zones: decided from the listings
  }
}

function stringProps(properties: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(properties ?? {}).map(([k, value]) => [k, String(value)]),
  );
}

/**
 * Builds whose image exists already: an active image of this project with
 * the build's fingerprint (what the build would adopt instead of building). A chained
 * build can be checked only when the build it starts from exists.
 */
async function existingImages(
  args: PreflightArgs,
  sourceImageIds: Record<string, string>,
  opts: pulumi.InvokeOptions,
): Promise<Set<string>> {
  const existing = new Map<string, string>();
  for (const spec of args.settings.builds) {
    const source =
      spec.source.kind === "build" ? existing.get(spec.source.key) : sourceImageIds[spec.key];
    if (!source) continue;
    const fingerprint = fingerprintOf(
      contentInputs(
        spec,
        source,
        args.inputs.digest,
        args.inputs.extraVarsFileDigests[spec.key],
        args.inputs.secretExtraVars[spec.key]?.digests,
      ),
    );
    const r = await read(() =>
      // Owner: a server-side filter (the properties are matched by the
      // provider), so only this project's images are listed.
      openstack.images.getImageIds(
        {
          owner: args.projectId,
          properties: fingerprintFilter(fingerprint, spec.key, args.stack),
        },
        opts,
      ),
    );
    if ("value" in r && r.value.ids.length > 0) existing.set(spec.key, r.value.ids[0]);
  }
  return new Set(existing.keys());
}
