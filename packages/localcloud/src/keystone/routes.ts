// Keystone v3's routes: version discovery, tokens (issue, validate, revoke),
// catalog, and read-only projects, users and domains.
import { authenticated, notFound, type Reply, type RouteEntry } from "../http";
import { DOMAINS, type AuthRequest, type KeystoneEmulator, type TokenHandler } from "./keystone";
import { catalog, projectView, tokenView, versionDocument } from "./views";

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
      withToken((ctx) => {
        const name = ctx.query.get("name");
        const projects = records().projects.filter((p) => name === null || p.name === name);
        return {
          status: 200,
          body: {
            projects: projects.map((p) => projectView(baseUrl(), p)),
            links: { self: null, next: null, previous: null },
          },
        };
      }),
    ],
    [
      "GET",
      `${V3}/projects/:id`,
      withToken((ctx) => {
        const project = records().projects.find((p) => p.id === ctx.params.id);
        if (!project) throw notFound(`Could not find project: ${ctx.params.id}.`);
        return { status: 200, body: { project: projectView(baseUrl(), project) } };
      }),
    ],
    [
      "GET",
      `${V3}/users/:id`,
      withToken((ctx, token) => {
        const user = records().users.find((u) => u.id === ctx.params.id);
        if (!user || user.id !== token.user.id)
          throw notFound(`Could not find user: ${ctx.params.id}.`);
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
      withToken((ctx) => {
        const domain = DOMAINS.find((d) => d.id === ctx.params.id);
        if (!domain) throw notFound(`Could not find domain: ${ctx.params.id}.`);
        return { status: 200, body: { domain: { ...domain, enabled: true, description: "" } } };
      }),
    ],
  ];
}
