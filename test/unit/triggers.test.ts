import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildSpec } from "../../lib/config/types";
import { applianceDigest, buildFingerprint } from "../../lib/fingerprint";
import { contentInputs, fingerprintOf, rebuildTriggers } from "../../lib/triggers";
import { applianceAreaPaths, makeAppliance } from "../helpers/appliance";

/** The parts of a build spec the triggers read. */
const spec = {
  key: "RL9-cuda",
  inventoryGroups: ["doca", "cuda"],
  volume: { size: 35 },
  image: { diskFormat: "raw" },
  ansible: { extraVars: { nvidia_driver: "570" } },
} as unknown as BuildSpec;

/** Paths in a trigger map that differ between two values, as `pulumi preview --diff` names them. */
function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) =>
      changedPaths(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        at ? `${at}[${JSON.stringify(k)}]` : k,
      ),
    );
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

describe("rebuild triggers", () => {
  let appliance: ReturnType<typeof makeAppliance>;
  let paths: string[];
  beforeEach(() => {
    appliance = makeAppliance();
    paths = applianceAreaPaths(appliance.repoRoot);
  });
  afterEach(() => appliance.cleanup());

  it("spell out each input, the appliance files per area and per file, and the fingerprint", () => {
    const digest = applianceDigest(appliance.repoRoot, paths);
    const content = contentInputs(spec, "src-1", digest, "vars-file-1");
    const triggers = rebuildTriggers(content);
    assert.deepEqual(Object.keys(triggers).sort(), [
      "applianceFiles",
      "diskFormat",
      "extraVars",
      "extraVarsFileDigest",
      "fingerprint",
      "inventoryGroups",
      "sourceImageId",
      "volumeSize",
    ]);
    assert.equal(triggers.sourceImageId, "src-1");
    assert.deepEqual(triggers.inventoryGroups, ["cuda", "doca"]);
    assert.equal(triggers.volumeSize, 35);
    assert.deepEqual(triggers.extraVars, { nvidia_driver: "570" });
    assert.deepEqual(triggers.applianceFiles, digest.files);
    assert.deepEqual(Object.keys(triggers.applianceFiles as object), [
      "ansible",
      "environments/common",
      "environments/site",
    ]);
    // The fingerprint is over the whole-tree digest; the per-file map only explains it.
    const { applianceFiles: _files, ...inputs } = content;
    void _files;
    assert.equal(triggers.fingerprint, buildFingerprint(inputs));
    assert.equal(triggers.fingerprint, fingerprintOf(content));
    assert.equal(fingerprintOf({ ...content, applianceFiles: {} }), triggers.fingerprint);
  });

  it("an edited appliance file changes that file's trigger and the fingerprint, nothing else", () => {
    const before = rebuildTriggers(
      contentInputs(spec, "src-1", applianceDigest(appliance.repoRoot, paths)),
    );
    fs.writeFileSync(
      path.join(appliance.environmentRoot, "inventory/group_vars/builder/defaults.yml"),
      "marker: changed\n",
    );
    const after = rebuildTriggers(
      contentInputs(spec, "src-1", applianceDigest(appliance.repoRoot, paths)),
    );
    assert.deepEqual(changedPaths(before, after), [
      'applianceFiles["environments/site"]["inventory/group_vars/builder/defaults.yml"]',
      "fingerprint",
    ]);
  });

  it("a new source image changes sourceImageId and the fingerprint, nothing else", () => {
    const digest = applianceDigest(appliance.repoRoot, paths);
    const before = rebuildTriggers(contentInputs(spec, "src-1", digest));
    const after = rebuildTriggers(contentInputs(spec, "src-2", digest));
    assert.deepEqual(changedPaths(before, after), ["fingerprint", "sourceImageId"]);
  });
});
