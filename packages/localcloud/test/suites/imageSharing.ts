// Glance behaviour that promoting an image from the staging project to production relies
// on: members (share, accept, unshare), tags, list filters, image data across projects.
// First over plain REST (status codes and rules), then with the real `openstack` CLI.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCloud, startLocalCloud } from "../../src";
import { Osc, Rest, tinyImage, uploadImage, urlOf } from "../../src/testing";
import { openstackCli } from "../repoTools";
import { REAL_START_MS, against, type SuiteOptions } from "./conformance";

const JSON_PATCH = { "Content-Type": "application/openstack-images-v2.1-json-patch" };

export function imageSharingRestSuite(o: SuiteOptions = {}): void {
  describe(`localcloud Glance sharing, tags, filters and data (REST)${against(o)}`, function () {
    this.timeout(60_000);
    let cloud: LocalCloud;
    let stateDir: string;
    let api: Rest;
    let prod: Rest;
    let tiny: Buffer;

    before(async function () {
      if (o.realServices) this.timeout(REAL_START_MS);
      stateDir = mkdtempSync(join(tmpdir(), "localcloud-sharing-"));
      cloud = await startLocalCloud({
        stateDir,
        port: 0,
        baseImage: false,
        log: () => {},
        realServices: o.realServices,
      });
      api = await Rest.login(cloud);
      prod = await Rest.login(cloud, cloud.clouds.production);
      tiny = tinyImage(stateDir);
    });

    afterEach(() => cloud?.faults.clear());

    after(async () => {
      await cloud?.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const img = (id: string, rest = "") => `/image/v2/images/${id}${rest}`;
    const setVisibility = async (id: string, visibility: string) => {
      const res = await api.call(
        "PATCH",
        img(id),
        [{ op: "replace", path: "/visibility", value: visibility }],
        { headers: JSON_PATCH },
      );
      assert.equal(res.status, 200, res.text);
    };
    const ids = async (client: Rest, query = "") =>
      ((await client.call("GET", `/image/v2/images${query}`)).json.images as { id: string }[]).map(
        (i) => i.id,
      );
    const adminProject = () => {
      const state = readFileSync(join(stateDir, "state.json"), "utf8");
      const projects = (JSON.parse(state) as { projects: { id: string; name: string }[] }).projects;
      return projects.find((p) => p.name === "admin")!.id;
    };

    describe("members", () => {
      it("only shared images have members; only the owner adds and removes them", async () => {
        const id = await uploadImage(api, "share-rules", tiny, { visibility: "private" });
        const add = (client: Rest, member: unknown) =>
          client.call("POST", img(id, "/members"), { member });
        // private: no members (the CLI's `image add project` does not change visibility)
        const onPrivate = await add(api, prod.projectId);
        assert.equal(onPrivate.status, 403);
        assert.match(String(onPrivate.json.message), /Not allowed to create members for image/);
        assert.equal((await api.call("GET", img(id, "/members"))).status, 403);
        assert.equal((await api.call("GET", img(id, `/members/${prod.projectId}`))).status, 404);
        await setVisibility(id, "shared");
        assert.equal((await add(prod, prod.projectId)).status, 404, "not visible to production");
        assert.equal((await api.call("POST", img(id, "/members"), {})).status, 400);
        assert.equal((await add(api, "")).status, 400);

        const added = await add(api, prod.projectId);
        assert.equal(added.status, 200, added.text);
        assert.deepEqual(Object.keys(added.json).sort(), [
          "created_at",
          "image_id",
          "member_id",
          "schema",
          "status",
          "updated_at",
        ]);
        assert.equal(added.json.status, "pending");
        assert.equal(added.json.schema, "/v2/schemas/member");
        assert.equal((await add(api, prod.projectId)).status, 409);
        const admin = adminProject();
        assert.equal((await add(api, admin)).status, 200);
        // a member cannot add members
        assert.equal((await add(prod, "someone-else")).status, 403);

        // the owner sees every member, a member only itself
        const members = async (client: Rest) =>
          ((await client.call("GET", img(id, "/members"))).json.members as { member_id: string }[])
            .map((m) => m.member_id)
            .sort();
        assert.deepEqual(await members(api), [admin, prod.projectId].sort());
        assert.deepEqual(await members(prod), [prod.projectId]);
        assert.equal((await api.call("GET", img(id, `/members/${admin}`))).status, 200);
        assert.equal((await prod.call("GET", img(id, `/members/${admin}`))).status, 404);
        assert.equal((await prod.call("GET", img(id, `/members/${prod.projectId}`))).status, 200);

        // only the member sets its status
        const status = (client: Rest, member: string, body: unknown) =>
          client.call("PUT", img(id, `/members/${member}`), body);
        assert.equal((await status(api, prod.projectId, { status: "accepted" })).status, 403);
        assert.equal((await status(prod, admin, { status: "accepted" })).status, 404);
        assert.equal((await status(prod, prod.projectId, { status: "yes" })).status, 400);
        assert.equal((await status(prod, prod.projectId, {})).status, 400);
        const accepted = await status(prod, prod.projectId, { status: "accepted" });
        assert.equal(accepted.status, 200, accepted.text);
        assert.equal(accepted.json.status, "accepted");

        // the member can use the image but not change or delete it
        assert.equal((await prod.call("GET", img(id))).status, 200);
        const patch = await prod.call("PATCH", img(id), [{ op: "add", path: "/x", value: "y" }], {
          headers: JSON_PATCH,
        });
        assert.equal(patch.status, 403);
        assert.equal((await prod.call("DELETE", img(id))).status, 403);
        assert.equal((await prod.call("PUT", img(id, "/tags/mine"))).status, 403);
        assert.equal(
          (await prod.call("DELETE", img(id, `/members/${prod.projectId}`))).status,
          403,
        );
        assert.equal((await prod.call("POST", img(id, "/actions/deactivate"))).status, 403);
        assert.equal((await api.call("GET", img(id))).json.x, undefined);

        // the owner removes members; then the image is gone for them
        assert.equal((await api.call("DELETE", img(id, "/members/nobody"))).status, 404);
        assert.equal((await api.call("DELETE", img(id, `/members/${prod.projectId}`))).status, 204);
        assert.equal((await prod.call("GET", img(id))).status, 404);
        assert.deepEqual(await members(api), [admin]);
      });

      it("lists a shared image for the member once accepted, or by member_status", async () => {
        const id = await uploadImage(api, "share-list", tiny, { visibility: "shared" });
        await api.call("POST", img(id, "/members"), { member: prod.projectId });
        const setStatus = (status: string) =>
          prod.call("PUT", img(id, `/members/${prod.projectId}`), { status });

        // pending: visible by id (and its data), not listed unless asked for
        assert.equal((await prod.call("GET", img(id))).status, 200);
        assert.ok(!(await ids(prod)).includes(id));
        assert.ok(!(await ids(prod, "?visibility=shared")).includes(id));
        assert.ok((await ids(prod, "?member_status=pending")).includes(id));
        assert.ok((await ids(prod, "?visibility=shared&member_status=pending")).includes(id));
        assert.ok((await ids(prod, "?member_status=all")).includes(id));
        assert.ok(!(await ids(prod, "?member_status=accepted")).includes(id));
        assert.equal((await prod.call("GET", "/image/v2/images?member_status=maybe")).status, 400);
        assert.equal((await prod.call("GET", "/image/v2/images?visibility=friends")).status, 400);

        await setStatus("accepted");
        assert.ok((await ids(prod)).includes(id));
        assert.ok((await ids(prod, "?visibility=shared")).includes(id));
        assert.ok((await ids(prod, "?visibility=all")).includes(id));
        assert.ok(!(await ids(prod, "?visibility=private")).includes(id));

        await setStatus("rejected");
        assert.ok(!(await ids(prod)).includes(id));
        assert.ok((await ids(prod, "?member_status=rejected")).includes(id));
        assert.equal((await prod.call("GET", img(id))).status, 200, "still usable by id");
        await setStatus("pending");
        assert.ok((await ids(prod, "?member_status=pending")).includes(id));

        // the owner lists its shared images whatever member_status asks for
        assert.ok((await ids(api, "?visibility=shared&member_status=rejected")).includes(id));
        assert.ok((await ids(api)).includes(id));

        // back to private: the membership stays but gives no access
        await setStatus("accepted");
        await setVisibility(id, "private");
        assert.equal((await prod.call("GET", img(id))).status, 404);
        assert.ok(!(await ids(prod, "?member_status=all")).includes(id));
        await setVisibility(id, "shared");
        assert.equal((await prod.call("GET", img(id))).status, 200);
      });

      it("lists other projects' community images only when asked, never their private ones", async () => {
        const community = await uploadImage(api, "share-community", tiny, {
          visibility: "community",
        });
        const priv = await uploadImage(api, "share-private", tiny, { visibility: "private" });
        assert.ok(!(await ids(prod)).includes(community));
        assert.ok((await ids(prod, "?visibility=community")).includes(community));
        assert.ok((await ids(prod, "?visibility=all")).includes(community));
        assert.ok((await ids(api)).includes(community), "the owner lists its own");
        assert.equal((await prod.call("GET", img(community))).status, 200);
        for (const q of ["", "?visibility=all", "?visibility=private", "?member_status=all"])
          assert.ok(!(await ids(prod, q)).includes(priv), q);
        assert.ok((await ids(api, "?visibility=private")).includes(priv));
      });

      it("fails member creation with an injected 500 (fail fault)", async function () {
        // localcloud's faults act on its own listener, not on the real Glance
        if (o.realServices) this.skip();
        const id = await uploadImage(api, "share-fault", tiny, { visibility: "shared" });
        cloud.faults.fail({
          method: "POST",
          path: "^/image/v2/images/[^/]+/members$",
          status: 500,
        });
        const failed = await api.call("POST", img(id, "/members"), { member: prod.projectId });
        assert.equal(failed.status, 500);
        assert.equal(failed.json.code, "500 Internal Server Error");
        const retried = await api.call("POST", img(id, "/members"), { member: prod.projectId });
        assert.equal(retried.status, 200, "the fault fires once");
      });
    });

    describe("refusals", () => {
      it("says why as Glance does: hidden, not the owner, reserved names, another owner", async () => {
        const shared = await uploadImage(api, "refusals", tiny, { visibility: "shared" });
        const hidden = await uploadImage(api, "refusals-private", tiny);
        const message = (res: { json: Record<string, unknown> }) => String(res.json.message);
        const asMember = await prod.call("POST", img(hidden, "/members"), {
          member: prod.projectId,
        });
        assert.equal(asMember.status, 404);
        assert.match(message(asMember), new RegExp(`^Image ${hidden} not found\\.`));
        const gone = await prod.call("DELETE", img(hidden));
        assert.equal(gone.status, 404);
        assert.match(message(gone), new RegExp(`^Failed to find image ${hidden} to delete`));
        assert.equal(
          (await api.call("POST", img(shared, "/members"), { member: prod.projectId })).status,
          200,
        );
        for (const [method, path, body] of [
          ["PATCH", img(shared), [{ op: "add", path: "/x", value: "y" }]],
          ["DELETE", img(shared), undefined],
          ["POST", img(shared, "/actions/deactivate"), undefined],
        ] as const) {
          const res = await prod.call(method, path, body, { headers: JSON_PATCH });
          assert.equal(res.status, 403, `${method} ${path}`);
          assert.match(message(res), /^You do not own this image/, `${method} ${path}`);
        }
        const reserved = await api.call(
          "PATCH",
          img(shared),
          [{ op: "add", path: "/os_glance_mine", value: "1" }],
          { headers: JSON_PATCH },
        );
        assert.equal(reserved.status, 403);
        assert.match(message(reserved), /^Attribute 'os_glance_mine' is reserved\./);
        const foreign = await api.call("POST", "/image/v2/images", {
          name: "not-mine",
          owner: prod.projectId,
        });
        assert.equal(foreign.status, 403);
        assert.match(
          message(foreign),
          new RegExp(`^You are not permitted to create images owned by '${prod.projectId}'\\.`),
        );
      });
    });

    describe("tags", () => {
      it("adds and removes tags (owner only) and filters on them", async () => {
        const a = await uploadImage(api, "tags-a", tiny, { tags: ["x86_64"] });
        const b = await uploadImage(api, "tags-b", tiny);
        assert.equal((await api.call("PUT", img(a, "/tags/candidate"))).status, 204);
        assert.equal((await api.call("PUT", img(a, "/tags/candidate"))).status, 204, "idempotent");
        assert.equal((await api.call("PUT", img(b, "/tags/candidate"))).status, 204);
        // Glance keeps no order of tags
        assert.deepEqual([...((await api.call("GET", img(a))).json.tags as string[])].sort(), [
          "candidate",
          "x86_64",
        ]);
        assert.deepEqual((await ids(api, "?tag=candidate")).sort(), [a, b].sort());
        assert.deepEqual(await ids(api, "?tag=candidate&tag=x86_64"), [a]);
        assert.deepEqual(await ids(api, "?tag=nothing"), []);
        assert.equal((await api.call("DELETE", img(a, "/tags/candidate"))).status, 204);
        assert.equal((await api.call("DELETE", img(a, "/tags/candidate"))).status, 404);
        assert.deepEqual(await ids(api, "?tag=candidate"), [b]);
        assert.equal((await api.call("PUT", img(a, `/tags/${"t".repeat(256)}`))).status, 400);
        assert.equal((await prod.call("PUT", img(a, "/tags/x"))).status, 404, "not visible");
        assert.equal((await api.call("PUT", img("nope", "/tags/x"))).status, 404);
      });
    });

    describe("list filters", () => {
      let fat: string;
      let thin: string;
      let hidden: string;

      before(async () => {
        fat = await uploadImage(api, "filter-fat", tiny, {
          image_build_key: "fat",
          protected: true,
          min_ram: 512,
        });
        thin = await uploadImage(api, "filter-thin", Buffer.concat([tiny, tiny]), {
          image_build_key: "thin",
        });
        hidden = await uploadImage(api, "filter-hidden", tiny, {
          image_build_key: "fat",
          os_hidden: true,
        });
      });

      after(async () => {
        await api.call("PATCH", img(fat), [{ op: "replace", path: "/protected", value: false }], {
          headers: JSON_PATCH,
        });
      });

      it("filters on any property, columns, tags and os_hidden", async () => {
        assert.deepEqual(await ids(api, "?image_build_key=fat"), [fat]);
        assert.deepEqual(await ids(api, "?image_build_key=fat&os_hidden=true"), [hidden]);
        assert.deepEqual(await ids(api, "?image_build_key=fat&name=filter-thin"), []);
        assert.deepEqual(await ids(api, "?image_build_key=none"), []);
        assert.deepEqual(await ids(api, "?name=eq:filter-thin"), [thin]);
        assert.deepEqual(
          (await ids(api, '?name=in:filter-fat,"filter-thin",other')).sort(),
          [fat, thin].sort(),
        );
        assert.deepEqual(await ids(api, `?id=in:${thin},nope`), [thin]);
        assert.deepEqual(await ids(api, "?protected=true"), [fat]);
        assert.deepEqual(await ids(api, "?min_ram=512"), [fat]);
        assert.deepEqual(await ids(api, `?image_build_key=thin&size_min=${tiny.length + 1}`), [
          thin,
        ]);
        assert.deepEqual(await ids(api, `?image_build_key=thin&size_max=${tiny.length}`), []);
        const all = await ids(api, "?limit=1000");
        assert.deepEqual(await ids(api, `?owner=${api.projectId}&limit=1000`), all);
        // production lists staging's images it accepted, nothing else of staging's
        const fromStaging = (await prod.call("GET", `/image/v2/images?owner=${api.projectId}`)).json
          .images as { owner: string; visibility: string }[];
        assert.ok(fromStaging.length > 0);
        for (const i of fromStaging)
          assert.deepEqual([i.owner, i.visibility], [api.projectId, "shared"]);
        assert.deepEqual(await ids(prod, `?owner=${prod.projectId}`), []);
        const created = (await api.call("GET", img(fat))).json.created_at as string;
        assert.ok((await ids(api, `?created_at=gte:${created}`)).includes(fat));
        assert.ok(!(await ids(api, `?created_at=lt:${created}`)).includes(fat));
        assert.equal((await api.call("GET", img(fat, "/file"))).status, 200);
      });

      it("answers 400 for bad filter values, sort keys and limits", async () => {
        for (const q of [
          "name=like:x",
          'name=in:"a',
          "size_min=big",
          "protected=yes",
          "os_hidden=maybe",
          "created_at=yesterday",
          "created_at=after:2024-01-01T00:00:00Z",
          "changes-since=2024-01-01T00:00:00Z",
          "sort=image_build_key",
          "sort=name:up",
          "sort=name&sort_key=size",
          "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
          "limit=-1",
          "limit=ten",
          "marker=nope",
        ]) {
          const res = await api.call("GET", `/image/v2/images?${q}`);
          assert.equal(res.status, 400, `${q}: ${res.text}`);
        }
      });

      it("sorts by sort or sort_key/sort_dir and pages with marker and next", async () => {
        const names = async (query: string) =>
          (
            (await api.call("GET", `/image/v2/images?name=in:filter-fat,filter-thin&${query}`)).json
              .images as { name: string }[]
          ).map((i) => i.name);
        assert.deepEqual(await names("sort=name:asc"), ["filter-fat", "filter-thin"]);
        assert.deepEqual(
          await names("sort=name"),
          ["filter-thin", "filter-fat"],
          "desc by default",
        );
        assert.deepEqual(await names("sort_key=size&sort_dir=desc"), ["filter-thin", "filter-fat"]);
        assert.deepEqual(await names("sort_key=name&sort_dir=asc"), ["filter-fat", "filter-thin"]);

        // every image of the project, one page at a time
        const everything = await ids(api, "?limit=1000&sort=name:asc");
        const seen: string[] = [];
        let path = "/image/v2/images?limit=2&sort=name:asc";
        for (let pages = 0; pages < 100; pages++) {
          const page = await api.call("GET", path);
          seen.push(...(page.json.images as { id: string }[]).map((i) => i.id));
          if (!page.json.next) break;
          assert.match(page.json.next as string, /^\/v2\/images\?limit=2&sort=name%3Aasc&marker=/);
          path = `/image${page.json.next as string}`;
        }
        assert.deepEqual(seen, everything);
        // a marker need not match the filters: the page starts after it in the sort order
        const after = await names(`sort=name:asc&marker=${hidden}`);
        assert.deepEqual(after, ["filter-thin"]);
      });
    });

    describe("image data", () => {
      it("creates a queued image with properties, uploads into it, downloads across projects", async () => {
        const created = await api.call("POST", "/image/v2/images", {
          name: "data-copy",
          disk_format: "raw",
          container_format: "bare",
          visibility: "private",
          image_build_key: "fat",
          tags: ["promoted"],
        });
        assert.equal(created.status, 201, created.text);
        const id = created.json.id as string;
        assert.equal(created.json.status, "queued");
        assert.equal(created.json.image_build_key, "fat");
        assert.equal(created.json.size, null);
        assert.equal((await api.call("GET", img(id, "/file"))).status, 204, "no data yet");

        const put = (client: Rest, contentType = "application/octet-stream") =>
          client.call("PUT", img(id, "/file"), undefined, {
            raw: tiny,
            headers: { "Content-Type": contentType },
          });
        assert.equal((await put(api, "application/json")).status, 415);
        assert.equal((await put(prod)).status, 404, "not visible to production");
        assert.equal((await put(api)).status, 204);
        const shown = (await api.call("GET", img(id))).json;
        assert.equal(shown.status, "active");
        assert.equal(shown.size, tiny.length);
        assert.equal(shown.checksum, createHash("md5").update(tiny).digest("hex"));
        assert.equal(shown.os_hash_value, createHash("sha512").update(tiny).digest("hex"));
        assert.equal((await put(api)).status, 409, "data is set once");

        // shared and accepted: production downloads the same bytes
        await setVisibility(id, "shared");
        await api.call("POST", img(id, "/members"), { member: prod.projectId });
        await prod.call("PUT", img(id, `/members/${prod.projectId}`), { status: "accepted" });
        const download = await fetch(urlOf(cloud, img(id, "/file")), {
          headers: { "X-Auth-Token": prod.token },
        });
        assert.equal(download.status, 200);
        assert.equal(download.headers.get("content-md5"), shown.checksum);
        assert.deepEqual(Buffer.from(await download.arrayBuffer()), tiny);
        assert.equal((await put(prod)).status, 403, "a member cannot upload");

        // deactivated: no download for anyone but an admin
        assert.equal((await api.call("POST", img(id, "/actions/deactivate"))).status, 204);
        assert.equal((await prod.call("GET", img(id, "/file"))).status, 403);
        assert.equal((await api.call("GET", img(id, "/file"))).status, 403);
        assert.equal((await api.call("POST", img(id, "/actions/reactivate"))).status, 204);
        assert.equal((await prod.call("GET", img(id, "/file"))).status, 200);
      });

      it("checks owner and formats of a new image", async () => {
        const other = await api.call("POST", "/image/v2/images", {
          name: "data-owner",
          owner: prod.projectId,
        });
        assert.equal(other.status, 403);
        const own = await api.call("POST", "/image/v2/images", {
          name: "data-owner",
          owner: api.projectId,
        });
        assert.equal(own.status, 201, own.text);
        assert.equal(own.json.owner, api.projectId);
        assert.equal(own.json.visibility, "shared", "Glance's default visibility");
        const noFormats = await api.call("PUT", img(own.json.id as string, "/file"), undefined, {
          raw: tiny,
          headers: { "Content-Type": "application/octet-stream" },
        });
        assert.equal(noFormats.status, 400);
      });
    });
  });
}

export function imageSharingCliSuite(o: SuiteOptions = {}): void {
  describe(`localcloud Glance sharing with the openstack CLI${against(o)}`, function () {
    this.timeout(300_000);
    let cloud: LocalCloud;
    let stateDir: string;
    let osc: Osc;
    let tinyFile: string;
    let fat: string;
    let thin: string;
    let prod: string;

    before(async function () {
      if (o.realServices) this.timeout(REAL_START_MS);
      stateDir = mkdtempSync(join(tmpdir(), "localcloud-sharing-cli-"));
      cloud = await startLocalCloud({
        stateDir,
        port: 0,
        baseImage: false,
        log: () => {},
        realServices: o.realServices,
      });
      osc = new Osc(await openstackCli(), cloud.env());
      prod = cloud.clouds.production;
      tinyImage(stateDir);
      tinyFile = join(stateDir, "tiny.tar.gz");
    });

    after(async () => {
      await cloud?.stop();
      // LOCALCLOUD_REQUEST_LOG=file keeps the calls the CLI made (for docs/localcloud.md)
      if (cloud && process.env.LOCALCLOUD_REQUEST_LOG)
        writeFileSync(
          process.env.LOCALCLOUD_REQUEST_LOG,
          JSON.stringify(cloud.requests(), null, 1),
        );
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    const listIds = async (args: string[], cloudName?: string) =>
      (await osc.json<{ ID: string }[]>(["image", "list", ...args], cloudName)).map((i) => i.ID);

    it("creates private images with properties and tags from a file", async () => {
      const create = async (name: string, key: string) =>
        (
          await osc.json<{ id: string; status: string; visibility: string }>([
            "image",
            "create",
            "--file",
            tinyFile,
            "--disk-format",
            "raw",
            "--container-format",
            "bare",
            "--private",
            "--property",
            `image_build_key=${key}`,
            "--tag",
            "candidate",
            name,
          ])
        ).id;
      [fat, thin] = await Promise.all([create("cli-fat", "fat"), create("cli-thin", "thin")]);
      const shown = await osc.json<{ status: string; visibility: string; tags: string[] }>([
        "image",
        "show",
        fat,
      ]);
      assert.equal(shown.status, "active");
      assert.equal(shown.visibility, "private");
      assert.deepEqual(shown.tags, ["candidate"]);
    });

    it("cannot add a project to a private image (the CLI does not make it shared)", async () => {
      const out = await osc.fails(["image", "add", "project", fat, cloud.projects.production]);
      assert.match(out, /403|Forbidden/i);
    });

    it("shares with production: pending, hidden from its list until accepted", async () => {
      await osc.run(["image", "set", "--shared", fat]);
      const member = await osc.json<{ member_id: string; status: string }>([
        "image",
        "add",
        "project",
        fat,
        cloud.projects.production,
      ]);
      assert.equal(member.member_id, cloud.projects.production);
      assert.equal(member.status, "pending");
      const [plain, shared, pending] = await Promise.all([
        listIds([], prod),
        listIds(["--shared"], prod),
        listIds(["--member-status", "pending"], prod),
      ]);
      assert.ok(!plain.includes(fat), "pending share not listed");
      assert.ok(!shared.includes(fat), "--shared lists accepted shares only");
      assert.ok(pending.includes(fat));
      const shown = await osc.json<{ id: string }>(["image", "show", fat], prod);
      assert.equal(shown.id, fat, "a pending member sees the image by id");
    });

    it("accepts from production; then it is listed there", async () => {
      await osc.run(
        ["image", "set", "--accept", "--project", cloud.projects.production, fat],
        prod,
      );
      const [plain, shared] = await Promise.all([listIds([], prod), listIds(["--shared"], prod)]);
      assert.ok(plain.includes(fat));
      assert.ok(shared.includes(fat));
      assert.ok(!plain.includes(thin), "the unshared image stays hidden");
      const members = await osc.json<{ "Member ID": string; Status: string }[]>([
        "image",
        "member",
        "list",
        fat,
      ]);
      assert.deepEqual(
        members.map((m) => [m["Member ID"], m.Status]),
        [[cloud.projects.production, "accepted"]],
      );
    });

    it("production can download but neither change nor delete the image", async () => {
      const out = join(stateDir, "downloaded");
      await osc.run(["image", "save", "--file", out, fat], prod);
      assert.deepEqual(readFileSync(out), readFileSync(tinyFile));
      assert.match(await osc.fails(["image", "delete", fat], prod), /Failed to delete/);
      await osc.fails(["image", "set", "--property", "stolen=yes", fat], prod);
      const shown = await osc.json<{ properties: Record<string, string> }>(["image", "show", fat]);
      assert.equal(shown.properties.stolen, undefined);
    });

    it("sets and unsets tags; lists by tag and by property", async () => {
      await osc.run(["image", "set", "--tag", "promoted", fat]);
      assert.deepEqual(await listIds(["--tag", "promoted"]), [fat]);
      assert.deepEqual((await listIds(["--tag", "candidate"])).sort(), [fat, thin].sort());
      assert.deepEqual(await listIds(["--tag", "candidate", "--tag", "promoted"]), [fat]);
      await osc.run(["image", "unset", "--tag", "promoted", fat]);
      assert.deepEqual(await listIds(["--tag", "promoted"]), []);
      assert.deepEqual(await listIds(["--property", "image_build_key=fat"]), [fat]);
      assert.deepEqual(await listIds(["--property", "image_build_key=fat"], prod), [fat]);
      assert.deepEqual(await listIds(["--property", "image_build_key=thin"], prod), []);
    });

    it("removes production from the members (unshare): hidden again", async () => {
      await osc.run(["image", "remove", "project", fat, cloud.projects.production]);
      assert.ok(!(await listIds([], prod)).includes(fat));
      assert.match(await osc.fails(["image", "show", fat], prod), /No Image found/);
      assert.deepEqual(await osc.json<unknown[]>(["image", "member", "list", fat]), []);
      assert.deepEqual(
        cloud.requests().filter((r) => r.unserved),
        [],
        "every call the CLI made was served",
      );
    });
  });
}
