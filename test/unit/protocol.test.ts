import { strict as assert } from "node:assert";
import {
  buildRequestEnvironment,
  capLine,
  capText,
  decodeBuildRequest,
  decodeBuildSecrets,
  decodePromotionRequest,
  encodeBuildSecrets,
  formatProvisionResult,
  LINE_CAP,
  parseProvisionResult,
  progressDue,
  progressLine,
  readBuildSettings,
  type BuildSettings,
} from "../../lib/protocol";

describe("runner protocol", () => {
  const settings = {
    project: "p",
    stack: "s",
    spec: { key: "RL9" },
    appliance: { repoRoot: "/r", environmentRoot: "/r/e" },
    buildState: {},
  } as unknown as BuildSettings;

  it("a build request round-trips through the environment, source and fingerprint apart", () => {
    const env = buildRequestEnvironment(settings, "src-1", "fp-1");
    assert.deepEqual(Object.keys(env).sort(), [
      "IMAGE_BUILD_FINGERPRINT",
      "IMAGE_BUILD_REQUEST",
      "IMAGE_BUILD_SOURCE_IMAGE_ID",
    ]);
    assert.deepEqual(decodeBuildRequest(env), {
      ...settings,
      sourceImageId: "src-1",
      fingerprint: "fp-1",
    });
    assert.deepEqual(readBuildSettings(env), settings);
  });

  it("says which variables are missing when not started by the program", () => {
    assert.throws(
      () => decodeBuildRequest({}),
      /IMAGE_BUILD_REQUEST, IMAGE_BUILD_SOURCE_IMAGE_ID and IMAGE_BUILD_FINGERPRINT must be set/,
    );
    assert.throws(() => decodePromotionRequest({}), /IMAGE_PROMOTION_REQUEST must be set/);
    assert.equal(readBuildSettings({ IMAGE_BUILD_REQUEST: "{not json" }), undefined);
  });

  it("secrets on stdin: JSON both ways; empty is none; garbage is an error that shows nothing", () => {
    const text = encodeBuildSecrets({ vaultPassword: "v", secretExtraVars: { a: 1 } });
    assert.deepEqual(decodeBuildSecrets(text), { vaultPassword: "v", secretExtraVars: { a: 1 } });
    assert.deepEqual(decodeBuildSecrets("  \n"), {});
    assert.throws(
      () => decodeBuildSecrets("hunter2"),
      (err: Error) => !err.message.includes("hunter2") && /not valid JSON/.test(err.message),
    );
    // Unchanged for stacks with only a vault password: the stdin input stays the same.
    assert.equal(encodeBuildSecrets({ vaultPassword: "v" }), '{"vaultPassword":"v"}');
  });

  it("the provision result is data on the last marker line", () => {
    const result = { sshWait: { start: 1, end: 2 }, ansible: { start: 3, end: 4 }, tasks: 1500 };
    const out = `[10:00:00] SSH is up\n${formatProvisionResult(result)}`;
    assert.deepEqual(parseProvisionResult(out), result);
    assert.equal(parseProvisionResult("PROVISION_RESULT={broken"), undefined);
  });

  it("no line leaves a runner longer than the cap; the cut says how much and where the rest is", () => {
    const long = "x".repeat(200_000);
    const cut = capLine(long, "/logs/fat.log");
    assert.ok(cut.length <= LINE_CAP, `${cut.length}`);
    assert.match(cut, /…\[\d+ more characters cut; full text in \/logs\/fat\.log\]$/);
    const cutCount = Number(/\[(\d+) more/.exec(cut)![1]);
    assert.equal(cut.indexOf("…") + cutCount, long.length);
    assert.equal(capLine("short"), "short");

    const text = capText([long, "b", "c", "d"].join("\n"), undefined, 2);
    const lines = text.split("\n");
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.length <= LINE_CAP));
    assert.match(lines[2], /2 more lines cut/);
    // Multi-line progress: every line capped, the first time-stamped.
    const said = progressLine(`a\n${long}`, new Date("2026-01-01T10:11:12Z"));
    assert.equal(said.split("\n")[0], "[10:11:12] a");
    assert.ok(said.split("\n").every((l) => l.length <= LINE_CAP));
  });

  it("periodic progress gets sparser: an hour prints a few dozen lines, not hundreds", () => {
    let printed = 0;
    let last = 0;
    for (let t = 0; t <= 3_600_000; t += 1000) {
      if (progressDue(t - last, printed)) {
        printed++;
        last = t;
      }
    }
    assert.ok(printed >= 20 && printed <= 50, `${printed} lines`);
    assert.ok(progressDue(30_000, 0));
    assert.ok(!progressDue(29_000, 0));
    assert.ok(!progressDue(30_000, 10));
  });
});
