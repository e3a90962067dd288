/**
 * The pull-request comment of a site's image workflow
 * (.github/workflows/site-images.yml), on real previews: the real
 * `pulumi preview --diff` of this program on localcloud, with an appliance
 * tree the size of the real one (~450 files), rendered by the same two
 * commands the workflow runs (`plan`, then `preview-diff`). For a new stack
 * of four builds, a changed role file, a changed inventory groups file, a
 * build's inventoryGroups changed in the config, and a preview that fails:
 * each comment stays within GitHub's 65,536 characters, names every image
 * and says what changed (per file, with counts).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { COMMENT_LIMIT, renderPreviewComment } from "../../lib/previewDiff";
import { startE2e, type E2e } from "./harness";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Roles of the real appliance's ansible/roles (a subset), each with the files a role has. */
const ROLES = [
  "basic_users", "cacerts", "cluster_infra", "compute_init", "cuda", "dnf_repos", "doca",
  "eessi", "etc_hosts", "fail2ban", "filebeat", "firewalld", "freeipa", "gateway", "grafana",
  "hpctests", "k3s", "lustre", "lustre_client", "mysql", "mysql_exporter", "nfs", "ood",
  "openhpc", "opensearch", "passwords", "persist_hostkeys", "podman", "prometheus", "pytools",
  "rebuild", "resolv_conf", "slurm_exporter", "slurm_stats", "squid", "sshd", "sssd",
  "topology", "tuned", "zenith_proxy",
]; // prettier-ignore
const ROLE_FILES = [
  "README.md", "defaults/main.yml", "files/README.md", "handlers/main.yml", "meta/main.yml",
  "tasks/configure.yml", "tasks/install.yml", "tasks/main.yml", "tasks/validate.yml",
  "templates/config.j2", "vars/main.yml",
]; // prettier-ignore
const ROLE_FILE = "ansible/roles/openhpc/tasks/main.yml";
const roleText = (role: string, file: string) => `# ${role}: ${file}\n- name: ${role}\n`;

const KEYS = ["RL8", "RL8-cuda", "RL9", "RL9-cuda"];

interface Rendered {
  /** The text of `pulumi preview --diff`, as the job log shows it. */
  raw: string;
  exitCode: number;
  plan: string;
  comment: string;
}

