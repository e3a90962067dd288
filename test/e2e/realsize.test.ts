/**
 * Builds at the appliance's real size, for real on localcloud: a playbook of
 * 1,500 tasks (as fatimage.yml runs, most of them skipped), a failing task
 * whose result is one 200 KB line, secrets set with `--secret` at a path, and
 * a stack whose stored output is too large to pass back (as an earlier
 * release left it). What users check: the build works, the stored output
 * stays small, update and destroy work, no line reaches the size on which
 * Pulumi's released command plugin hangs, and no secret is stored or printed.
 */
import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import { LINE_CAP } from "../../lib/protocol";
import { collector, startE2e, type E2e, fatBuildConfig, NO_BUILDER } from "./harness";

const NOTHING = NO_BUILDER;
const TASKS = 1500;
/** What the released plugin's scanner reads at most; what ours fails on (tools/go/command). */
const RELEASED_PLUGIN_HANGS = /released pulumi-command v1\.2\.1 would hang/;
/** Runner lines are capped at LINE_CAP; the engine adds its resource prefix in front. */
const MAX_LINE = LINE_CAP + 200;

/**
 * The fixture playbook grown to `tasks` tasks: its own six, a failing task
 * with a 200 KB output line (only with fixture_long_fail), then many more —
 * mostly skipped, as most of fatimage.yml's roles are for any one image.
 */
