// Keystone as a project member sees it (what the runner and the promotion rely
// on): tokens for a password, an application credential and another token,
// their expiry, and what the default policy refuses a member.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCloud, startLocalCloud } from "../../src";
import { Rest } from "../../src/testing";
import { REAL_START_MS, against, type SuiteOptions } from "./conformance";

export function identitySuite(o: SuiteOptions = {}): void {
  describe(`localcloud Keystone for a project member${against(o)}`, function () {
    this.timeout(60_000);
    let cloud: LocalCloud;
    let stateDir: string;
    let staging: Rest;
    let prod: Rest;

    before(async function () {
      if (o.realServices) this.timeout(REAL_START_MS);
      stateDir = mkdtempSync(join(tmpdir(), "localcloud-identity-"));
      cloud = await startLocalCloud({
        stateDir,
        port: 0,
        baseImage: false,
        log: () => {},
        realServices: o.realServices,
      });
      staging = await Rest.login(cloud);
      prod = await Rest.login(cloud, cloud.clouds.production);
    });

    after(async () => {
      await cloud?.stop();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    const token = async (rest: Rest) =>
      (
        await rest.call("GET", "/identity/v3/auth/tokens", undefined, {
          headers: { "X-Subject-Token": rest.token },
        })
      ).json.token as { expires_at: string; methods: string[]; project: { id: string } };

    it("a token for a token keeps the first one's expiry and names both methods", async () => {
      const first = await token(staging);
      await new Promise((r) => setTimeout(r, 1100));
      const res = await staging.call("POST", "/identity/v3/auth/tokens", {
        auth: {
          identity: { methods: ["token"], token: { id: staging.token } },
          scope: { project: { id: staging.projectId } },
        },
      });
      assert.equal(res.status, 201, res.text);
      const second = res.json.token as { expires_at: string; methods: string[] };
      assert.equal(Date.parse(second.expires_at), Date.parse(first.expires_at));
      assert.deepEqual([...second.methods].sort(), ["password", "token"]);
    });

    it("a token for a token cannot move to a project the user has no role on (401)", async () => {
      const res = await staging.call("POST", "/identity/v3/auth/tokens", {
        auth: {
          identity: { methods: ["token"], token: { id: staging.token } },
          scope: { project: { id: prod.projectId } },
        },
      });
      assert.equal(res.status, 401, res.text);
    });

    it("a failed authentication says where to authenticate (WWW-Authenticate)", async () => {
      const res = await staging.call(
        "POST",
        "/identity/v3/auth/tokens",
        {
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: { name: "staging-user", domain: { name: "Default" }, password: "wrong" },
              },
            },
          },
        },
        { noAuth: true },
      );
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Keystone uri=".*\/v3"$/);
    });

    it("an unknown application credential is 404, a wrong secret 401", async () => {
      const auth = (credential: Record<string, unknown>) =>
        staging.call(
          "POST",
          "/identity/v3/auth/tokens",
          {
            auth: {
              identity: { methods: ["application_credential"], application_credential: credential },
            },
          },
          { noAuth: true },
        );
      const unknown = await auth({ id: "no-such-credential", secret: "x" });
      assert.equal(unknown.status, 404, unknown.text);
      assert.match(
        String((unknown.json.error as { message: string }).message),
        /Could not find Application Credential: no-such-credential/,
      );
      const noUser = await auth({
        name: "localcloud-appcred",
        secret: "x",
        user: { name: "nobody", domain: { name: "Default" } },
      });
      assert.equal(noUser.status, 404, noUser.text);
      const app = await Rest.login(cloud, cloud.clouds.appcred);
      const id = ((await token(app)) as unknown as { application_credential: { id: string } })
        .application_credential.id;
      assert.equal((await auth({ id, secret: "wrong" })).status, 401);
      const byName = await auth({
        name: "localcloud-appcred",
        secret: "wrong",
        user: { name: "staging-user", domain: { name: "Default" } },
      });
      assert.equal(byName.status, 401);
    });

    it("a member sees its own project, user and domain; listing and others' are refused (403)", async () => {
      const get = async (path: string) => (await staging.call("GET", `/identity/v3${path}`)).status;
      const user = (await token(staging)) as unknown as { user: { id: string } };
      assert.equal(await get(`/projects/${staging.projectId}`), 200);
      assert.equal(await get(`/users/${user.user.id}`), 200);
      assert.equal(await get("/domains/default"), 200);
      assert.equal(await get("/projects"), 403);
      assert.equal(await get("/projects?name=production"), 403);
      assert.equal(await get(`/projects/${prod.projectId}`), 403);
      assert.equal(await get("/projects/no-such-project"), 403);
      const prodUser = (await token(prod)) as unknown as { user: { id: string } };
      assert.equal(await get(`/users/${prodUser.user.id}`), 403);
      const refused = await staging.call("GET", "/identity/v3/projects");
      assert.match(
        String((refused.json.error as { message: string }).message),
        /You are not authorized to perform the requested action: identity:list_projects/,
      );
    });

    it("the application credential's token names it and the project", async () => {
      const app = await Rest.login(cloud, cloud.clouds.appcred);
      const t = (await token(app)) as unknown as {
        methods: string[];
        application_credential?: { id: string };
        project: { id: string };
      };
      assert.deepEqual(t.methods, ["application_credential"]);
      assert.ok(t.application_credential?.id);
      assert.equal(t.project.id, staging.projectId);
    });
  });
}
