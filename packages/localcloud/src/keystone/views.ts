// Keystone's response bodies: version document, token (with its catalog), project, domain.
import { randomBytes } from "node:crypto";
import { hexId, type Project } from "../state";
import { DOMAINS, type Token } from "./keystone";

/** Regions of the catalog: RegionOne and a second one with endpoints of its own. */
export const REGIONS = ["RegionOne", "RegionTwo"];

/**
 * The service catalog of a project: every service on every interface in
 * each region. RegionOne's public (and admin) endpoints are the plain URLs;
 * its internal ones and all of RegionTwo's are `/_/<region>/<interface>`
 * prefixes of the same services, so the request log shows which a client used.
 */
export function catalog(baseUrl: string, projectId: string): unknown[] {
  const at = (region: string, iface: string) =>
    region === REGIONS[0] && iface !== "internal" ? baseUrl : `${baseUrl}/_/${region}/${iface}`;
  const entry = (type: string, name: string, path: string) => ({
    id: hexId(),
    type,
    name,
    endpoints: REGIONS.flatMap((region) =>
      ["public", "internal", "admin"].map((iface) => ({
        id: `${type}-${region}-${iface}`,
        interface: iface,
        region,
        region_id: region,
        url: `${at(region, iface)}${path}`,
      })),
    ),
  });
  return [
    entry("identity", "keystone", "/identity"),
    entry("compute", "nova", "/compute/v2.1"),
    entry("volumev3", "cinderv3", `/volume/v3/${projectId}`),
    entry("block-storage", "cinder", `/volume/v3/${projectId}`),
    entry("image", "glance", "/image"),
    entry("network", "neutron", "/network"),
  ];
}

export function versionDocument(baseUrl: string) {
  return {
    id: "v3.14",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${baseUrl}/identity/v3/` }],
    "media-types": [
      { base: "application/json", type: "application/vnd.openstack.identity-v3+json" },
    ],
  };
}

function domainView(id: string) {
  return { id, name: DOMAINS.find((d) => d.id === id)?.name ?? id };
}

export function tokenView(baseUrl: string, token: Token) {
  return {
    token: {
      methods: token.methods,
      user: {
        id: token.user.id,
        name: token.user.name,
        domain: domainView(token.user.domain_id),
        password_expires_at: null,
      },
      project: {
        id: token.project.id,
        name: token.project.name,
        domain: domainView(token.project.domain_id),
      },
      roles: [
        { id: "member", name: "member" },
        { id: "reader", name: "reader" },
      ],
      is_domain: false,
      catalog: catalog(baseUrl, token.project.id),
      expires_at: token.expiresAt.toISOString().replace("Z", "000Z"),
      issued_at: token.issuedAt.toISOString().replace("Z", "000Z"),
      audit_ids: [randomBytes(16).toString("base64url").slice(0, 22)],
      ...(token.appCredId
        ? {
            application_credential: {
              id: token.appCredId,
              name: "localcloud-appcred",
              restricted: true,
            },
          }
        : {}),
    },
  };
}

export function projectView(baseUrl: string, project: Project) {
  return {
    id: project.id,
    name: project.name,
    domain_id: project.domain_id,
    enabled: true,
    is_domain: false,
    parent_id: project.domain_id,
    description: "",
    tags: [],
    links: { self: `${baseUrl}/identity/v3/projects/${project.id}` },
  };
}
