/**
 * The GitHub Actions workflows pass actionlint (from `npm run tools`; see
 * docs/tools.md). Fails, never skips, when there is no workflow or no
 * actionlint.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, toolPath } from "../tools/paths";

const WORKFLOWS = join(repoRoot, ".github", "workflows");

describe("GitHub workflows", function () {
  this.timeout(2 * 60_000);

  it("pass actionlint", async () => {
    assert.ok(existsSync(WORKFLOWS), `no ${WORKFLOWS} directory`);
    const files = readdirSync(WORKFLOWS, { withFileTypes: true })
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => join(".github", "workflows", e.name))
      .sort();
    assert.ok(files.length > 0, `no workflow (*.yml, *.yaml) in ${WORKFLOWS}`);
    const actionlint = toolPath("actionlint");
    assert.ok(existsSync(actionlint), `actionlint is missing at ${actionlint} (run npm run tools)`);
    const { execa } = await import("execa");
    const res = await execa(actionlint, ["-no-color", ...files], {
      cwd: repoRoot,
      stdin: "ignore",
      reject: false,
      all: true,
      timeout: 90_000,
    });
    assert.equal(
      res.exitCode,
      0,
      `actionlint ${files.join(" ")} exited ${String(res.exitCode)}:\n${String(res.all)}`,
    );
  });
});
