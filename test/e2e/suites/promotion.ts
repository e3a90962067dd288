/**
 * Staging → production, for real (issue 7): staging builds, production pins
 * the tested image (checked against staging's outputs through a
 * StackReference), shares it into the production project and hands it to
 * OpenTofu; previews of real changes rendered by `npm run plan`; staging's
 * keepImages; the copy method. Steps in order, each builds on the last.
 */
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { Osc } from "@slurm-image-builder/localcloud/testing";
import { openstackCli } from "../../helpers/openstackCli";
import { missingTofu, tofuPlan } from "../../helpers/tofu";
import { collector, startE2e, type E2e } from "../harness";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

interface BuiltOut {
  imageId: string;
  imageName: string;
  fingerprint: string;
  history: { imageId: string; imageName: string }[];
}

export interface PromotionSuiteOptions {
  /** localcloud with the real Keystone and Glance (its `realServices`). */
  realServices?: boolean;
}

export function promotionSuite(o: PromotionSuiteOptions = {}): void {
  describe(`end to end: staging → production promotion and the OpenTofu hand-off${o.realServices ? " (real Keystone and Glance)" : ""}`, function () {
    this.timeout(30 * 60_000);
    let e2e: E2e;
    let staging: Stack;
    let production: Stack;
    let prodOsc: Osc;
    const built: BuiltOut[] = [];
    let stagingConfig: Record<string, unknown>;
    let productionConfig: Record<string, unknown>;

    const stagingFat = async () =>
      ((await staging.outputs()).images.value as Record<string, BuiltOut>).fat;
    /** Runs one of this project's npm scripts (tsx) in the local project's environment. */
    const script = async (name: string, args: string[]) => {
      const { execa } = await import("execa");
      // tsx by path: the project directory has no node_modules of its own.
      const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
      const res = await execa(tsx, [path.join(repoRoot, "scripts", name), ...args], {
        cwd: e2e.projectDir,
        env: { ...process.env, ...e2e.env },
        reject: false,
      });
      return { code: res.exitCode, stdout: String(res.stdout), stderr: String(res.stderr) };
    };
    const members = async (imageId: string) =>
      e2e.osc.json<{ "Member ID": string; Status: string }[]>(["image", "member", "list", imageId]);
    const tfvarsAndPlan = async (stack: string, label: string) => {
      const out = path.join(e2e.dir, `tofu-${label}`, "cluster_image.auto.tfvars.json");
      const res = await script("tfvars.ts", ["--stack", stack, "--out", out]);
      assert.equal(res.code, 0, res.stderr);
      const vars = JSON.parse(fs.readFileSync(out, "utf8")) as {
        cluster_image: Record<string, string>;
        cluster_image_id: string;
      };
      const plan = await tofuPlan({
        configDir: path.join(repoRoot, "test", "fixtures", "opentofu"),
        workDir: path.dirname(out),
        varFile: out,
        env: e2e.cloud.env(e2e.cloud.clouds.production),
      });
      return { vars, resolved: plan.resolvedImageIds };
    };

    before(async function () {
      const missing = missingTofu();
      if (missing) throw new Error(missing);
      e2e = await startE2e(o.realServices ? "promotion-real" : "promotion", {
        cloud: { realServices: o.realServices },
      });
      prodOsc = new Osc(await openstackCli(), e2e.cloud.env(e2e.cloud.clouds.production));
      stagingConfig = {
        flavor: "general.v1.small",
        networks: ["localcloud-net"],
        sshTimeoutMinutes: 3,
        keepImages: 1,
        builds: { fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" } },
      };
      productionConfig = {
        "openstack:cloud": e2e.cloud.clouds.production,
        promoteFrom: "staging",
        promotionSourceCloud: e2e.cloud.clouds.staging,
      };
    });
    after(async () => e2e && (await e2e.stop()));

    it("staging builds the image; its outputs list what it keeps", async () => {
      staging = await e2e.stack("staging", stagingConfig);
      const result = await staging.up({ color: "never" });
      assert.equal(result.summary.result, "succeeded");
      const fat = await stagingFat();
      built.push(fat);
      assert.deepEqual(
        fat.history.map((h) => h.imageId),
        [fat.imageId],
      );
    });

    it("production refuses a pin staging never built, before any request reaches the cloud", async () => {
      const stranger = randomUUID();
      production = await e2e.stack("production", { ...productionConfig, pins: { fat: stranger } });
      e2e.cloud.clearRequests();
      await assert.rejects(production.preview(), (err: Error) => {
        const expected = `slurm-image-builder:pins.fat: not an image that stack staging built for fat; its current fat image is ${built[0].imageId}`;
        assert.ok(err.message.includes(expected), `missing "${expected}" in:\n${err.message}`);
        return true;
      });
      e2e.writeConfig("production", {
        ...productionConfig,
        pins: { fat: "openhpc-fat" },
        builds: {},
      });
      await assert.rejects(production.preview(), (err: Error) => {
        for (const expected of [
          "slurm-image-builder:builds: a promoting stack (promoteFrom/pins) does not build images",
          'slurm-image-builder:pins.fat: must be an image id (a UUID), not a name (given: "openhpc-fat")',
        ]) {
          assert.ok(err.message.includes(expected), `missing "${expected}" in:\n${err.message}`);
        }
        return true;
      });
      assert.deepEqual(e2e.mutatingRequests(), []);
    });

    it("production promotes the tested image: shared, accepted, and OpenTofu resolves it", async () => {
      const [fat1] = built;
      e2e.writeConfig("production", { ...productionConfig, pins: { fat: fat1.imageId } });
      const out = collector();
      const result = await production.up({ color: "never", onOutput: out.onOutput });
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(result.summary.resourceChanges, { create: 3 }, out.lines.join("\n"));
      const outputs = await production.outputs();
      assert.equal(outputs.cluster_image_id.value, fat1.imageId);
      assert.deepEqual(outputs.cluster_image.value, { fat: fat1.imageName });

      assert.deepEqual(
        (await members(fat1.imageId)).map((m) => [m["Member ID"], m.Status]),
        [[e2e.cloud.projects.production, "accepted"]],
      );
      const visible = await prodOsc.json<{ ID: string }[]>(["image", "list"]);
      assert.ok(
        visible.some((i) => i.ID === fat1.imageId),
        "not listed in the production project",
      );

      const { vars, resolved } = await tfvarsAndPlan("production", "1");
      assert.deepEqual(vars, {
        cluster_image: { fat: fat1.imageName },
        cluster_image_id: fat1.imageId,
      });
      assert.deepEqual(resolved, { fat: fat1.imageId });
    });

    it("an appliance change shows in npm run plan as a rebuild with the files that changed", async () => {
      e2e.editAppliance(
        "environments/site/inventory/group_vars/builder/site.yml",
        "site_var: v2\n",
      );
      e2e.editAppliance("environments/site/inventory/groups", "[fatimage]\n[cuda]\n");
      e2e.editAppliance("environments/site/hooks/pre.yml", "- hosts: builder\n  tasks: []\n");
      const plan = await script("plan.ts", ["--stack", "staging"]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(
        plan.stdout,
        /\| `fat` \| \*\*rebuild\*\* \| appliance files: 2 changed, 1 added under environments\/site \|/,
        plan.stdout,
      );

      const out = collector();
      await staging.up({ color: "never", onOutput: out.onOutput });
      const fat = await stagingFat();
      built.push(fat);
      // keepImages 1, but the first image is in production: kept, and said why.
      assert.deepEqual(
        fat.history.map((h) => h.imageId),
        [built[1].imageId, built[0].imageId],
      );
      assert.ok(
        out.lines.some(
          (l) => l.includes(`keeping ${built[0].imageName}`) && l.includes("promoted"),
        ),
        out.lines.join("\n"),
      );
    });

    it("bumping the pin previews as that one change and moves the share", async () => {
      const [fat1, fat2] = built;
      e2e.writeConfig("production", { ...productionConfig, pins: { fat: fat2.imageId } });
      const preview = await production.preview({ color: "never" });
      assert.deepEqual(preview.changeSummary, { read: 1, replace: 1, same: 2 }, preview.stdout);
      const plan = await script("plan.ts", ["--stack", "production"]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.ok(
        plan.stdout.includes(
          `| \`fat\` | **promote** | pin: ${fat1.imageId} (${fat1.imageName}) → ${fat2.imageId} (${fat2.imageName}) |`,
        ),
        plan.stdout,
      );

      await production.up({ color: "never" });
      assert.deepEqual(await members(fat1.imageId), [], "the old image is still shared");
      assert.ok(await e2e.osc.json(["image", "show", fat1.imageId]), "the old image was deleted");
      assert.deepEqual(
        (await members(fat2.imageId)).map((m) => m.Status),
        ["accepted"],
      );
      const { resolved } = await tfvarsAndPlan("production", "2");
      assert.deepEqual(resolved, { fat: fat2.imageId });
    });

    it("staging's next build deletes the old image production let go, keeps the promoted one", async () => {
      const [fat1, fat2] = built;
      e2e.editAppliance(
        "environments/site/inventory/group_vars/builder/site.yml",
        "site_var: v3\n",
      );
      const out = collector();
      await staging.up({ color: "never", onOutput: out.onOutput });
      const fat3 = await stagingFat();
      built.push(fat3);
      assert.deepEqual(
        fat3.history.map((h) => h.imageId),
        [fat3.imageId, fat2.imageId],
      );
      const ids = (await e2e.osc.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID);
      assert.ok(
        !ids.includes(fat1.imageId),
        "fat1 should have been deleted (keepImages 1, not promoted)",
      );
      assert.ok(ids.includes(fat2.imageId));
    });

    it("the copy method puts a copy in the production project and keeps it when unpinned", async () => {
      const fat3 = built[2];
      const copyStack = await e2e.stack("production-copy", {
        ...productionConfig,
        promotionMethod: "copy",
        pins: { fat: fat3.imageId },
      });
      await copyStack.up({ color: "never" });
      const copyId = (await copyStack.outputs()).cluster_image_id.value as string;
      assert.notEqual(copyId, fat3.imageId);
      const copy = await prodOsc.json<{
        owner: string;
        checksum: string;
        properties: Record<string, string>;
      }>(["image", "show", copyId]);
      const original = await e2e.osc.json<{ checksum: string }>(["image", "show", fat3.imageId]);
      assert.equal(copy.owner, e2e.cloud.projects.production);
      assert.equal(copy.checksum, original.checksum);
      assert.equal(copy.properties.image_build_promoted_from, fat3.imageId);

      await copyStack.destroy({ color: "never" });
      assert.ok(
        await prodOsc.json(["image", "show", copyId]),
        "a promoting stack deleted an image",
      );
    });

    it("a replace that adopts the same image never deletes it, even with deleteImageOnDestroy", async () => {
      // What an upgrade that changes the trigger format does to every image.
      const fat3 = built[2];
      e2e.writeConfig("staging", { ...stagingConfig, deleteImageOnDestroy: true });
      await staging.up({ color: "never" });
      const urn = (await staging.exportStack()).deployment.resources
        .map((r: { urn: string }) => r.urn)
        .find((u: string) => u.endsWith("::fat-image"));
      assert.ok(urn, "no fat-image resource in the staging state");
      const out = collector();
      const result = await staging.up({ color: "never", replace: [urn], onOutput: out.onOutput });
      assert.equal(result.summary.resourceChanges?.replace, 1, out.lines.join("\n"));
      assert.equal((await stagingFat()).imageId, fat3.imageId, "the replace built a new image");
      assert.ok(
        await e2e.osc.json(["image", "show", fat3.imageId]),
        "the adopted image was deleted",
      );
      assert.ok(
        out.lines.some((l) => l.includes("a newer build of this stack uses it")),
        out.lines.join("\n"),
      );
    });
  });
}
