import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { applianceDigest, type ApplianceDigest, type ContentInputs } from "../../lib/fingerprint";
import {
  applianceFileChanges,
  planRows,
  renderPlan,
  triggerChanges,
  type PreviewJson,
  type PreviewStep,
} from "../../lib/previewPlan";
import { rebuildTriggers } from "../../lib/triggers";
import { applianceAreaPaths, makeAppliance } from "../helpers/appliance";

/** Pulumi's marker for a value not known until the update runs. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ROCKY = "5f3c2a1b-0d9e-4c8b-a7f6-e5d4c3b2a190";
const ROCKY_NEW = "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586";
const FAT_OLD = "2c1d7f9a-54e2-4a1c-8a7f-3a5cc2d7b202";
const FAT_NEW = "1b0c6f8e-43d1-4f0b-9f6e-2f4bb1c6a101";
const VENDOR = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const STACK_URN =
  "urn:pulumi:staging::slurm-image-builder::pulumi:pulumi:Stack::slurm-image-builder-staging";
const IMAGE_SET_URN = "urn:pulumi:staging::slurm-image-builder::slurm-image:index:ImageSet::images";
const buildComponentUrn = (key: string) =>
  `urn:pulumi:staging::slurm-image-builder::slurm-image:index:ImageSet$slurm-image:index:ImageBuild::${key}`;
const buildUrn = (key: string) =>
  `urn:pulumi:staging::slurm-image-builder::slurm-image:index:ImageSet$slurm-image:index:ImageBuild$command:local:Command::${key}-image`;
const promotionUrn = (key: string) =>
  `urn:pulumi:production::slurm-image-builder::slurm-image:index:ImagePromotion$command:local:Command::${key}-promotion`;

const siteFiles = (): Record<string, string> => ({
  activate: "0a0a0a0a0a0a",
  "ansible.cfg": "1b1b1b1b1b1b",
  "inventory/groups": "2c2c2c2c2c2c",
  "inventory/group_vars/builder/defaults.yml": "3d3d3d3d3d3d",
});
const applianceFilesBefore = (): ApplianceDigest["files"] => ({
  ansible: { "fatimage.yml": "4e4e4e4e4e4e", "roles/example/tasks/main.yml": "5f5f5f5f5f5f" },
  "environments/site": siteFiles(),
});

/** triggers[0] of a per-image command, as lib/triggers.ts makes it. */
const triggers = (
  change: Partial<ContentInputs & { applianceFiles: ApplianceDigest["files"] }> = {},
) =>
  rebuildTriggers({
    sourceImageId: ROCKY,
    inventoryGroups: ["fatimage"],
    volumeSize: 20,
    diskFormat: "raw",
    extraVars: {},
    applianceDigest: "digest-1",
    applianceFiles: applianceFilesBefore(),
    ...change,
  });

/** The inputs of a build's command in a preview: environment strings and triggers. */
const buildState = (
  key: string,
  trigger: unknown,
  source: object = { kind: "imageName", name: "Rocky-9-GenericCloud-Base-9.4" },
) => ({
  inputs: {
    interpreter: ["node", "--import", "tsx", "runner/main.ts"],
    dir: "/srv/slurm-image-builder",
    create: "build",
    update: "update",
    delete: "delete",
    environment: {
      IMAGE_BUILD_REQUEST: JSON.stringify({
        project: "slurm-image-builder",
        stack: "staging",
        spec: { key, source, inventoryGroups: ["fatimage"] },
        appliance: {
          repoRoot: "/srv/appliance",
          environmentRoot: "/srv/appliance/environments/site",
        },
        buildState: {},
      }),
      IMAGE_BUILD_SOURCE_IMAGE_ID: typeof trigger === "object" ? ROCKY : UNKNOWN,
      IMAGE_BUILD_FINGERPRINT: UNKNOWN,
    },
    triggers: [trigger],
  },
});

/** A replacement as `pulumi preview --json` lists it: three steps for one URN. */
const replaceSteps = (urn: string, oldState: object, newState: object): PreviewStep[] =>
  ["create-replacement", "replace", "delete-replaced"].map((op) => ({
    op,
    urn,
    oldState,
    newState,
    diffReasons: ["triggers"],
    replaceReasons: ["triggers"],
  }));

