// Nova's microversions (2.1–2.96): the one a request asks for, 406 outside the
// range, and the headers that name it in every response.
import { ApiError, type RequestContext } from "../http";

export const COMPUTE_MAX_MICROVERSION = "2.96";

/** [major, minor] of the request's microversion (default 2.1, `latest` the maximum). */
export function parseMicroversion(ctx: RequestContext): [number, number] {
  const fromNew = ctx
    .header("openstack-api-version")
    ?.split(",")
    .map((s) => s.trim().split(/\s+/))
    .find(([service]) => service === "compute")?.[1];
  const asked = fromNew ?? ctx.header("x-openstack-nova-api-version") ?? "2.1";
  const [major, minor] = (asked === "latest" ? COMPUTE_MAX_MICROVERSION : asked)
    .split(".")
    .map(Number);
  const [maxMajor, maxMinor] = COMPUTE_MAX_MICROVERSION.split(".").map(Number);
  if (major !== 2 || !Number.isInteger(minor) || minor < 1 || minor > maxMinor || major > maxMajor)
    throw new ApiError(
      406,
      `Version ${asked} is not supported by the API. Minimum is 2.1 and maximum is ${COMPUTE_MAX_MICROVERSION}.`,
      "notAcceptable",
    );
  return [major, minor];
}

/** The minor number of the request's microversion: what response shapes depend on. */
export const microversionOf = (ctx: RequestContext): number => parseMicroversion(ctx)[1];

export function computeVersionHeaders(ctx: RequestContext): Record<string, string> {
  let version: string;
  try {
    version = `2.${microversionOf(ctx)}`;
  } catch {
    version = COMPUTE_MAX_MICROVERSION;
  }
  return {
    "X-Compute-Request-Id": ctx.requestId,
    "OpenStack-API-Version": `compute ${version}`,
    "X-OpenStack-Nova-API-Version": version,
    Vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
  };
}

export function versionDocuments(baseUrl: string) {
  const current = {
    id: "v2.1",
    status: "CURRENT",
    version: COMPUTE_MAX_MICROVERSION,
    min_version: "2.1",
    updated: "2013-07-23T11:33:21Z",
    links: [{ rel: "self", href: `${baseUrl}/compute/v2.1/` }],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" },
    ],
  };
  const legacy = {
    ...current,
    id: "v2.0",
    status: "SUPPORTED",
    version: "",
    min_version: "",
    links: [{ rel: "self", href: `${baseUrl}/compute/v2/` }],
  };
  return { current, legacy };
}
