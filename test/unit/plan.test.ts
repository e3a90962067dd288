import { strict as assert } from "node:assert";
import { dependantsOf, planBuildOrder } from "../../lib/plan";

describe("build graph planning", () => {
  it("puts every build after the build it starts from, whatever the config order", () => {
    const { order, problems } = planBuildOrder({
      gpu: "lustre",
      lustre: "fat",
      fat: undefined,
      other: undefined,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(order, ["fat", "lustre", "gpu", "other"]);
  });

  it("handles chains of any length", () => {
    const sources: Record<string, string | undefined> = { b0: undefined };
    for (let i = 1; i < 50; i++) sources[`b${i}`] = `b${i - 1}`;
    const shuffled = Object.fromEntries(Object.entries(sources).reverse());
    const { order } = planBuildOrder(shuffled);
    assert.deepEqual(order, Object.keys(sources));
  });

  it("reports unknown sources and each cycle once", () => {
    const { order, problems } = planBuildOrder({ a: "b", b: "c", c: "a", d: "nope", e: "e" });
    assert.deepEqual(order, []);
    assert.deepEqual(
      problems.map((p) => p.message.split(";")[0]),
      ["unknown build", "builds form a cycle: a → b → c → a", "builds form a cycle: e → e"],
    );
  });

  it("finds the dependants of a build, transitively", () => {
    const sources = { fat: undefined, lustre: "fat", gpu: "lustre", other: undefined, cuda: "fat" };
    assert.deepEqual(dependantsOf(sources, "fat").sort(), ["cuda", "gpu", "lustre"]);
    assert.deepEqual(dependantsOf(sources, "other"), []);
  });
});
