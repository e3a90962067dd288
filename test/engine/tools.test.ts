/**
 * `npm run tools -- --check` and the command and tls plugins' schemas as the
 * engine sees them.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, toolPath, toolVersions } from "../../tools/paths";
import { engineEnv, requireTools } from "./helpers";

interface Schema {
  name: string;
  version: string;
  resources: Record<
    string,
    { inputProperties?: Record<string, unknown>; properties?: Record<string, unknown> }
  >;
  functions: Record<string, unknown>;
}

async function getSchema(name: string, version: string): Promise<Schema> {
  const { execa } = await import("execa");
  const res = await execa(toolPath("pulumi"), ["package", "get-schema", `${name}@${version}`], {
    env: engineEnv(),
    stdin: "ignore",
  });
  return JSON.parse(res.stdout);
}

function argsOf(dts: string, iface: string): string[] {
  const src = readFileSync(join(repoRoot, "node_modules", "@pulumi", dts), "utf8");
  const start = src.indexOf(`export interface ${iface} {`);
  assert.ok(start >= 0, `${iface} not in ${dts}`);
  const body = src.slice(start, src.indexOf("\n}", start));
  return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]).sort();
}

describe("engine: npm run tools", function () {
  this.timeout(5 * 60_000);

  before(requireTools);

  it("--check lists every tool with the pinned version and exits 0", async function () {
    const { execa } = await import("execa");
    const res = await execa("npx", ["tsx", join(repoRoot, "scripts", "tools.ts"), "--check"], {
      cwd: repoRoot,
      stdin: "ignore",
    });
    const v = toolVersions();
    const expected: Record<string, string> = {
      pulumi: v.pulumi,
      "pulumi-language-nodejs": v.pulumi,
      "pulumi-resource-command": v.plugins.command,
      "pulumi-resource-tls": v.plugins.tls,
      "pulumi-resource-openstack": v.plugins.openstack,
      "ansible-core": v.python["ansible-core"],
      openstack: v.python["python-openstackclient"],
    };
    const rows = Object.fromEntries(
      res.stdout
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).slice(0, 2)),
    );
    for (const [tool, version] of Object.entries(expected)) assert.equal(rows[tool], version, tool);
  });

  it("--check names what is missing and exits 1", async function () {
    const { execa } = await import("execa");
    const res = await execa("npx", ["tsx", join(repoRoot, "scripts", "tools.ts"), "--check"], {
      cwd: repoRoot,
      stdin: "ignore",
      reject: false,
      env: { SLURM_IMAGE_BUILDER_TOOLS_DIR: join(repoRoot, "tmp", "no-tools-here") },
    });
    assert.equal(res.exitCode, 1);
    assert.match(String(res.stderr), /missing: pulumi 3\.\d+\.\d+, pulumi-language-nodejs/);
  });

  it("tls plugin: the SDK's version, resources, functions and PrivateKey inputs", async function () {
    const v = toolVersions().plugins.tls;
    const s = await getSchema("tls", v);
    assert.equal(s.version, v);
    assert.deepEqual(Object.keys(s.resources).sort(), [
      "tls:index/certRequest:CertRequest",
      "tls:index/locallySignedCert:LocallySignedCert",
      "tls:index/privateKey:PrivateKey",
      "tls:index/selfSignedCert:SelfSignedCert",
    ]);
    assert.ok(s.functions["tls:index/getPublicKey:getPublicKey"]);
    assert.ok(s.functions["tls:index/getCertificate:getCertificate"]);
    const key = s.resources["tls:index/privateKey:PrivateKey"];
    assert.deepEqual(
      Object.keys(key.inputProperties ?? {}).sort(),
      argsOf("tls/privateKey.d.ts", "PrivateKeyArgs"),
    );
  });

  it("command plugin: the SDK's version and command:local:Command/run inputs", async function () {
    const v = toolVersions().plugins.command;
    const s = await getSchema("command", v);
    assert.equal(s.version, v);
    const cmd = s.resources["command:local:Command"];
    assert.deepEqual(
      Object.keys(cmd.inputProperties ?? {}).sort(),
      argsOf("command/local/command.d.ts", "CommandArgs"),
    );
    for (const out of ["stdout", "stderr"]) assert.ok(cmd.properties?.[out], out);
    assert.ok(s.functions["command:local:run"]);
  });
});
