import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * `npm test` runs the test files in parallel, the long end-to-end files named
 * one by one (first, so they start first): a new one must be added there.
 * Mocha's parallel mode runs a file twice when two arguments match it, so
 * the e2e files are never matched by a glob as well.
 */
describe("npm test", () => {
  const root = path.resolve(__dirname, "../..");
  const script = (
    JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts["test:all"];
  const args = script.split(/\s+/).map((a) => a.replace(/^'|'$/g, ""));

  it("names every end-to-end test file, once, and no glob matches them again", () => {
    const e2e = fs
      .readdirSync(path.join(root, "test", "e2e"))
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => `test/e2e/${f}`);
    for (const file of e2e)
      assert.equal(args.filter((a) => a === file).length, 1, `${file} is not in test:all once`);
    assert.ok(!args.some((a) => a.startsWith("test/e2e/") && a.includes("*")), script);
    assert.ok(!args.some((a) => /^test\/\*\*|^'?test\/\*\*/.test(a)), script);
  });
});
