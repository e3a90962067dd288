/**
 * Our command provider and language host (tools/go/command,
 * tools/go/language-nodejs) against what the released pulumi-command v1.2.1
 * and pulumi-language-nodejs 3.248.0 do, through the real engine: where the
 * released ones set PULUMI_COMMAND_STDOUT, how they store stdout, and where
 * they hang (ours fail instead, quickly, saying so). See docs/tools.md,
 * "Known differences". Program: test/fixtures/engine-program/parity.
 */
import { strict as assert } from "node:assert";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { repoRoot, toolsEnv, toolsRoot } from "../../tools/paths";
import { requireTools } from "./helpers";

const fixture = join(repoRoot, "test", "fixtures", "engine-program", "parity");

type Result = { stdout: string; stderr: string };

describe("engine: command provider and language host behave as the released ones", function () {
  this.timeout(5 * 60_000);

  let tmp: string;
  let program: string;
  let backend: string;
  let markers: string;
  let pulumiCommand: PulumiCommand;
  const stacks: Stack[] = [];

  before(async function () {
    requireTools();
    tmp = mkdtempSync(join(tmpdir(), "engine-parity-"));
    program = join(tmp, "program");
    backend = join(tmp, "state");
    markers = join(tmp, "markers");
    mkdirSync(backend);
    mkdirSync(markers);
    cpSync(fixture, program, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(program, "node_modules"));
    pulumiCommand = await PulumiCommand.get({ root: toolsRoot() });
  });

  after(async function () {
    for (const stack of stacks) {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function newStack(scenario: string): Promise<Stack> {
    const stack = await LocalWorkspace.createStack(
      { stackName: scenario, workDir: program },
      {
        pulumiCommand,
        envVars: {
          ...toolsEnv(),
          PULUMI_BACKEND_URL: `file://${backend}`,
          PULUMI_CONFIG_PASSPHRASE: "engine-parity-passphrase",
        },
      },
    );
    stacks.push(stack);
    await stack.setAllConfig({
      scenario: { value: scenario },
      markerDir: { value: markers },
    });
    return stack;
  }

  async function up(stack: Stack): Promise<Record<string, Result>> {
    const res = await stack.up();
    assert.equal(res.summary.result, "succeeded");
    return res.outputs.out.value as Record<string, Result>;
  }

  /** Runs `up`, which must fail within a minute; returns the error text. */
  async function failingUp(stack: Stack): Promise<string> {
    const start = Date.now();
    const err = await stack.up().then(
      () => assert.fail("pulumi up succeeded"),
      (e: Error) => e,
    );
    const seconds = (Date.now() - start) / 1000;
    assert.ok(seconds < 60, `pulumi up took ${seconds} s`);
    return err.message;
  }

  it("PULUMI_COMMAND_STDOUT: only when the stored stdout is not empty and addPreviousOutputInEnv is not false", async function () {
    const stack = await newStack("previous-output");
    assert.equal((await up(stack)).prev.stdout, "", "create printed nothing");

    // Update after an empty stdout: the variable is not set at all.
    await stack.setConfig("value", { value: "x" });
    assert.equal((await up(stack)).prev.stdout, "prev=[] set=");

    // Update after a non-empty stdout: set to it.
    await stack.setConfig("value", { value: "y" });
    assert.equal((await up(stack)).prev.stdout, "prev=[prev=[] set=] set=yes");

    // addPreviousOutputInEnv: false, for update ...
    await stack.setConfig("addPreviousOutputInEnv", { value: "false" });
    assert.equal((await up(stack)).prev.stdout, "prev=[] set=");

    // ... and for delete (the stored inputs say false).
    await stack.destroy();
    assert.equal(readFileSync(join(markers, "deleted.txt"), "utf8"), "prev=[] set=");

    // Delete with the default: set to the stored stdout.
    await stack.removeConfig("addPreviousOutputInEnv");
    await stack.setConfig("value", { value: "" });
    await up(stack);
    await stack.setConfig("value", { value: "z" });
    assert.equal((await up(stack)).prev.stdout, "prev=[] set=");
    await stack.destroy();
    assert.equal(readFileSync(join(markers, "deleted.txt"), "utf8"), "prev=[prev=[] set=] set=yes");
  });

  it("stdout and stderr are stored as printed, minus one trailing newline; empty stdin is /dev/null", async function () {
    const out = await up(await newStack("stored-output"));
    assert.equal(out.stored.stdout, "a\r\nb\n");
    assert.equal(out.stored.stderr, "e\n");
    assert.equal(out.stdin.stdout, "/dev/null");
  });

  it("a logged 70 KiB line fails (the released plugin hangs on it), naming its length and start", async function () {
    const msg = await failingUp(await newStack("long-line"));
    assert.match(msg, /the released pulumi-command v1\.2\.1 would hang on this command/);
    assert.match(msg, /a line of its logged stdout is 71680 bytes long/);
    assert.match(msg, /starting "a{100}\.\.\."/);
  });

  it("a long line on a stream that is not logged is fine, and stored whole", async function () {
    const out = await up(await newStack("long-line-not-logged"));
    assert.equal(out.long.stdout, `${"a".repeat(71680)}\nafter`);
    assert.equal(out.longStderr.stderr, "a".repeat(71680));
  });

  it("the limit is the released scanner's: 65535 bytes + newline pass, 65536 + newline fail", async function () {
    const out = await up(await newStack("boundary-ok"));
    assert.equal(out.max.stdout.length, 65535);
    assert.equal(out.lastLineFull.stdout.length, 65536);
    const msg = await failingUp(await newStack("boundary-hang"));
    assert.match(msg, /a line of its logged stdout is 65536 bytes long/);
  });

  it("a failing command fails with '<error>: running \"<command>\":' and its output", async function () {
    const msg = await failingUp(await newStack("failure"));
    // The engine indents the lines of the message under the resource. The two
    // streams are read apart, so which line comes first depends on timing (in
    // the released plugin too).
    assert.match(
      msg,
      /error: exit status 3: running "echo o; echo e >&2; exit 3":\n\s*(o\n\s*e|e\n\s*o)\n/,
    );
  });

  it("a 70 KiB line on the program's stderr fails (the released language host hangs on it)", async function () {
    const msg = await failingUp(await newStack("program-stderr"));
    assert.match(msg, /the released pulumi-language-nodejs 3\.248\.0 would hang on this program/);
    assert.match(msg, /a line of the program's stderr is 71680 bytes long/);
  });

  it("the program gets PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS and PULUMI_NODEJS_TYPESCRIPT as from the released host", async function () {
    const stack = await newStack("program-env");
    await stack.setConfig("token", { value: "s3cret", secret: true });
    const res = await stack.up();
    const env = (res.outputs.out.value as Record<string, Record<string, unknown>>).env;
    assert.deepEqual(env.configKeys, [
      "engine-parity:config:markerDir",
      "engine-parity:config:scenario",
      "engine-parity:config:token",
    ]);
    assert.deepEqual(env.secretKeys, ["engine-parity:token"]);
    assert.equal(env.typescript, "true");
    assert.equal(env.secret, "s3cret");
  });
});