describe("end to end: pull-request comments from real previews", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  let stack: Stack;
  let config: Record<string, unknown>;
  let ansibleFiles: number;

  /** The workflow's preview steps, in the local project: preview, plan, preview-diff. */
  const render = async (label: string): Promise<Rendered> => {
    const { execa } = await import("execa");
    const env = { ...process.env, ...e2e.env };
    const dir = path.join(e2e.dir, "comments", label);
    fs.mkdirSync(dir, { recursive: true });
    const preview = await execa(
      "pulumi",
      ["preview", "--diff", "--stack", "staging", "--color", "never"],
      { cwd: e2e.projectDir, env, reject: false, all: true },
    );
    const raw = String(preview.all);
    fs.writeFileSync(path.join(dir, "preview.txt"), raw);
    // The scripts by path with tsx: the project directory has no node_modules of its own.
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const script = (name: string, args: string[]) =>
      execa(tsx, [path.join(repoRoot, "scripts", name), ...args], {
        cwd: e2e.projectDir,
        env,
        reject: false,
      });
    const plan = await script("plan.ts", [
      "--stack",
      "staging",
      "--out",
      path.join(dir, "plan.md"),
    ]);
    assert.equal(plan.exitCode, preview.exitCode === 0 ? 0 : 1, String(plan.stderr));
    const comment = await script("previewDiff.ts", [
      ...["--stack", "staging", "--from", path.join(dir, "preview.txt")],
      ...["--plan", path.join(dir, "plan.md"), "--out", path.join(dir, "comment.md")],
      ...["--exit-code", String(preview.exitCode), "--log-url", "https://ci.example/run/1"],
    ]);
    assert.equal(comment.exitCode, 0, String(comment.stderr));
    return {
      raw,
      exitCode: preview.exitCode ?? -1,
      plan: fs.readFileSync(path.join(dir, "plan.md"), "utf8"),
      comment: fs.readFileSync(path.join(dir, "comment.md"), "utf8"),
    };
  };
  /** The folded preview of a comment (what follows the image plan). */
  const folded = (comment: string) => comment.slice(comment.indexOf("<details"));
  const count = (text: string, re: RegExp) => (text.match(new RegExp(re, "g")) ?? []).length;
  /** Within the limit; a plan row for every image; the folded preview names each changed one. */
  const assertFits = (r: Rendered, changed = KEYS) => {
    assert.ok(r.comment.length <= COMMENT_LIMIT, `comment of ${r.comment.length} characters`);
    for (const key of KEYS)
      assert.ok(r.comment.includes(`| \`${key}\` |`), `no plan row for ${key}:\n${r.plan}`);
    for (const key of changed)
      assert.ok(
        folded(r.comment).includes(`$command:local:Command::${key}-image]`),
        `the folded preview does not name ${key}`,
      );
  };

  before(async () => {
    e2e = await startE2e("comments");
    for (const role of ROLES)
      for (const file of ROLE_FILES) {
        const target = path.join(e2e.appliance.repoRoot, "ansible", "roles", role, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, roleText(role, file));
      }
    // Commits everything written above.
    e2e.editAppliance("ansible/roles/README.md", "# Roles of the appliance\n");
    const tracked = (dir: string) =>
      execFileSync("git", ["-C", e2e.appliance.repoRoot, "ls-files", dir], { encoding: "utf8" })
        .trim()
        .split("\n").length;
    ansibleFiles = tracked("ansible");
    assert.ok(tracked(".") >= 450, `the appliance copy has ${tracked(".")} files`);
    config = {
      flavor: "general.v1.small",
      networks: ["localcloud-net"],
      sshTimeoutMinutes: 3,
      builds: {
        RL8: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        RL9: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage" },
        "RL8-cuda": { sourceBuild: "RL8", inventoryGroups: "cuda,lustre" },
        "RL9-cuda": { sourceBuild: "RL9", inventoryGroups: "cuda" },
      },
    };
    stack = await e2e.stack("staging", config);
  });
  after(async () => e2e && (await e2e.stop()));

  it("a new stack of four builds: a comment within the limit naming every image and file count", async () => {
    const r = await render("new");
    assert.equal(r.exitCode, 0, r.raw);
    assert.ok(r.raw.length > COMMENT_LIMIT, `the raw preview is only ${r.raw.length} characters`);
    assertFits(r);
    for (const key of KEYS)
      assert.ok(r.comment.includes(`| \`${key}\` | **build** | new build key |`), r.plan);
    // The fat builds' triggers are known: their per-file maps are one line each, with the count.
    const ansibleMap = new RegExp(`\\bansible\\s*: \\{ … ${ansibleFiles} entries \\}`);
    assert.equal(count(folded(r.comment), ansibleMap), 2, folded(r.comment));
    assert.match(r.comment, /\+ 15 to create/);
    assert.match(r.comment, /full text in the \[job log\]\(https:\/\/ci\.example\/run\/1\)/);
    // At a tenth of the limit the real preview still names every image.
    const small = renderPreviewComment({ stack: "staging", diff: r.raw, limit: 6_553 });
    assert.ok(small.length <= 6_553, `${small.length}`);
    for (const key of KEYS) assert.ok(small.includes(`::${key}-image]`), small);
  });

  it("up builds the four images", async () => {
    const result = await stack.up({ color: "never" });
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.resourceChanges?.create, 15);
  });

  it("a changed role file: the file for the fat builds, the source for the chained ones", async () => {
    e2e.editAppliance(ROLE_FILE, "# openhpc: tasks/main.yml, changed\n");
    const r = await render("role");
    e2e.editAppliance(ROLE_FILE, roleText("openhpc", "tasks/main.yml"));
    assert.equal(r.exitCode, 0, r.raw);
    assert.ok(r.raw.length > COMMENT_LIMIT, `the raw preview is only ${r.raw.length} characters`);
    assertFits(r);
    for (const key of ["RL8", "RL9"])
      assert.ok(
        r.comment.includes(
          `| \`${key}\` | **rebuild** | appliance files: 1 changed under ansible |`,
        ),
        r.plan,
      );
    for (const [key, source] of [
      ["RL8-cuda", "RL8"],
      ["RL9-cuda", "RL9"],
    ])
      assert.ok(
        r.comment.includes(`| \`${key}\` | **rebuild** | its source build ${source} rebuilds |`),
        r.plan,
      );
    const diff = folded(r.comment);
    assert.equal(count(diff, /~ roles\/openhpc\/tasks\/main\.yml: "[0-9a-f]+" => "[0-9a-f]+"/), 2);
    // The chained builds' old triggers, removed as a whole: the file map as its count.
    assert.equal(count(diff, new RegExp(`- ansible\\s*: \\{ … ${ansibleFiles} entries \\}`)), 2);
    assert.match(diff, /\+-4 to replace, 11 unchanged/);
    assert.ok(!diff.includes("roles/openhpc/tasks/install.yml"), "unchanged files listed");
  });

  it("a changed inventory groups file: that file, for each build", async () => {
    const groups = "environments/site/inventory/groups";
    const before = fs.readFileSync(path.join(e2e.appliance.repoRoot, groups), "utf8");
    e2e.editAppliance(groups, "[login:children]\nfatimage\n\n[compute:children]\nfatimage\n");
    const r = await render("groups");
    e2e.editAppliance(groups, before);
    assert.equal(r.exitCode, 0, r.raw);
    assertFits(r);
    for (const key of ["RL8", "RL9"])
      assert.ok(
        r.comment.includes(
          `| \`${key}\` | **rebuild** | appliance files: 1 changed under environments/site |`,
        ),
        r.plan,
      );
    assert.equal(count(folded(r.comment), /~ inventory\/groups: "[0-9a-f]+" => "[0-9a-f]+"/), 2);
  });

  it("a build's inventoryGroups in the config: one rebuild, the group, no unchanged context", async () => {
    const builds = config.builds as Record<string, Record<string, unknown>>;
    e2e.writeConfig("staging", {
      ...config,
      builds: { ...builds, "RL9-cuda": { ...builds["RL9-cuda"], inventoryGroups: "cuda,doca" } },
    });
    const r = await render("config-groups");
    e2e.writeConfig("staging", config);
    assert.equal(r.exitCode, 0, r.raw);
    assertFits(r, ["RL9-cuda"]);
    assert.ok(r.comment.includes("| `RL9-cuda` | **rebuild** | inventory groups: +doca |"), r.plan);
    for (const key of ["RL8", "RL8-cuda", "RL9"])
      assert.ok(r.comment.includes(`| \`${key}\` | unchanged |`), r.plan);
    const diff = folded(r.comment);
    assert.match(diff, /\+ \[1\]: "doca"/);
    assert.match(diff, /\+-1 to replace, 14 unchanged/);
    // Pulumi prints the whole build request as context; the comment keeps what changed.
    assert.ok(r.raw.includes("sshTimeoutMinutes"), "the raw preview has no context to trim");
    assert.ok(!diff.includes("sshTimeoutMinutes"), diff);
    assert.match(diff, /… \d+ unchanged/);
  });

  it("a failed preview: the comment says so and carries the error", async () => {
    e2e.writeConfig("staging", { ...config, builds: { x: { sourceBuild: "nope" } } });
    const r = await render("failed");
    e2e.writeConfig("staging", config);
    assert.notEqual(r.exitCode, 0, r.raw);
    assert.ok(r.comment.length <= COMMENT_LIMIT);
    assert.match(r.comment, /<details open>/);
    assert.match(r.comment, /of <code>staging<\/code>: \*\*failed\*\*/);
    const expected = "slurm-image-builder:builds.x.sourceBuild: unknown build";
    assert.ok(r.plan.includes(expected), r.plan);
    assert.ok(folded(r.comment).includes(expected), r.comment);
  });
});
