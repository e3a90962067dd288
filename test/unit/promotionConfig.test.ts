import { strict as assert } from "node:assert";
import { ConfigError } from "../../lib/config/errors";
import { isPromotionConfig, resolvePromotionConfig } from "../../lib/config/promotion";

const NS = "slurm-image-builder";
const FAT = "1b0c6f8e-43d1-4f0b-9f6e-2f4bb1c6a101";
const CUDA = "7d3e2a90-5c4b-4e8f-a1d2-3b4c5d6e7f80";
const VENDOR = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

describe("promoting stack config", () => {
  const base = (): Record<string, unknown> => ({
    promoteFrom: "staging",
    pins: { RL9: FAT, "RL9-cuda": CUDA },
  });
  const problemsOf = (values: Record<string, unknown>): ConfigError => {
    try {
      resolvePromotionConfig(values, NS);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err;
    }
    assert.fail("expected a ConfigError");
  };
  const expectProblem = (err: ConfigError, key: string, pattern: RegExp, value?: unknown) => {
    const found = err.problems.find((p) => p.key === key && pattern.test(p.message));
    assert.ok(found, `no problem at ${key} matching ${pattern}; got:\n${err.message}`);
    if (value !== undefined) assert.deepEqual(found.value, value);
    assert.ok(err.message.includes(`${NS}:${key}: `), err.message);
    return found;
  };

  it("a stack promotes when it names promoteFrom or pins, and builds otherwise", () => {
    assert.equal(isPromotionConfig({ promoteFrom: "staging" }), true);
    assert.equal(isPromotionConfig({ pins: { RL9: FAT } }), true);
    assert.equal(isPromotionConfig({ builds: { RL9: { sourceImage: FAT } } }), false);
    assert.equal(isPromotionConfig({}), false);
  });

  it("defaults: share, this stack's cloud, the first pin as defaultBuild", () => {
    const s = resolvePromotionConfig(base(), NS);
    assert.deepEqual(s, {
      promoteFrom: "staging",
      pins: [
        { key: "RL9", imageId: FAT, outside: false },
        { key: "RL9-cuda", imageId: CUDA, outside: false },
      ],
      method: "share",
      sourceCloud: undefined,
      defaultBuild: "RL9",
    });
  });

  it("takes method, source cloud, defaultBuild and outside pins as given", () => {
    const s = resolvePromotionConfig(
      {
        promoteFrom: "acme/slurm-image-builder/staging",
        pins: { RL9: FAT, "RL9-cuda": CUDA, vendor: { image: VENDOR, outside: "true" } },
        promotionMethod: "copy",
        promotionSourceCloud: "mycloud-staging",
        defaultBuild: "RL9-cuda",
      },
      NS,
    );
    assert.equal(s.promoteFrom, "acme/slurm-image-builder/staging");
    assert.equal(s.method, "copy");
    assert.equal(s.sourceCloud, "mycloud-staging");
    assert.equal(s.defaultBuild, "RL9-cuda");
    assert.deepEqual(s.pins[2], { key: "vendor", imageId: VENDOR, outside: true });
    const inside = resolvePromotionConfig(
      { promoteFrom: "staging", pins: { RL9: { image: FAT } } },
      NS,
    );
    assert.deepEqual(inside.pins, [{ key: "RL9", imageId: FAT, outside: false }]);
  });

  it("refuses builds and keepImages by name: a promoting stack never builds", () => {
    const err = problemsOf({
      ...base(),
      builds: { RL9: { sourceImageName: "Rocky-9" }, extra: { sourceBuild: "RL9" } },
      keepImages: 3,
    });
    expectProblem(err, "builds", /does not build images/, ["RL9", "extra"]);
    expectProblem(err, "keepImages", /does not build images/, 3);
    assert.equal(err.problems.length, 2, err.message);
  });

  it("refuses settings of a building stack as not a promoting stack's", () => {
    const err = problemsOf({ ...base(), flavor: "general.v1.small" });
    expectProblem(err, "flavor", /not a setting of a promoting stack/, "general.v1.small");
  });

  it("refuses a pin that is an image name, naming pins.<key> and the value", () => {
    const err = problemsOf({
      promoteFrom: "staging",
      pins: { RL9: "openhpc-RL9-260105-0907-01234567", "RL9-cuda": CUDA },
    });
    expectProblem(
      err,
      "pins.RL9",
      /image id \(a UUID\), not a name/,
      "openhpc-RL9-260105-0907-01234567",
    );
    assert.equal(err.problems.length, 1, err.message);
    assert.match(err.message, /given: "openhpc-RL9-260105-0907-01234567"/);
  });

  it("refuses an outside pin whose image is not an id", () => {
    const err = problemsOf({
      promoteFrom: "staging",
      pins: { vendor: { image: "Rocky-9-GenericCloud", outside: true } },
    });
    expectProblem(err, "pins.vendor.image", /UUID/, "Rocky-9-GenericCloud");
  });

  it("refuses two keys pinning one image", () => {
    const err = problemsOf({ promoteFrom: "staging", pins: { RL9: FAT, "RL9-copy": FAT } });
    const p = expectProblem(err, "pins.RL9-copy", /same image is pinned for RL9/, FAT);
    assert.ok(p);
    assert.equal(err.problems.length, 1, err.message);
  });

  it("defaultBuild must be a pinned key", () => {
    const err = problemsOf({ ...base(), defaultBuild: "RL8" });
    expectProblem(err, "defaultBuild", /not a pinned key; expected one of: RL9, RL9-cuda/, "RL8");
  });

  it("requires promoteFrom and at least one pin", () => {
    expectProblem(problemsOf({ pins: { RL9: FAT } }), "promoteFrom", /required: the stack/);
    expectProblem(problemsOf({ promoteFrom: "staging" }), "pins", /required: build key → image id/);
    expectProblem(problemsOf({ promoteFrom: "staging", pins: {} }), "pins", /at least one pin/);
  });

  it("refuses an unknown promotion method", () => {
    const err = problemsOf({ ...base(), promotionMethod: "move" });
    expectProblem(err, "promotionMethod", /one of share, copy/, "move");
  });

  it("reports every problem at once", () => {
    const err = problemsOf({
      promoteFrom: "staging",
      pins: { RL9: "openhpc-RL9" },
      builds: {},
      promotionMethod: "move",
    });
    assert.deepEqual(err.problems.map((p) => p.key).sort(), [
      "builds",
      "pins.RL9",
      "promotionMethod",
    ]);
    assert.match(err.message, /3 problems; nothing was created/);
  });
});
