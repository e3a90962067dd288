// Keystone v3's routes: version discovery, tokens (issue, validate, revoke),
// catalog, and read-only projects, users and domains.
import { ApiError, authenticated, notFound, type Reply, type RouteEntry } from "../http";
import { DOMAINS, type AuthRequest, type KeystoneEmulator, type TokenHandler } from "./keystone";
import { catalog, projectView, tokenView, versionDocument } from "./views";

/** Keystone's 403 for an action its default policy keeps from a project member. */
const notAuthorized = (action: string) =>
  new ApiError(403, `You are not authorized to perform the requested action: ${action}.`);

export function identityRoutes(keystone: KeystoneEmulator): RouteEntry[] {
  const baseUrl = () => keystone.baseUrl();
  const withToken = (handler: TokenHandler) =>
    authenticated((ctx) => keystone.authenticate(ctx), handler);
  const records = () => keystone.records;
  const versions = (): Reply => ({
    status: 300,
    body: { versions: { values: [versionDocument(baseUrl())] } },
  });
  const V3 = "/identity/v3";

  return [
    ["GET", "/identity", versions],
    ["GET", V3, () => ({ status: 200, body: { version: versionDocument(baseUrl()) } })],
    [
      "POST",
      `${V3}/auth/tokens`,
      (ctx) => {
        const token = keystone.issue(ctx.json<{ auth?: AuthRequest }>().auth);
        return {
          status: 201,
          body: tokenView(baseUrl(), token),
          headers: { "X-Subject-Token": token.id },
        };
      },
    ],
    [
      "GET",
      `${V3}/auth/tokens`,
      withToken((ctx) => {
        const subject = keystone.validToken(ctx.header("x-subject-token") ?? "");
        if (!subject)
          throw notFound(`Could not find token: ${ctx.header("x-subject-token") ?? ""}.`);
        return {
          status: 200,
          body: tokenView(baseUrl(), subject),
          headers: { "X-Subject-Token": subject.id },
        };
      }),
    ],
    [
      "DELETE",
      `${V3}/auth/tokens`,
      withToken((ctx) => {
        keystone.revoke(ctx.header("x-subject-token") ?? "");
        return { status: 204 };
      }),
    ],
    [
      "GET",
      `${V3}/auth/catalog`,
      withToken((_ctx, token) => ({
        status: 200,
        body: { catalog: catalog(baseUrl(), token.project.id) },
      })),
    ],
    [
      "GET",
      `${V3}/auth/projects`,
      withToken((_ctx, token) => ({
        status: 200,
        body: { projects: [projectView(baseUrl(), token.project)] },
      })),
    ],
    [
      "GET",
      `${V3}/projects`,
      // Keystone's policy: listing projects is for admins (none of localcloud's users)
      withToken(() => {
        throw notAuthorized("identity:list_projects");
      }),
    ],
    [
      "GET",
      `${V3}/projects/:id`,
      withToken((ctx, token) => {
        // a member may see its token's project only (any other id, even unknown: 403)
        const project = records().projects.find((p) => p.id === ctx.params.id);
        if (!project || project.id !== token.project.id)
          throw notAuthorized("identity:get_project");
        return { status: 200, body: { project: projectView(baseUrl(), project) } };
      }),
    ],
    [
      "GET",
      `${V3}/users/:id`,
      withToken((ctx, token) => {
        const user = records().users.find((u) => u.id === ctx.params.id);
        if (!user || user.id !== token.user.id) throw notAuthorized("identity:get_user");
        return {
          status: 200,
          body: {
            user: {
              id: user.id,
              name: user.name,
              domain_id: user.domain_id,
              enabled: true,
              default_project_id: user.project_id,
            },
          },
        };
      }),
    ],
    [
      "GET",
      `${V3}/domains/:id`,
      withToken((ctx, token) => {
        // the domain of the token's project only
        const domain = DOMAINS.find((d) => d.id === ctx.params.id);
        if (!domain || domain.id !== token.project.domain_id)
          throw notAuthorized("identity:get_domain");
        return { status: 200, body: { domain: { ...domain, enabled: true, description: "" } } };
      }),
    ],
  ];
}