const promotionState = (key: string, imageId: string, imageName?: string, outside = false) => ({
  inputs: {
    create: "promote",
    update: "promote",
    delete: "unpromote",
    environment: {
      OS_CLOUD: "mycloud-production",
      IMAGE_PROMOTION_REQUEST: JSON.stringify({
        stack: "production",
        key,
        imageId,
        outside,
        ...(imageName ? { expected: { imageId, imageName, fingerprint: "f" } } : {}),
        promoteFrom: "staging",
        method: "share",
      }),
    },
    triggers: [{ imageId, method: "share" }],
  },
});

describe("preview → image plan", () => {
  describe("builds", () => {
    const changed = triggers({
      inventoryGroups: ["cuda", "fatimage"],
      volumeSize: 35,
      extraVars: { x: 1 },
      applianceDigest: "digest-2",
      applianceFiles: {
        ...applianceFilesBefore(),
        "environments/site": {
          ...siteFiles(),
          activate: "9a9a9a9a9a9a",
          "ansible.cfg": "9b9b9b9b9b9b",
          "inventory/groups": "9c9c9c9c9c9c",
        },
      },
    });
    const preview: PreviewJson = {
      steps: [
        { op: "same", urn: STACK_URN },
        { op: "same", urn: IMAGE_SET_URN },
        { op: "same", urn: buildComponentUrn("fat") },
        ...replaceSteps(buildUrn("fat"), buildState("fat", triggers()), buildState("fat", changed)),
        ...replaceSteps(
          buildUrn("fat-cuda"),
          buildState("fat-cuda", triggers({ sourceImageId: FAT_OLD })),
          buildState("fat-cuda", UNKNOWN, { kind: "build", key: "fat" }),
        ),
        {
          op: "same",
          urn: buildUrn("login"),
          oldState: buildState("login", triggers()),
          newState: buildState("login", triggers()),
        },
        { op: "create", urn: buildUrn("new"), newState: buildState("new", triggers()) },
        { op: "delete", urn: buildUrn("old"), oldState: buildState("old", triggers()) },
        {
          op: "update",
          urn: buildUrn("props"),
          oldState: buildState("props", triggers()),
          newState: buildState("props", triggers()),
          diffReasons: ["environment"],
        },
      ],
    };

    it("one row per build key with what happens and why", () => {
      assert.deepEqual(planRows(preview), [
        {
          key: "fat",
          kind: "build",
          action: "rebuild",
          reasons: [
            "inventory groups: +cuda",
            "volume size: 20 → 35 GB",
            "extra vars: x",
            "appliance files: 3 changed under environments/site",
          ],
        },
        {
          key: "fat-cuda",
          kind: "build",
          action: "rebuild",
          reasons: ["its source build fat rebuilds"],
        },
        { key: "login", kind: "build", action: "unchanged", reasons: [] },
        { key: "new", kind: "build", action: "build", reasons: ["new build key"] },
        {
          key: "old",
          kind: "build",
          action: "remove",
          reasons: ["no longer in the stack config; the image is kept unless deleteImageOnDestroy"],
        },
        {
          key: "props",
          kind: "build",
          action: "update properties",
          reasons: ["environment changed"],
        },
      ]);
    });

    it("counts a replacement once, whatever order its steps come in", () => {
      const steps = replaceSteps(
        buildUrn("fat"),
        buildState("fat", triggers()),
        buildState("fat", changed),
      );
      for (const order of [steps, [...steps].reverse(), [steps[2], steps[0], steps[1]]]) {
        const rows = planRows({ steps: order });
        assert.equal(rows.length, 1);
        assert.equal(rows[0].action, "rebuild");
        assert.deepEqual(rows[0].reasons, planRows(preview)[0].reasons);
      }
    });

    it("a new upstream source image shows as a source image change", () => {
      const [row] = planRows({
        steps: replaceSteps(
          buildUrn("fat"),
          buildState("fat", triggers()),
          buildState("fat", triggers({ sourceImageId: ROCKY_NEW })),
        ),
      });
      assert.deepEqual(row.reasons, ["source image: 5f3c2a1b → 8e7d6c5b"]);
    });

    it("an unknown source image of a build from a cloud image: its source image changes", () => {
      const [row] = planRows({
        steps: replaceSteps(
          buildUrn("fat"),
          buildState("fat", triggers()),
          buildState("fat", UNKNOWN),
        ),
      });
      assert.deepEqual(row, {
        key: "fat",
        kind: "build",
        action: "rebuild",
        reasons: ["its source image changes"],
      });
    });

    it("ignores everything that is not a per-image command", () => {
      const rows = planRows({
        steps: [
          { op: "same", urn: STACK_URN },
          { op: "create", urn: buildComponentUrn("fat") },
          {
            op: "create",
            urn: "urn:pulumi:staging::slurm-image-builder::command:local:Command::stray-image",
          },
        ],
      });
      assert.deepEqual(rows, []);
    });
  });

  describe("pins", () => {
    const preview: PreviewJson = {
      steps: [
        ...replaceSteps(
          promotionUrn("RL9"),
          promotionState("RL9", FAT_OLD, "openhpc-RL9-260105-0907-01234567"),
          promotionState("RL9", FAT_NEW, "openhpc-RL9-260110-1200-89abcdef"),
        ),
        {
          op: "create",
          urn: promotionUrn("RL9-cuda"),
          newState: promotionState("RL9-cuda", FAT_NEW, "openhpc-RL9-cuda-260110"),
        },
        {
          op: "same",
          urn: promotionUrn("vendor"),
          oldState: promotionState("vendor", VENDOR, undefined, true),
          newState: promotionState("vendor", VENDOR, undefined, true),
        },
        {
          op: "delete",
          urn: promotionUrn("RL8"),
          oldState: promotionState("RL8", FAT_OLD, "openhpc-RL8-251201"),
        },
      ],
    };

    it("promote (old pin → new), new pins, unchanged pins and unpins", () => {
      assert.deepEqual(planRows(preview), [
        {
          key: "RL8",
          kind: "pin",
          action: "unpin",
          reasons: [
            `pin removed: ${FAT_OLD} (openhpc-RL8-251201); its share is removed, the image is kept`,
          ],
        },
        {
          key: "RL9",
          kind: "pin",
          action: "promote",
          reasons: [
            `pin: ${FAT_OLD} (openhpc-RL9-260105-0907-01234567) → ${FAT_NEW} (openhpc-RL9-260110-1200-89abcdef)`,
          ],
        },
        {
          key: "RL9-cuda",
          kind: "pin",
          action: "promote",
          reasons: [`new pin: ${FAT_NEW} (openhpc-RL9-cuda-260110)`],
        },
        {
          key: "vendor",
          kind: "pin",
          action: "unchanged",
          reasons: [`pinned: ${VENDOR}, outside image`],
        },
      ]);
    });
  });

  describe("trigger changes in words", () => {
    it("nothing when nothing changed", () => {
      assert.deepEqual(triggerChanges(triggers(), triggers(), false), []);
    });

    it("removed groups, disk format, extra vars file and sorted extra var names", () => {
      const before = triggers({
        inventoryGroups: ["cuda", "fatimage"],
        extraVars: { b: 1, a: { deep: [1] } },
      });
      const after = triggers({
        inventoryGroups: ["fatimage", "doca"],
        diskFormat: "qcow2",
        extraVars: { b: 1, a: { deep: [2] }, c: "new" },
        extraVarsFileDigest: "e1",
      });
      assert.deepEqual(triggerChanges(before, after, false), [
        "inventory groups: +doca -cuda",
        "disk format: raw → qcow2",
        "extra vars: a, c",
        "extra vars file changed",
      ]);
    });

    it("counts changed, added and removed appliance files per area", () => {
      assert.deepEqual(
        applianceFileChanges(
          { "environments/site": { a: "1", b: "2", c: "3" }, ansible: { x: "1" } },
          { "environments/site": { a: "9", b: "2", d: "4" }, ansible: { x: "1" } },
        ),
        ["appliance files: 1 changed, 1 added, 1 removed under environments/site"],
      );
    });

    it("names areas added or removed, and areas of states from before per-file digests", () => {
      assert.deepEqual(
        applianceFileChanges(
          { ansible: "0123456789abcdef", "environments/old": { a: "1" } },
          { ansible: { "fatimage.yml": "1" }, "environments/new": { a: "1" } },
        ),
        [
          "appliance files changed under ansible",
          "appliance files: environments/new added",
          "appliance files: environments/old removed",
        ],
      );
      assert.deepEqual(applianceFileChanges(undefined, undefined), []);
    });

    it("counts what really changed in an appliance checkout", () => {
      const appliance = makeAppliance();
      try {
        const paths = applianceAreaPaths(appliance.repoRoot);
        const before = applianceDigest(appliance.repoRoot, paths);
        for (const file of ["activate", "ansible.cfg", "inventory/groups"])
          fs.appendFileSync(path.join(appliance.environmentRoot, file), "# changed\n");
        fs.writeFileSync(path.join(appliance.environmentRoot, "inventory/hosts"), "[x]\n");
        fs.rmSync(path.join(appliance.repoRoot, "ansible/roles/example/tasks/main.yml"));
        const after = applianceDigest(appliance.repoRoot, paths);
        assert.deepEqual(applianceFileChanges(before.files, after.files), [
          "appliance files: 1 removed under ansible",
          "appliance files: 3 changed, 1 added under environments/site",
        ]);
      } finally {
        appliance.cleanup();
      }
    });
  });

  describe("Markdown", () => {
    it("a table with one row per image and a count per action", () => {
      const markdown = renderPlan("staging", {
        steps: [
          ...replaceSteps(
            buildUrn("fat"),
            buildState("fat", triggers()),
            buildState("fat", triggers({ inventoryGroups: ["cuda", "fatimage"], volumeSize: 35 })),
          ),
          {
            op: "same",
            urn: buildUrn("login"),
            oldState: buildState("login", triggers()),
            newState: buildState("login", triggers()),
          },
          { op: "same", urn: buildUrn("compute"), oldState: buildState("compute", triggers()) },
        ],
        diagnostics: [{ severity: "info", message: "just so you know" }],
      });
      assert.equal(
        markdown,
        [
          "### Images: `staging`",
          "",
          "| image | action | why |",
          "| --- | --- | --- |",
          "| `compute` | unchanged |  |",
          "| `fat` | **rebuild** | inventory groups: +cuda; volume size: 20 → 35 GB |",
          "| `login` | unchanged |  |",
          "",
          "2 unchanged, 1 rebuild",
          "",
        ].join("\n"),
      );
    });

    it("escapes | in reasons so the table keeps its columns", () => {
      const markdown = renderPlan("staging", {
        steps: replaceSteps(
          buildUrn("fat"),
          buildState("fat", triggers()),
          buildState("fat", triggers({ extraVars: { "a|b": 1 } })),
        ),
      });
      assert.ok(markdown.includes("| `fat` | **rebuild** | extra vars: a\\|b |"), markdown);
    });

    it("shows the preview's errors, and no table when there is nothing to show", () => {
      const markdown = renderPlan("production", {
        steps: [{ op: "same", urn: STACK_URN }],
        diagnostics: [
          { severity: "warning", message: "provider warning: deprecated field" },
          {
            severity: "error",
            message:
              '  Invalid stack configuration, 1 problem; nothing was created:\n  - slurm-image-builder:pins.RL9: must be an image id (a UUID), not a name (given: "openhpc-RL9")\n',
          },
        ],
      });
      assert.equal(
        markdown,
        [
          "### Images: `production`",
          "",
          "**The preview failed:**",
          "",
          "```",
          "Invalid stack configuration, 1 problem; nothing was created:",
          '  - slurm-image-builder:pins.RL9: must be an image id (a UUID), not a name (given: "openhpc-RL9")',
          "```",
          "",
          "No image plan (see the error above).",
          "",
        ].join("\n"),
      );
      assert.equal(
        renderPlan("empty", { steps: [] }),
        "### Images: `empty`\n\nNo images in this stack.\n",
      );
    });
  });
});