function grownPlaybook(original: string, tasks: number): string {
  const extra: string[] = [
    `    - name: Print one very long line, then fail (when asked)
      ansible.builtin.shell: "head -c 200000 /dev/zero | tr '\\\\0' x; echo; echo 'fixture: long output, now failing' >&2; exit 3"
      when: fixture_long_fail | default(false) | bool
`,
  ];
  const existing = (original.match(/^ {4}- name:/gm) ?? []).length + 1;
  for (let i = existing; i < tasks; i++) {
    extra.push(
      i % 15 === 0
        ? `    - name: Generated task ${i} (runs)\n      ansible.builtin.debug:\n        msg: "step ${i}"\n`
        : `    - name: Generated task ${i} (role not in this image)\n      ansible.builtin.debug:\n        msg: "never"\n      when: fixture_generated_never | default(false) | bool\n`,
    );
  }
  return `${original.trimEnd()}\n\n${extra.join("\n")}`;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe("end to end: real-size builds, long lines, secrets", function () {
  this.timeout(40 * 60_000);
  let e2e: E2e;
  const build = fatBuildConfig;
  /** The per-image command of `key` in the stack's state. */
  const commandState = async (stack: Stack, key: string) => {
    const state = await stack.exportStack();
    const resources = (state.deployment as { resources: Record<string, unknown>[] }).resources;
    const command = resources.find(
      (r) => r.type === "command:local:Command" && String(r.urn).endsWith(`::${key}-image`),
    );
    assert.ok(command, `no ${key}-image command in the state`);
    return { state, command: command as { outputs: Record<string, unknown> } };
  };
  const storedStdout = async (stack: Stack, key: string) =>
    String((await commandState(stack, key)).command.outputs.stdout ?? "");
  const longest = (lines: string[]) => lines.reduce((max, l) => Math.max(max, l.length), 0);

  before(async () => {
    e2e = await startE2e("realsize");
    const file = path.join(e2e.appliance.repoRoot, "ansible", "fatimage.yml");
    e2e.editAppliance("ansible/fatimage.yml", grownPlaybook(fs.readFileSync(file, "utf8"), TASKS));
  });
  after(async () => e2e && (await e2e.stop()));

  let big: Stack;
  it(`a ${TASKS}-task build succeeds; the stored stdout stays small; every line is short`, async () => {
    big = await e2e.stack("big", build());
    const out = collector();
    const result = await big.up({ color: "never", onOutput: out.onOutput });
    assert.equal(result.summary.result, "succeeded");
    const stdout = await storedStdout(big, "fat");
    process.stdout.write(
      `      (stored stdout of a ${TASKS}-task build: ${stdout.length} bytes, ${stdout.split("\n").length} lines)\n`,
    );
    assert.ok(stdout.length < 16 * 1024, `stored stdout is ${stdout.length} bytes:\n${stdout}`);
    assert.match(stdout, new RegExp(`Ansible finished for build fat: ${TASKS} tasks in \\d+ s`));
    assert.match(stdout, /builder volume ready \(\d+ s\)/);
    assert.match(stdout, /builder removed \(\d+ s\)/);
    assert.doesNotMatch(
      stdout,
      /creating \(\d+s\)|@ updating|neutron-lbaas/,
      "nested engine transcript",
    );
    assert.ok(longest(out.lines) <= MAX_LINE, `a line of ${longest(out.lines)} characters`);
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
  });

  it("changing imageVisibility updates in place", async () => {
    const { imageId } = ((await big.outputs()).images.value as Record<string, { imageId: string }>)
      .fat;
    e2e.writeConfig("big", build({ imageVisibility: "shared" }));
    const result = await big.up({ color: "never" });
    assert.equal(result.summary.resourceChanges?.update, 1, JSON.stringify(result.summary));
    assert.equal(result.summary.resourceChanges?.replace ?? 0, 0);
    const image = await e2e.osc.json<{ visibility: string }>(["image", "show", imageId]);
    assert.equal(image.visibility, "shared");
  });

  it("a stack whose stored stdout is too large to pass back recovers with addPreviousOutputInEnv: false", async () => {
    // As an earlier release left it: the whole nested transcript stored (here 300 KB).
    const { state, command } = await commandState(big, "fat");
    const stdout = String(command.outputs.stdout);
    const noise = Array.from({ length: 3000 }, (_, i) =>
      `  +  command:local:Command fat creating (${i}s) .`.padEnd(100, "."),
    );
    command.outputs.stdout = `${noise.join("\n")}\n${stdout}`;
    await big.importStack(state);
    const { imageId } = ((await big.outputs()).images.value as Record<string, { imageId: string }>)
      .fat;

    e2e.writeConfig("big", build({ imageVisibility: "private" }));
    await assert.rejects(big.up({ color: "never" }), /argument list too long/);

    // The README's way out: one update without the previous output, then back to normal.
    e2e.writeConfig("big", build({ imageVisibility: "private", addPreviousOutputInEnv: false }));
    const recovered = await big.up({ color: "never" });
    assert.equal(recovered.summary.resourceChanges?.update, 1);
    assert.ok((await storedStdout(big, "fat")).length < 16 * 1024);
    e2e.writeConfig("big", build({ imageVisibility: "private" }));
    assert.equal((await big.up({ color: "never" })).summary.result, "succeeded");

    const destroyed = await big.destroy({ color: "never" });
    assert.equal(destroyed.summary.result, "succeeded");
    const ids = (await e2e.osc.json<{ ID: string }[]>(["image", "list"])).map((i) => i.ID);
    assert.ok(ids.includes(imageId), "destroy deleted the image");
  });

  it("a failing task with a 200 KB output line: Ansible's message first, cleaned up, no long line anywhere", async () => {
    const stack = await e2e.stack(
      "longline",
      build({}, { extraVars: { fixture_long_fail: true } }),
    );
    const out = collector();
    let message = "";
    await assert.rejects(stack.up({ color: "never", onOutput: out.onOutput }), (err: Error) => {
      message = err.message;
      return true;
    });
    const failure = message.indexOf("build fat failed while provisioning the builder:");
    assert.ok(failure >= 0, message.slice(0, 3000));
    const after = message.slice(failure).split("\n");
    assert.match(
      after[1],
      /TASK \[Print one very long line, then fail \(when asked\)\] failed on \S+: non-zero return code$/,
    );
    assert.ok(after.slice(1, 12).some((l) => /fixture: long output, now failing/.test(l)));
    assert.doesNotMatch(message, RELEASED_PLUGIN_HANGS);
    assert.deepEqual(await e2e.cloudResources(), NOTHING);

    // No line leaving a runner reaches the cap: the user's output, the error,
    // and the build stacks' engine transcripts (what the nested plugin read).
    assert.ok(longest(out.lines) <= MAX_LINE, `output line of ${longest(out.lines)}`);
    assert.ok(
      longest(message.split("\n")) <= MAX_LINE,
      `error line of ${longest(message.split("\n"))}`,
    );
    const logs = filesUnder(path.join(e2e.dir, "build-state", "logs", "longline"));
    const engineLogs = logs.filter((f) => f.endsWith(".engine.log"));
    assert.ok(engineLogs.length > 0, `no engine transcript in ${logs.join(", ")}`);
    for (const file of engineLogs) {
      const text = fs.readFileSync(file, "utf8");
      assert.doesNotMatch(text, RELEASED_PLUGIN_HANGS, file);
      assert.ok(
        longest(text.split("\n")) <= MAX_LINE,
        `${file}: a line of ${longest(text.split("\n"))}`,
      );
    }
    // The whole line is in the Ansible log, where the error says it is.
    const ansibleLog = logs.find((f) => !f.endsWith(".engine.log"))!;
    assert.ok(message.includes(ansibleLog), "the error does not name the Ansible log");
    assert.ok(fs.readFileSync(ansibleLog, "utf8").includes("x".repeat(200_000)));
  });

  it("secrets set with --secret (vault password, an extraVars entry at a path) are used and stored nowhere in plain", async () => {
    const vault = "vault-pw-5f0c2a91e7";
    const extra = "ark-secret-0b7d4e22c9";
    const stack = await e2e.stack("secrets", build());
    await stack.setConfig("slurm-image-builder:vaultPassword", { value: vault, secret: true });
    await stack.setConfig(
      "slurm-image-builder:extraVars.fixture_extravar",
      { value: extra, secret: true },
      true,
    );
    const out = collector();
    const result = await stack.up({ color: "never", onOutput: out.onOutput });
    assert.equal(result.summary.result, "succeeded");
    const { imageId } = (
      (await stack.outputs()).images.value as Record<string, { imageId: string }>
    ).fat;
    // It reached Ansible: the fixture writes the extra var into the image.
    assert.equal((await e2e.runOnImage(imageId, "cat /etc/fixture/extravars")).trim(), extra);

    const preview = await stack.preview({ diff: true, color: "never" });
    const destroyed = await stack.destroy({ color: "never", onOutput: out.onOutput });
    assert.equal(destroyed.summary.result, "succeeded");
    const places = [
      ...filesUnder(path.join(e2e.dir, "state")),
      ...filesUnder(path.join(e2e.dir, "build-state")),
    ];
    assert.ok(
      places.some((f) => f.includes(`${path.sep}history${path.sep}`)),
      "no history files looked at",
    );
    for (const secret of [vault, extra]) {
      for (const file of places)
        assert.ok(!fs.readFileSync(file, "utf8").includes(secret), `${secret} in ${file}`);
      assert.ok(!out.lines.some((l) => l.includes(secret)), `${secret} in the engine output`);
      assert.ok(!preview.stdout.includes(secret), `${secret} in the preview diff`);
    }
  });
});
