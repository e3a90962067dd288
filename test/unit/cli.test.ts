import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { parseArgs } from "../../cli/args";
import { initCommand } from "../../cli/init";
import { packageVersion } from "../../cli/version";
import { environmentOf, findApplianceRoot } from "../../lib/site";
import { resolveStackConfig } from "../../lib/config/resolve";

const fixture = path.join(__dirname, "..", "fixtures", "appliance");

describe("slurm-image-builder command line", () => {
  describe("options", () => {
    const known = {
      stack: { value: "stack name" },
      "from-packer": { value: "files", repeat: true },
      force: { flag: true },
    };
    const usage = "usage: x";

    it("reads --name value, --name=value, repeated values and switches", async () => {
      const got = parseArgs(
        ["--stack=a=b", "--from-packer", "x.hcl", "y.hcl", "--force", "--from-packer", "z.hcl"],
        known,
        usage,
      );
      assert.deepEqual(got.values, { stack: ["a=b"], "from-packer": ["x.hcl", "y.hcl", "z.hcl"] });
      assert.deepEqual([...got.flags], ["force"]);
    });

    it("refuses unknown options, bare words, a missing value and a single option twice, with the usage", async () => {
      assert.throws(
        () => parseArgs(["--stak", "s"], known, usage),
        /^UsageError: unknown argument --stak\nusage: x$/,
      );
      assert.throws(() => parseArgs(["staging"], known, usage), /unknown argument staging/);
      assert.throws(
        () => parseArgs(["--stack"], known, usage),
        /--stack needs a value \(stack name\)/,
      );
      assert.throws(
        () => parseArgs(["--from-packer"], known, usage),
        /--from-packer needs a value/,
      );
      assert.throws(
        () => parseArgs(["--stack", "a", "--stack", "b"], known, usage),
        /--stack is given twice/,
      );
      assert.throws(() => parseArgs(["--force=yes"], known, usage), /--force takes no value/);
    });
  });

  describe("init", () => {
    let dir: string;
    let appliance: string;
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-init-"));
      appliance = path.join(dir, "appliance");
      fs.cpSync(fixture, appliance, { recursive: true });
      lines.length = 0;
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds the appliance above the current directory and its environment", async () => {
      const inside = path.join(appliance, "environments", "site", "inventory");
      assert.equal(
        findApplianceRoot(inside, (f) => fs.existsSync(f)),
        appliance,
      );
      assert.equal(
        findApplianceRoot(dir, (f) => fs.existsSync(f)),
        undefined,
      );
      assert.equal(
        environmentOf(path.join(appliance, "environments", "prod", "images"), appliance),
        path.join(appliance, "environments", "prod"),
      );
      assert.equal(environmentOf(path.join(appliance, "images"), appliance), undefined);
    });

    it("writes environments/site/images with the package pinned and the appliance paths relative to it", async () => {
      const cwd = path.join(appliance, "ansible");
      const result = await initCommand([], { cwd, log });
      const site = path.join(appliance, "environments", "site", "images");
      assert.equal(result.siteDir, site);
      assert.deepEqual(fs.readdirSync(site).sort(), [
        ".gitignore",
        "Pulumi.staging.yaml",
        "Pulumi.yaml",
        "package.json",
      ]);
      const pkg = JSON.parse(fs.readFileSync(path.join(site, "package.json"), "utf8"));
      assert.deepEqual(pkg.dependencies, { "slurm-image-builder": packageVersion() });
      assert.equal(pkg.main, "node_modules/slurm-image-builder/dist/index.js");
      const project = parse(fs.readFileSync(path.join(site, "Pulumi.yaml"), "utf8"));
      assert.equal(project.name, "slurm-image-builder");
      assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: false } });
      const stack = parse(fs.readFileSync(path.join(site, "Pulumi.staging.yaml"), "utf8"));
      assert.deepEqual(stack.config, {
        "slurm-image-builder:repoRoot": "../../..",
        "slurm-image-builder:environmentRoot": "..",
      });
      assert.match(fs.readFileSync(path.join(site, ".gitignore"), "utf8"), /^node_modules\/$/m);
      assert.match(lines.join("\n"), /npm install/);
    });

    it("the written paths resolve to the appliance from the site directory (no APPLIANCES_* needed)", async () => {
      const { siteDir } = await initCommand([], { cwd: appliance, log });
      const stack = parse(fs.readFileSync(path.join(siteDir, "Pulumi.staging.yaml"), "utf8"));
      const config = Object.fromEntries(
        Object.entries(stack.config as Record<string, unknown>).map(([k, v]) => [
          k.split(":")[1],
          v,
        ]),
      );
      const settings = resolveStackConfig(
        {
          ...config,
          flavor: "m1.small",
          networks: ["net"],
          builds: { RL9: { sourceImageName: "rocky" } },
        },
        { env: {}, cwd: siteDir, namespace: "slurm-image-builder" },
      );
      assert.equal(settings.appliance.repoRoot, appliance);
      assert.equal(
        settings.appliance.environmentRoot,
        path.join(appliance, "environments", "site"),
      );
      // The site directory is not image content: its stack config never triggers a rebuild.
      assert.deepEqual(settings.appliance.fingerprintExclude, [siteDir]);
    });

    it("--dir elsewhere in the environments, --stack, and no overwrite without --force", async () => {
      fs.mkdirSync(path.join(appliance, "environments", "prod"));
      const { siteDir } = await initCommand(
        ["--dir", "environments/prod/img", "--stack", "production"],
        {
          cwd: appliance,
          log,
        },
      );
      const stack = parse(fs.readFileSync(path.join(siteDir, "Pulumi.production.yaml"), "utf8"));
      assert.equal(stack.config["slurm-image-builder:environmentRoot"], "..");
      assert.equal(stack.config["slurm-image-builder:repoRoot"], "../../..");
      await assert.rejects(
        () =>
          initCommand(["--dir", "environments/prod/img", "--stack", "production"], {
            cwd: appliance,
            log,
          }),
        /already has package\.json, Pulumi\.yaml, Pulumi\.production\.yaml, \.gitignore: not overwritten \(--force/,
      );
      await initCommand(["--dir", "environments/prod/img", "--stack", "production", "--force"], {
        cwd: appliance,
        log,
      });
    });

    it("says what is wrong: outside an appliance, a directory outside environments/, a bad stack name", async () => {
      await assert.rejects(
        () => initCommand([], { cwd: dir, log }),
        /is not inside a Slurm appliance checkout \(no ansible\/fatimage\.yml/,
      );
      await assert.rejects(
        () => initCommand(["--dir", "images"], { cwd: appliance, log }),
        /is not under .*environments\/<name>: say which environment with --environment/,
      );
      const { siteDir } = await initCommand(
        ["--dir", "images", "--environment", "environments/site"],
        {
          cwd: appliance,
          log,
        },
      );
      const stack = parse(fs.readFileSync(path.join(siteDir, "Pulumi.staging.yaml"), "utf8"));
      assert.equal(stack.config["slurm-image-builder:environmentRoot"], "../environments/site");
      await assert.rejects(
        () => initCommand(["--stack", "a b"], { cwd: appliance, log }),
        /--stack a b: expected letters/,
      );
    });

    it("--from-packer/--build: the stack file is the Packer import, with the site's appliance paths", async () => {
      // A CI machine's repo_root is not where this checkout is: init's paths win, and say so.
      fs.writeFileSync(path.join(dir, "ci.pkrvars.hcl"), 'repo_root = "/ci/checkout"\n');
      await initCommand(
        [
          "--from-packer",
          "environments/site/builder.pkrvars.hcl",
          path.join(dir, "ci.pkrvars.hcl"),
          "--build",
          "RL9=environments/site/builds/RL9.pkrvars.hcl",
          "--build",
          "RL9-cuda=environments/site/builds/RL9-cuda.pkrvars.hcl",
        ],
        { cwd: appliance, env: {}, log },
      );
      const text = fs.readFileSync(
        path.join(appliance, "environments/site/images/Pulumi.staging.yaml"),
        "utf8",
      );
      const config = parse(text).config as Record<string, unknown>;
      assert.equal(config["slurm-image-builder:repoRoot"], "../../..");
      assert.equal(config["slurm-image-builder:environmentRoot"], "..");
      assert.equal(config["slurm-image-builder:flavor"], "general.v1.medium");
      const builds = config["slurm-image-builder:builds"] as Record<
        string,
        Record<string, unknown>
      >;
      assert.equal(builds.RL9.volumeSize, 25);
      assert.deepEqual(Object.keys(config["slurm-image-builder:builds"] as object), [
        "RL9",
        "RL9-cuda",
      ]);
      // What was not imported is in the file and in the output, never dropped silently.
      assert.match(text, /NOT IMPORTED:\n#\s+- os_version/);
      assert.match(
        text,
        /repoRoot: "\/ci\/checkout" from the var files replaced by \.\.\/\.\.\/\.\., where this directory is/,
      );
      assert.match(lines.join("\n"), /not imported \(\d+\):\n\s+- os_version/);
      await assert.rejects(
        () => initCommand(["--build", "RL9", "--force"], { cwd: appliance, log }),
        /--build RL9: expected <build key>=<Packer variable file>/,
      );
    });
  });
});
