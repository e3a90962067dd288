/**
 * The real engine: the Pulumi CLI, the Node.js language host and the command
 * and tls provider plugins from `npm run tools`, driven by the Automation API
 * with a file backend and a passphrase secrets provider. The program
 * (test/fixtures/engine-program) runs in the language host, not inline.
 */
import { strict as assert } from "node:assert";
import { createPublicKey } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { repoRoot, toolsEnv, toolsRoot, toolVersions } from "../../tools/paths";
import { requireTools } from "./helpers";

const fixture = join(repoRoot, "test", "fixtures", "engine-program");

describe("engine: Pulumi CLI + Node language host + command/tls plugins", function () {
  this.timeout(10 * 60_000);

  let tmp: string;
  let markers: string;
  let stack: Stack;
  const created = (): string => join(markers, "created.txt");
  const deleted = (): string => join(markers, "deleted.txt");

  before(async function () {
    requireTools();
    tmp = mkdtempSync(join(tmpdir(), "engine-test-"));
    markers = join(tmp, "markers");
    const backend = join(tmp, "state");
    const program = join(tmp, "program");
    mkdirSync(markers);
    mkdirSync(backend);
    // A copy of the program, so that the stack's config file lands in the
    // temporary directory; it finds the project's packages through the link.
    cpSync(fixture, program, { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(program, "node_modules"));

    const pulumiCommand = await PulumiCommand.get({ root: toolsRoot() });
    stack = await LocalWorkspace.createStack(
      { stackName: "engine", workDir: program },
      {
        pulumiCommand,
        envVars: {
          ...toolsEnv(),
          PULUMI_BACKEND_URL: `file://${backend}`,
          PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
        },
      },
    );
    await stack.setConfig("markerDir", { value: markers });
  });

  after(async function () {
    if (stack) {
      await stack.destroy().catch(() => undefined);
      await stack.workspace.removeStack(stack.name).catch(() => undefined);
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("uses the CLI built for @pulumi/pulumi's version", async function () {
    const v = await stack.workspace.pulumiVersion;
    assert.equal(v.replace(/^v/, ""), toolVersions().pulumi);
  });

  it("preview plans three creates and runs nothing", async function () {
    const res = await stack.preview();
    assert.deepEqual(res.changeSummary, { create: 3 });
    assert.equal(existsSync(created()), false, "preview must not run the create command");
  });

  it("up creates the key and runs the command", async function () {
    const res = await stack.up();
    assert.equal(res.summary.result, "succeeded");
    assert.deepEqual(res.summary.resourceChanges, { create: 3 });
    assert.equal(readFileSync(created(), "utf8"), "hello\n");

    const out = res.outputs;
    assert.equal(out.stdout.value, "hello");
    assert.equal(out.privateKeyPem.secret, true);
    const pem: string = out.privateKeyPem.value;
    assert.match(pem, /^-{5}BEGIN PRIVATE KEY-{5}\n/);
    // The OpenSSH public key is the one of the private key.
    const openssh: string = out.publicKeyOpenssh.value;
    assert.match(openssh, /^ssh-ed25519 [A-Za-z0-9+/=]+\n?$/);
    const blob = Buffer.from(openssh.trim().split(" ")[1], "base64");
    const jwk = createPublicKey(pem).export({ format: "jwk" });
    assert.equal(blob.subarray(blob.length - 32).toString("base64url"), jwk.x);
  });

  it("a second up changes nothing", async function () {
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { same: 3 });
    const res = await stack.up();
    assert.deepEqual(res.summary.resourceChanges, { same: 3 });
    assert.equal(readFileSync(created(), "utf8"), "hello\n");
  });

  it("a changed input re-runs create (there is no update command)", async function () {
    await stack.setConfig("greeting", { value: "bonjour" });
    const res = await stack.up();
    assert.deepEqual(res.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(res.outputs.stdout.value, "bonjour");
    assert.equal(readFileSync(created(), "utf8"), "bonjour\n");
  });

  it("destroy runs the delete command with the last stdout", async function () {
    const res = await stack.destroy();
    assert.equal(res.summary.result, "succeeded");
    assert.deepEqual(res.summary.resourceChanges, { delete: 3 });
    assert.equal(readFileSync(deleted(), "utf8"), "deleted after: bonjour\n");
    assert.deepEqual(await stack.outputs(), {});
  });
});
