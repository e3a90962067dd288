import { strict as assert } from "node:assert";
import { COMPILED, nodeArguments, runnerLaunch, runnerShellCommand } from "../../runner/launch";

describe("how runners are started (runner/launch.ts)", () => {
  const source = { compiled: false, codeRoot: "/src/slurm-image-builder" };
  const pkg = {
    compiled: true,
    codeRoot: "/site/environments/site/images/node_modules/slurm-image-builder/dist",
  };

  it("these tests run from source", () => assert.equal(COMPILED, false));

  it("from source: node --import tsx <script>.ts in the checkout, as stacks made from a checkout stored it", () => {
    assert.deepEqual(runnerLaunch("runner/main", "/anywhere", source), {
      interpreter: ["node", "--import", "tsx", "runner/main.ts"],
      dir: "/src/slurm-image-builder",
    });
    assert.deepEqual(runnerShellCommand("runner/main", ["clear"], "/anywhere", source), {
      command: "exec node --import tsx runner/main.ts clear",
      dir: "/src/slurm-image-builder",
    });
  });

  it("compiled: node <dist script relative to the project dir>, in the project dir", () => {
    assert.deepEqual(runnerLaunch("runner/main", "/site/environments/site/images", pkg), {
      interpreter: ["node", "node_modules/slurm-image-builder/dist/runner/main.js"],
      dir: "/site/environments/site/images",
    });
    assert.deepEqual(
      runnerShellCommand("runner/main", ["clear"], "/my site/images", {
        compiled: true,
        codeRoot: "/my site/images/node_modules/slurm-image-builder/dist",
      }),
      {
        command: "exec node node_modules/slurm-image-builder/dist/runner/main.js clear",
        dir: "/my site/images",
      },
    );
    assert.equal(
      runnerShellCommand("runner/main", ["clear"], "/a", { compiled: true, codeRoot: "/b c/dist" })
        .command,
      "exec node '../b c/dist/runner/main.js' clear",
    );
  });

  it("a process of its own (worker, Ansible step): the compiled file, or the source with this process's loader", () => {
    assert.deepEqual(nodeArguments("runner/worker", pkg, ["--import", "tsx"]), [
      `${pkg.codeRoot}/runner/worker.js`,
    ]);
    assert.deepEqual(nodeArguments("runner/worker", source, ["--import", "tsx"]), [
      "--import",
      "tsx",
      "/src/slurm-image-builder/runner/worker.ts",
    ]);
    assert.deepEqual(nodeArguments("runner/provision", source, []), [
      "--import",
      "tsx",
      "/src/slurm-image-builder/runner/provision.ts",
    ]);
  });
});
