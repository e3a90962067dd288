import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  applianceDigest,
  applianceFiles,
  areaOf,
  buildFingerprint,
  canonicalJson,
  type ContentInputs,
} from "../../lib/fingerprint";
import { projectDirExclusion } from "../../lib/config/resolve";
import { applianceAreaPaths, makeAppliance } from "../helpers/appliance";

describe("fingerprints", () => {
  const inputs: ContentInputs = {
    sourceImageId: "img-1",
    inventoryGroups: ["doca", "cuda"],
    volumeSize: 35,
    diskFormat: "raw",
    extraVars: { a: 1, b: { c: [1, 2] } },
    applianceDigest: "abc",
  };

  it("canonical JSON ignores key order", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: 2, c: 3 } }),
      canonicalJson({ a: { c: 3, d: 2 }, b: 1 }),
    );
  });

  it("is stable for equal inputs and ignores group order", () => {
    assert.equal(
      buildFingerprint(inputs),
      buildFingerprint({ ...inputs, inventoryGroups: ["cuda", "doca"] }),
    );
    assert.match(buildFingerprint(inputs), /^[0-9a-f]{32}$/);
  });

  it("changes with each input that decides image content", () => {
    const base = buildFingerprint(inputs);
    const variants: Partial<ContentInputs>[] = [
      { sourceImageId: "img-2" },
      { inventoryGroups: ["cuda"] },
      { volumeSize: 36 },
      { diskFormat: "qcow2" },
      { extraVars: { a: 2, b: { c: [1, 2] } } },
      { extraVarsFileDigest: "x" },
      { applianceDigest: "abd" },
    ];
    const seen = new Set([base]);
    for (const v of variants) {
      const fp = buildFingerprint({ ...inputs, ...v });
      assert.ok(!seen.has(fp), `fingerprint did not change for ${JSON.stringify(v)}`);
      seen.add(fp);
    }
  });

  describe("appliance digest", () => {
    let appliance: ReturnType<typeof makeAppliance>;
    let paths: string[];
    beforeEach(() => {
      appliance = makeAppliance();
      paths = applianceAreaPaths(appliance.repoRoot);
    });
    afterEach(() => appliance.cleanup());

    it("groups files by area and changes only the area that changed", () => {
      const before = applianceDigest(appliance.repoRoot, paths);
      assert.deepEqual(Object.keys(before.areas), [
        "ansible",
        "environments/common",
        "environments/site",
      ]);
      assert.equal(before.fileCount, 7);
      fs.writeFileSync(
        path.join(appliance.environmentRoot, "inventory/group_vars/builder/defaults.yml"),
        "marker: changed\n",
      );
      const after = applianceDigest(appliance.repoRoot, paths);
      assert.notEqual(after.digest, before.digest);
      assert.equal(after.areas.ansible, before.areas.ansible);
      assert.notEqual(after.areas["environments/site"], before.areas["environments/site"]);
    });

    it("ignores files outside the fingerprinted paths and the executable bit matters", () => {
      const before = applianceDigest(appliance.repoRoot, paths);
      fs.writeFileSync(path.join(appliance.repoRoot, "docs/README.md"), "changed docs\n");
      fs.writeFileSync(
        path.join(appliance.repoRoot, "environments/production/inventory/groups"),
        "[x]\n",
      );
      assert.equal(applianceDigest(appliance.repoRoot, paths).digest, before.digest);
      fs.chmodSync(path.join(appliance.repoRoot, "ansible/fatimage.yml"), 0o755);
      assert.notEqual(applianceDigest(appliance.repoRoot, paths).digest, before.digest);
    });

    it("in a git checkout, skips ignored files but sees untracked ones", () => {
      const git = (...args: string[]) =>
        execFileSync("git", ["-C", appliance.repoRoot, ...args], { stdio: "ignore" });
      git("init", "-q");
      fs.writeFileSync(path.join(appliance.repoRoot, ".gitignore"), "*.retry\n");
      git("add", "-A");
      git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "x");
      const before = applianceDigest(appliance.repoRoot, paths);
      fs.writeFileSync(path.join(appliance.repoRoot, "ansible/fatimage.retry"), "builder\n");
      assert.equal(applianceDigest(appliance.repoRoot, paths).digest, before.digest);
      fs.writeFileSync(path.join(appliance.repoRoot, "ansible/new-role.yml"), "- debug: {}\n");
      assert.ok(applianceFiles(appliance.repoRoot, paths).includes("ansible/new-role.yml"));
      assert.notEqual(applianceDigest(appliance.repoRoot, paths).digest, before.digest);
    });

    it("leaves a site directory inside the environment out (its stack config is not image content)", () => {
      const site = path.join(appliance.environmentRoot, "images");
      const exclude = projectDirExclusion(site, appliance.repoRoot, paths);
      assert.deepEqual(exclude, [site]);
      const before = applianceDigest(appliance.repoRoot, paths, exclude);
      fs.mkdirSync(site);
      fs.writeFileSync(path.join(site, "Pulumi.staging.yaml"), "config: {}\n");
      fs.writeFileSync(path.join(site, "package.json"), "{}\n");
      assert.equal(applianceDigest(appliance.repoRoot, paths, exclude).digest, before.digest);
      // Without the exclusion the same files would rebuild every image.
      assert.notEqual(applianceDigest(appliance.repoRoot, paths).digest, before.digest);
      // A project directory that holds fingerprinted paths, or lies outside, excludes nothing.
      assert.deepEqual(
        projectDirExclusion(appliance.environmentRoot, appliance.repoRoot, paths),
        [],
      );
      assert.deepEqual(projectDirExclusion(appliance.repoRoot, appliance.repoRoot, paths), []);
      assert.deepEqual(projectDirExclusion("/elsewhere/project", appliance.repoRoot, paths), []);
    });

    it("lists every file per area with a digest of its own", () => {
      const digest = applianceDigest(appliance.repoRoot, [
        ...paths,
        path.join(appliance.repoRoot, "requirements.yml"),
      ]);
      const listed = Object.fromEntries(
        Object.entries(digest.files).map(([area, files]) => [area, Object.keys(files).sort()]),
      );
      assert.deepEqual(listed, {
        ansible: ["fatimage.yml", "roles/example/tasks/main.yml"],
        "environments/common": ["inventory/groups"],
        "environments/site": [
          "activate",
          "ansible.cfg",
          "inventory/group_vars/builder/defaults.yml",
          "inventory/groups",
        ],
        "requirements.yml": ["requirements.yml"],
      });
      assert.deepEqual(Object.keys(digest.files), Object.keys(digest.areas));
      const all = Object.values(digest.files).flatMap((files) => Object.values(files));
      assert.equal(all.length, digest.fileCount);
      for (const d of all) assert.match(d, /^[0-9a-f]{12}$/);
      // Same content at two paths is still two different files.
      assert.notEqual(
        digest.files["environments/common"]["inventory/groups"],
        digest.files["environments/site"]["inventory/groups"],
      );
    });

    it("editing one file changes exactly that file's digest", () => {
      const before = applianceDigest(appliance.repoRoot, paths);
      fs.writeFileSync(path.join(appliance.environmentRoot, "inventory/groups"), "[login]\n[x]\n");
      const after = applianceDigest(appliance.repoRoot, paths);
      const differ: string[] = [];
      for (const [area, files] of Object.entries(after.files))
        for (const [file, d] of Object.entries(files))
          if (before.files[area]?.[file] !== d) differ.push(`${area}: ${file}`);
      assert.deepEqual(differ, ["environments/site: inventory/groups"]);
      assert.deepEqual(
        Object.keys(after.files["environments/site"]).sort(),
        Object.keys(before.files["environments/site"]).sort(),
      );

      fs.chmodSync(path.join(appliance.repoRoot, "ansible/fatimage.yml"), 0o755);
      const executable = applianceDigest(appliance.repoRoot, paths);
      assert.notEqual(
        executable.files.ansible["fatimage.yml"],
        after.files.ansible["fatimage.yml"],
      );
      assert.equal(
        executable.files.ansible["roles/example/tasks/main.yml"],
        after.files.ansible["roles/example/tasks/main.yml"],
      );
    });

    it("names areas by environment", () => {
      assert.equal(areaOf("environments/site/inventory/groups"), "environments/site");
      assert.equal(areaOf("ansible/roles/x/tasks/main.yml"), "ansible");
      assert.equal(areaOf("requirements.yml"), "requirements.yml");
    });
  });
});
