/**
 * The openstack provider plugin of `npm run tools`, loaded by the real engine
 * (`pulumi package get-schema` starts it and asks for its schema): its
 * version, and that its resources, functions and their properties are
 * exactly those of the installed @pulumi/openstack SDK, so the SDK's
 * requests mean the same to it. (Talking to a cloud is the localcloud tests'
 * part.)
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, toolPath, toolVersions } from "../../tools/paths";
import { engineEnv, requireTools } from "./helpers";

interface PropertyBag {
  properties?: Record<string, unknown>;
}
interface Schema {
  name: string;
  version: string;
  resources: Record<
    string,
    { inputProperties?: Record<string, unknown>; properties?: Record<string, unknown> }
  >;
  functions: Record<string, { inputs?: PropertyBag; outputs?: PropertyBag }>;
}

const sdkDir = join(repoRoot, "node_modules", "@pulumi", "openstack");

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "types" ? [] : jsFiles(p);
    return e.name.endsWith(".js") ? [p] : [];
  });
}

/** Token → the SDK's .d.ts file that declares it, for resources and functions. */
function sdkTokens(): { resources: Map<string, string>; functions: Map<string, string> } {
  const resources = new Map<string, string>();
  const functions = new Map<string, string>();
  for (const f of jsFiles(sdkDir)) {
    const src = readFileSync(f, "utf8");
    const dts = f.replace(/\.js$/, ".d.ts");
    for (const m of src.matchAll(/__pulumiType = '(openstack:[^']+)'/g)) resources.set(m[1], dts);
    for (const m of src.matchAll(/invoke(?:Output)?\("(openstack:[^"]+)"/g))
      functions.set(m[1], dts);
  }
  return { resources, functions };
}

/** Property names of `export interface <name> { ... }` (or a class) in a .d.ts. */
function declared(dts: string, header: RegExp, prop: RegExp): Set<string> {
  const src = readFileSync(dts, "utf8");
  const start = src.search(header);
  assert.ok(start >= 0, `${header} not found in ${dts}`);
  const body = src.slice(start, src.indexOf("\n}", start));
  return new Set([...body.matchAll(prop)].map((m) => m[1]));
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

describe("engine: openstack provider plugin", function () {
  this.timeout(5 * 60_000);

  let schema: Schema;
  const want = toolVersions().plugins.openstack;

  before(async function () {
    requireTools();
    const { execa } = await import("execa");
    const res = await execa(toolPath("pulumi"), ["package", "get-schema", `openstack@${want}`], {
      env: engineEnv(),
      stdin: "ignore",
    });
    schema = JSON.parse(res.stdout);
  });

  it("is the version of @pulumi/openstack in package-lock.json", function () {
    assert.equal(schema.name, "openstack");
    assert.equal(schema.version, want);
  });

  it("is installed in the tools' PULUMI_HOME, where the engine looks", async function () {
    const { execa } = await import("execa");
    const res = await execa(toolPath("pulumi"), ["plugin", "ls", "--json"], {
      env: engineEnv(),
      stdin: "ignore",
    });
    const plugins: { name: string; kind: string; version: string }[] = JSON.parse(res.stdout);
    assert.ok(
      plugins.some((p) => p.name === "openstack" && p.kind === "resource" && p.version === want),
    );
  });

  it("has exactly the SDK's resources and functions", function () {
    const sdk = sdkTokens();
    assert.deepEqual(sorted(Object.keys(schema.resources)), sorted(sdk.resources.keys()));
    const functions = Object.keys(schema.functions).filter(
      (f) => !f.startsWith("pulumi:providers:"),
    );
    assert.deepEqual(sorted(functions), sorted(sdk.functions.keys()));
    assert.ok(schema.resources["openstack:compute/instance:Instance"]);
    assert.ok(schema.resources["openstack:images/image:Image"]);
  });

  it("gives every resource the SDK's input and output properties", function () {
    for (const [tok, dts] of sdkTokens().resources) {
      const name = tok.split(":")[2];
      const inputs = declared(
        dts,
        new RegExp(`export interface ${name}Args \\{`),
        /^ {4}(\w+)\??:/gm,
      );
      const outputs = declared(
        dts,
        new RegExp(`export declare class ${name} extends pulumi\\.CustomResource \\{`),
        /^ {4}readonly (\w+)!?:/gm,
      );
      const r = schema.resources[tok];
      assert.deepEqual(
        sorted(Object.keys(r.inputProperties ?? {})),
        sorted(inputs),
        `${tok} inputs`,
      );
      assert.deepEqual(sorted(Object.keys(r.properties ?? {})), sorted(outputs), `${tok} outputs`);
    }
  });

  it("gives every function the SDK's arguments and result", function () {
    for (const [tok, dts] of sdkTokens().functions) {
      const fn = tok.split(":")[2];
      const name = fn[0].toUpperCase() + fn.slice(1);
      const src = readFileSync(dts, "utf8");
      const args = src.includes(`export interface ${name}Args {`)
        ? declared(dts, new RegExp(`export interface ${name}Args \\{`), /^ {4}(\w+)\??:/gm)
        : new Set<string>();
      const result = declared(
        dts,
        new RegExp(`export interface ${name}Result \\{`),
        /^ {4}readonly (\w+)\??:/gm,
      );
      const f = schema.functions[tok];
      assert.deepEqual(
        sorted(Object.keys(f.inputs?.properties ?? {})),
        sorted(args),
        `${tok} arguments`,
      );
      assert.deepEqual(
        sorted(Object.keys(f.outputs?.properties ?? {})),
        sorted(result),
        `${tok} result`,
      );
    }
  });
});
