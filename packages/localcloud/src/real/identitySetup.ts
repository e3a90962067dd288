// localcloud's identities made in the real Keystone through its API (domain
// hpc, projects staging and production, their users with role member, each
// project's application credential) and its services in Keystone's catalog.
// Keystone chooses the ids: `adoptIds` rewrites localcloud's records to them.
import type { Records } from "../state";
import type { KeystoneApi } from "./keystoneApi";

export const REGIONS = ["RegionOne", "RegionTwo"];

/** The ids Keystone gave: localcloud's id → Keystone's id. */
export type IdMap = Record<string, string>;

interface Created {
  id: string;
}

export async function createIdentities(api: KeystoneApi, records: Records): Promise<IdMap> {
  const admin = await api.adminToken();
  const ids: IdMap = {};
  const domain = await api.call<{ domain: Created }>("POST", "/domains", {
    token: admin,
    body: { domain: { name: "hpc", description: "localcloud's second domain" } },
  });
  const domainId = (local: string) => (local === "hpc" ? domain.domain.id : local);
  const found = await api.call<{ projects: Created[] }>("GET", "/projects?name=admin", {
    token: admin,
  });
  const localAdmin = records.projects.find((p) => p.name === "admin");
  if (localAdmin) ids[localAdmin.id] = found.projects[0].id;
  for (const project of records.projects.filter((p) => p.name !== "admin")) {
    const made = await api.call<{ project: Created }>("POST", "/projects", {
      token: admin,
      body: { project: { name: project.name, domain_id: domainId(project.domain_id) } },
    });
    ids[project.id] = made.project.id;
  }
  const roles = await api.call<{ roles: Created[] }>("GET", "/roles?name=member", {
    token: admin,
  });
  const member = roles.roles[0].id;
  for (const user of records.users) {
    const made = await api.call<{ user: Created }>("POST", "/users", {
      token: admin,
      body: {
        user: {
          name: user.name,
          password: user.password,
          domain_id: domainId(user.domain_id),
          default_project_id: ids[user.project_id],
        },
      },
    });
    ids[user.id] = made.user.id;
    await api.call(
      "PUT",
      `/projects/${ids[user.project_id]}/users/${made.user.id}/roles/${member}`,
      {
        token: admin,
      },
    );
  }
  for (const credential of records.appCredentials) {
    const user = records.users.find((u) => u.id === credential.user_id)!;
    const project = records.projects.find((p) => p.id === credential.project_id)!;
    const token = await api.passwordToken({
      user: { name: user.name, domainId: domainId(user.domain_id), password: user.password },
      project: { name: project.name, domainId: domainId(project.domain_id) },
    });
    const made = await api.call<{ application_credential: Created }>(
      "POST",
      `/users/${ids[user.id]}/application_credentials`,
      {
        token: token.id,
        body: { application_credential: { name: credential.name, secret: credential.secret } },
      },
    );
    ids[credential.id] = made.application_credential.id;
  }
  return ids;
}

/** The records with every id Keystone replaced (projects, users, credentials and what names them). */
export function adoptIds(records: Records, ids: IdMap): Records {
  let text = JSON.stringify(records);
  for (const [local, remote] of Object.entries(ids)) text = text.split(local).join(remote);
  return JSON.parse(text) as Records;
}

/** Catalog entries: [type, name, url path under its base] of the services localcloud serves. */
export const LOCAL_SERVICES: [string, string, string][] = [
  ["compute", "nova", "/compute/v2.1"],
  ["volumev3", "cinderv3", "/volume/v3/%(project_id)s"],
  ["block-storage", "cinder", "/volume/v3/%(project_id)s"],
  ["network", "neutron", "/network"],
];

/**
 * Endpoints of every service in both regions on every interface, as
 * localcloud's own catalog has them: RegionOne's public and admin endpoints
 * of localcloud's services are its plain URLs, the others its
 * `/_/<region>/<interface>` prefixes; Keystone and Glance have one URL each.
 */
export function catalogEndpoints(
  localUrl: string,
  keystoneUrl: string,
  glanceUrl: string,
): { type: string; name: string; region: string; iface: string; url: string }[] {
  const out: { type: string; name: string; region: string; iface: string; url: string }[] = [];
  for (const region of REGIONS)
    for (const iface of ["public", "internal", "admin"]) {
      const at =
        region === REGIONS[0] && iface !== "internal"
          ? localUrl
          : `${localUrl}/_/${region}/${iface}`;
      for (const [type, name, path] of LOCAL_SERVICES)
        out.push({ type, name, region, iface, url: `${at}${path}` });
      out.push({ type: "image", name: "glance", region, iface, url: glanceUrl });
      out.push({ type: "identity", name: "keystone", region, iface, url: `${keystoneUrl}/v3` });
    }
  return out;
}

/** Registers the catalog (keeping bootstrap's identity service, replacing its endpoints). */
export async function registerCatalog(
  api: KeystoneApi,
  endpoints: ReturnType<typeof catalogEndpoints>,
): Promise<void> {
  const admin = await api.adminToken();
  const regions = await api.call<{ regions: Created[] }>("GET", "/regions", { token: admin });
  for (const region of REGIONS)
    if (!regions.regions.some((r) => r.id === region))
      await api.call("POST", "/regions", { token: admin, body: { region: { id: region } } });
  const services = await api.call<{ services: { id: string; type: string }[] }>(
    "GET",
    "/services",
    { token: admin },
  );
  const old = await api.call<{ endpoints: Created[] }>("GET", "/endpoints", { token: admin });
  for (const e of old.endpoints) await api.call("DELETE", `/endpoints/${e.id}`, { token: admin });
  const serviceIds = new Map(services.services.map((s) => [s.type, s.id]));
  for (const e of endpoints) {
    let serviceId = serviceIds.get(e.type);
    if (!serviceId) {
      const made = await api.call<{ service: Created }>("POST", "/services", {
        token: admin,
        body: { service: { type: e.type, name: e.name, enabled: true } },
      });
      serviceId = made.service.id;
      serviceIds.set(e.type, serviceId);
    }
    await api.call("POST", "/endpoints", {
      token: admin,
      body: {
        endpoint: { service_id: serviceId, interface: e.iface, region_id: e.region, url: e.url },
      },
    });
  }
}
