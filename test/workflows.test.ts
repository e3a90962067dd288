/**
 * The GitHub Actions workflows pass actionlint (from `npm run tools`; see
 * docs/tools.md) with shellcheck on their scripts (a system package,
 * installed by .ci/run). Fails, never skips, when there is no workflow, no
 * actionlint or no shellcheck. Also: the example caller of the site
 * workflow (docs/examples/images.yml) checked against the reusable
 * workflow's inputs and secrets, and the site workflow's decision of what
 * to run (its `decide` step, run as bash on real git pushes).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { parse } from "yaml";
import { repoRoot, toolPath } from "../tools/paths";

const WORKFLOWS = join(repoRoot, ".github", "workflows");
const SITE_WORKFLOW = join(WORKFLOWS, "site-images.yml");
const EXAMPLE = join(repoRoot, "docs", "examples", "images.yml");

function shellcheck(): string {
  const found = (process.env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "shellcheck"))
    .find((p) => existsSync(p));
  assert.ok(found, "shellcheck is not on PATH (apt-get install shellcheck; .ci/run installs it)");
  return found;
}

async function actionlint(cwd: string, files: string[]) {
  const bin = toolPath("actionlint");
  assert.ok(existsSync(bin), `actionlint is missing at ${bin} (run npm run tools)`);
  const { execa } = await import("execa");
  return execa(bin, ["-no-color", `-shellcheck=${shellcheck()}`, ...files], {
    cwd,
    stdin: "ignore",
    reject: false,
    all: true,
    timeout: 90_000,
  });
}

describe("GitHub workflows", function () {
  this.timeout(2 * 60_000);

  it("pass actionlint, scripts included", async () => {
    assert.ok(existsSync(WORKFLOWS), `no ${WORKFLOWS} directory`);
    const files = readdirSync(WORKFLOWS, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => join(".github", "workflows", e.name))
      .sort();
    assert.ok(files.length > 0, `no workflow (*.yml, *.yaml) in ${WORKFLOWS}`);
    assert.ok(files.includes(join(".github", "workflows", "site-images.yml")), files.join(", "));
    const res = await actionlint(repoRoot, files);
    assert.equal(
      res.exitCode,
      0,
      `actionlint ${files.join(" ")} exited ${String(res.exitCode)}:\n${String(res.all)}`,
    );
  });

  describe("the example caller of the site workflow", () => {
    let dir: string;
    /** A site repository whose caller uses the reusable workflow by local path, so actionlint reads it. */
    const lintCaller = async (caller: string) => {
      writeFileSync(join(dir, ".github", "workflows", "images.yml"), caller);
      return actionlint(dir, [join(".github", "workflows", "images.yml")]);
    };
    const local = (text: string) =>
      text.replace(
        /uses: ORG\/slurm-image-builder\/\.github\/workflows\/site-images\.yml@\S+/,
        "uses: ./.github/workflows/site-images.yml",
      );
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "site-caller-"));
      mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
      writeFileSync(
        join(dir, ".github", "workflows", "site-images.yml"),
        readFileSync(SITE_WORKFLOW),
      );
      execFileSync("git", ["init", "-q", dir]);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("passes actionlint against the reusable workflow's inputs and secrets", async () => {
      const example = readFileSync(EXAMPLE, "utf8");
      assert.notEqual(local(example), example, "the example does not call site-images.yml");
      const res = await lintCaller(local(example));
      assert.equal(res.exitCode, 0, String(res.all));
    });

    it("a misspelt input or a missing required secret fails that check", async () => {
      const example = local(readFileSync(EXAMPLE, "utf8"));
      const res = await lintCaller(
        example.replace("image-dir:", "image-directory:").replace(/\n\s+clouds-yaml:.*/, ""),
      );
      assert.notEqual(res.exitCode, 0);
      assert.match(String(res.all), /input "image-directory" is not defined/);
      assert.match(String(res.all), /secret "clouds-yaml" is required/);
    });
  });

  describe("the site workflow decides what to run", () => {
    let repo: string;
    let commits: Record<string, string>;
    const script = (() => {
      const workflow = parse(readFileSync(SITE_WORKFLOW, "utf8")) as {
        jobs: Record<string, { steps: { id?: string; run?: string }[] }>;
      };
      const step = workflow.jobs.decide.steps.find((s) => s.id === "decide");
      assert.ok(step?.run, "no decide step in site-images.yml");
      return step.run;
    })();

    interface Decision {
      code: number;
      outputs: Record<string, string>;
      log: string;
    }
    const decide = (env: Record<string, string>): Decision => {
      const out = join(repo, "..", `out-${Math.random().toString(36).slice(2)}`);
      writeFileSync(out, "");
      let code = 0;
      let log = "";
      try {
        log = execFileSync("bash", ["-c", script], {
          cwd: repo,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            PATH: process.env.PATH,
            ACTION: "auto",
            EVENT: "push",
            BEFORE: commits.base,
            AFTER: commits.base,
            IMAGE_DIR: "environments/site/images",
            STAGING: "staging",
            PRODUCTION: "production",
            GITHUB_OUTPUT: out,
            ...env,
          },
        });
      } catch (err) {
        const e = err as { status: number; stdout: string };
        code = e.status;
        log = e.stdout;
      }
      const outputs = Object.fromEntries(
        readFileSync(out, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      return { code, outputs, log };
    };
    const push = (before: string, after: string, env: Record<string, string> = {}) =>
      decide({ BEFORE: commits[before] ?? before, AFTER: commits[after], ...env });

    before(() => {
      const root = mkdtempSync(join(tmpdir(), "site-decide-"));
      repo = join(root, "fork");
      mkdirSync(repo);
      const git = (...args: string[]) =>
        execFileSync(
          "git",
          ["-c", "user.email=site@example.org", "-c", "user.name=site", ...args],
          { cwd: repo, encoding: "utf8" },
        ).trim();
      const commit = (name: string, file: string, content: string) => {
        mkdirSync(join(repo, file, ".."), { recursive: true });
        writeFileSync(join(repo, file), content);
        git("add", "-A");
        git("commit", "-qm", name);
        commits[name] = git("rev-parse", "HEAD");
      };
      commits = {};
      git("init", "-q");
      commit("base", "environments/site/images/Pulumi.production.yaml", "pins: {RL9: a}\n");
      commit("role", "ansible/roles/openhpc/tasks/main.yml", "- name: changed\n");
      commit("pin", "environments/site/images/Pulumi.production.yaml", "pins: {RL9: b}\n");
      commit("staging", "environments/site/images/Pulumi.staging.yaml", "config: {}\n");
      commit("bump", "environments/site/images/package-lock.json", "{}\n");
    });
    after(() => rmSync(join(repo, ".."), { recursive: true, force: true }));

    it("a pull request: a preview of each stack, no up", () => {
      const d = decide({ EVENT: "pull_request" });
      assert.equal(d.code, 0, d.log);
      assert.deepEqual(d.outputs, {
        preview: "true",
        stacks: '["staging","production"]',
        "up-staging": "false",
        "up-production": "false",
      });
      assert.deepEqual(JSON.parse(d.outputs.stacks), ["staging", "production"]);
    });

    it("a merge that changes the appliance: staging only", () => {
      for (const [from, to] of [
        ["base", "role"],
        ["pin", "staging"],
      ]) {
        const d = push(from, to);
        assert.equal(d.code, 0, d.log);
        assert.equal(d.outputs["up-staging"], "true");
        assert.equal(d.outputs["up-production"], "false", `${from}..${to}: ${d.log}`);
        assert.equal(d.outputs.preview, "false");
      }
    });

    it("a merge that changes production's pins or the program's version: production too", () => {
      for (const [from, to] of [
        ["role", "pin"],
        ["base", "staging"],
        ["staging", "bump"],
      ]) {
        const d = push(from, to);
        assert.equal(d.code, 0, d.log);
        assert.deepEqual(
          [d.outputs["up-staging"], d.outputs["up-production"]],
          ["true", "true"],
          `${from}..${to}: ${d.log}`,
        );
      }
      // The image directory given as ./dir/ is the same directory.
      const d = push("role", "pin", { IMAGE_DIR: "./environments/site/images/" });
      assert.equal(d.outputs["up-production"], "true", d.log);
    });

    it("a push whose previous commit is unknown (new branch, force push): production too", () => {
      for (const before of ["0000000000000000000000000000000000000000", "f".repeat(40), ""]) {
        const d = push(before, "role");
        assert.equal(d.code, 0, d.log);
        assert.equal(d.outputs["up-production"], "true", `${before}: ${d.log}`);
      }
    });

    it("without a production stack: one stack to preview, never a production up", () => {
      const pr = decide({ EVENT: "pull_request", PRODUCTION: "" });
      assert.equal(pr.outputs.stacks, '["staging"]');
      const d = push("role", "pin", { PRODUCTION: "" });
      assert.equal(d.outputs["up-production"], "false", d.log);
      const byHand = decide({
        ACTION: "up-production",
        EVENT: "workflow_dispatch",
        PRODUCTION: "",
      });
      assert.equal(byHand.code, 1);
      assert.match(byHand.log, /production-stack is empty/);
    });

    it("by hand: exactly the action asked for", () => {
      const cases: [string, Record<string, string>][] = [
        ["preview", { preview: "true", "up-staging": "false", "up-production": "false" }],
        ["up-staging", { preview: "false", "up-staging": "true", "up-production": "false" }],
        ["up-production", { preview: "false", "up-staging": "false", "up-production": "true" }],
      ];
      for (const [action, expected] of cases) {
        const d = decide({ ACTION: action, EVENT: "workflow_dispatch" });
        assert.equal(d.code, 0, d.log);
        const { stacks: _stacks, ...rest } = d.outputs;
        void _stacks;
        assert.deepEqual(rest, expected, action);
      }
    });

    it("refuses what it cannot do, naming the input", () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ EVENT: "workflow_dispatch" }, /event workflow_dispatch: set the action input/],
        [
          { ACTION: "deploy" },
          /action: expected auto, preview, up-staging or up-production, got 'deploy'/,
        ],
        [{ STAGING: "staging; rm -rf /" }, /staging-stack: not a stack name: 'staging; rm -rf \/'/],
        [{ PRODUCTION: 'prod"uction' }, /production-stack: not a stack name/],
      ];
      for (const [env, message] of cases) {
        const d = decide(env);
        assert.equal(d.code, 1, JSON.stringify(env));
        assert.match(d.log, message);
        assert.deepEqual(d.outputs, {}, "outputs written before the error");
      }
    });
  });
});
