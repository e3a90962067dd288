import { strict as assert } from "node:assert";
import { BUILD_STEP_NAMES } from "../../lib/protocol";
import { BUILD_STEPS } from "../../runner/build/runBuild";
import { runSteps, type BuildRun, type BuildStep } from "../../runner/build/steps";

describe("a build as named steps", () => {
  it("runs the steps in the documented order", () => {
    assert.deepEqual(
      BUILD_STEPS.map((s) => s.name),
      [...BUILD_STEP_NAMES],
    );
  });

  const harness = () => {
    const events: string[] = [];
    const said: string[] = [];
    const build = {
      request: { spec: { key: "fat" } },
      ctx: { say: (m: string) => said.push(m) },
      made: {},
    } as unknown as BuildRun;
    const step = (
      name: BuildStep["name"],
      opts: { fail?: boolean; failure?: string; completes?: boolean; made?: object } = {},
    ): BuildStep => ({
      name,
      failure: opts.failure,
      completes: opts.completes,
      run: async () => {
        events.push(`run ${name}`);
        if (opts.fail) throw new Error(`${name} broke`);
        return opts.made ?? {};
      },
      cleanup: async (_b, failed) => {
        events.push(`cleanup ${name} (${failed})`);
      },
    });
    return { events, said, build, step };
  };

  it("a failure cleans up what ran, newest first, and names the build and how it failed", async () => {
    const { events, said, build, step } = harness();
    const timings: Record<string, number> = {};
    await assert.rejects(
      runSteps(
        build,
        [
          step("sourceCheck"),
          step("provision", { made: { volumeId: "v1" } }),
          step("upload", { fail: true, failure: "after Ansible" }),
          step("properties"),
        ],
        timings,
      ),
      /^BuildStepError: build fat failed after Ansible:\nupload broke$/m,
    );
    assert.deepEqual(events, [
      "run sourceCheck",
      "run provision",
      "run upload",
      "cleanup upload (upload)",
      "cleanup provision (upload)",
      "cleanup sourceCheck (upload)",
    ]);
    assert.equal(build.made.volumeId, "v1");
    assert.deepEqual(Object.keys(timings), ["sourceCheck", "provision", "upload"]);
    assert.deepEqual(said, ["build fat failed after Ansible; cleaning up"]);
  });

  it("after a completing step, a later failure undoes nothing; a step without wording throws its own error", async () => {
    const { events, build, step } = harness();
    await assert.rejects(
      runSteps(
        build,
        [step("upload"), step("teardown", { completes: true }), step("retention", { fail: true })],
        {},
      ),
      (err: Error) => err.message === "retention broke",
    );
    assert.deepEqual(events, [
      "run upload",
      "run teardown",
      "run retention",
      "cleanup retention (retention)",
    ]);
  });

  it("a failing clean-up is reported and the others still run", async () => {
    const { events, said, build, step } = harness();
    const bad = step("provision");
    bad.cleanup = async () => {
      throw new Error("destroy failed");
    };
    await assert.rejects(
      runSteps(build, [step("sourceCheck"), bad, step("release", { fail: true })], {}),
    );
    assert.ok(
      said.some((s) =>
        /clean-up of step provision failed too: destroy failed; the next run retries it/.test(s),
      ),
    );
    assert.ok(events.includes("cleanup sourceCheck (release)"));
  });
});
