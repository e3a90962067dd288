import { strict as assert } from "node:assert";
import { ConfigError } from "../../lib/config/errors";
import type { Pin } from "../../lib/config/promotion";
import { checkPins } from "../../lib/pins";
import { promotedTag } from "../../lib/provenance";
import { imagesToDelete, type RetentionCandidate } from "../../lib/retention";

const NS = "slurm-image-builder";
const FAT_NEW = "1b0c6f8e-43d1-4f0b-9f6e-2f4bb1c6a101";
const FAT_OLD = "2c1d7f9a-54e2-4a1c-8a7f-3a5cc2d7b202";
const CUDA = "7d3e2a90-5c4b-4e8f-a1d2-3b4c5d6e7f80";
const OTHER = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

/** The staging stack's `images` output, as a StackReference returns it. */
const stagingImages = () => ({
  RL9: {
    imageId: FAT_NEW,
    imageName: "openhpc-RL9-260110-1200-89abcdef",
    fingerprint: "f-new",
    sourceImageId: "src-rocky",
    inventoryGroups: ["fatimage"],
    builtAt: "2026-01-10T12:00:00.000Z",
    history: [
      {
        imageId: FAT_NEW,
        imageName: "openhpc-RL9-260110-1200-89abcdef",
        fingerprint: "f-new",
        builtAt: "2026-01-10T12:00:00.000Z",
      },
      {
        imageId: FAT_OLD,
        imageName: "openhpc-RL9-260105-0907-01234567",
        fingerprint: "f-old",
        builtAt: "2026-01-05T09:07:00.000Z",
      },
    ],
  },
  "RL9-cuda": {
    imageId: CUDA,
    imageName: "openhpc-RL9-cuda-260110-1300-89abcdef",
    fingerprint: "f-cuda",
    sourceImageId: FAT_NEW,
    inventoryGroups: ["doca", "cuda"],
  },
});

const pin = (key: string, imageId: string, outside = false): Pin => ({ key, imageId, outside });

describe("checking pins against the stack promoted from", () => {
  const problemsOf = (pins: Pin[], built: unknown): ConfigError => {
    try {
      checkPins(pins, built, "staging", NS);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err;
    }
    assert.fail("expected a ConfigError");
  };

  it("accepts the current image and records its expected name and fingerprint", () => {
    const checked = checkPins(
      [pin("RL9", FAT_NEW), pin("RL9-cuda", CUDA)],
      stagingImages(),
      "staging",
      NS,
    );
    assert.deepEqual(checked, [
      {
        key: "RL9",
        imageId: FAT_NEW,
        outside: false,
        expected: {
          imageId: FAT_NEW,
          imageName: "openhpc-RL9-260110-1200-89abcdef",
          fingerprint: "f-new",
          builtAt: "2026-01-10T12:00:00.000Z",
        },
      },
      {
        key: "RL9-cuda",
        imageId: CUDA,
        outside: false,
        expected: {
          imageId: CUDA,
          imageName: "openhpc-RL9-cuda-260110-1300-89abcdef",
          fingerprint: "f-cuda",
          builtAt: undefined,
        },
      },
    ]);
  });

  it("accepts an older image the stack still keeps, expecting that image's name and fingerprint", () => {
    const [checked] = checkPins([pin("RL9", FAT_OLD)], stagingImages(), "staging", NS);
    assert.equal(checked.imageId, FAT_OLD);
    assert.equal(checked.expected?.imageName, "openhpc-RL9-260105-0907-01234567");
    assert.equal(checked.expected?.fingerprint, "f-old");
  });

  it("refuses an image the stack did not build for that key, naming its current image", () => {
    const err = problemsOf([pin("RL9", OTHER)], stagingImages());
    assert.equal(err.problems.length, 1);
    const [p] = err.problems;
    assert.equal(p.key, "pins.RL9");
    assert.equal(p.value, OTHER);
    assert.match(p.message, /not an image that stack staging built for RL9/);
    assert.ok(
      p.message.includes(`its current RL9 image is ${FAT_NEW} (openhpc-RL9-260110-1200-89abcdef)`),
      p.message,
    );
    assert.ok(err.message.includes(`${NS}:pins.RL9: `), err.message);
  });

  it("refuses an image built for another key of the stack", () => {
    const err = problemsOf([pin("RL9", CUDA)], stagingImages());
    assert.equal(err.problems[0].key, "pins.RL9");
    assert.match(err.problems[0].message, /not an image that stack staging built for RL9/);
  });

  it("refuses a key the stack does not build, listing the keys it has", () => {
    const err = problemsOf([pin("RL8", FAT_NEW)], stagingImages());
    assert.equal(err.problems[0].key, "pins.RL8");
    assert.match(
      err.problems[0].message,
      /stack staging has no build RL8 \(it has: RL9, RL9-cuda\)/,
    );
  });

  it("refuses pins when the stack has no images output yet: deploy it first", () => {
    for (const missing of [undefined, null, "not an object"]) {
      const err = problemsOf([pin("RL9", FAT_NEW)], missing);
      assert.equal(err.problems[0].key, "pins.RL9");
      assert.match(err.problems[0].message, /has no `images` output/);
      assert.match(err.problems[0].message, /deploy it first \(pulumi up -s staging\)/);
    }
    const empty = problemsOf([pin("RL9", FAT_NEW)], {});
    assert.match(empty.problems[0].message, /has no build RL9 \(it has: none\)/);
  });

  it("a key whose build has not produced an image yet counts as not built", () => {
    const built = { ...stagingImages(), RL9: { imageId: "", imageName: "", fingerprint: "x" } };
    const err = problemsOf([pin("RL9", FAT_NEW)], built);
    assert.match(err.problems[0].message, /has no build RL9 \(it has: RL9-cuda\)/);
  });

  it("passes outside pins without looking at the outputs", () => {
    const outside = pin("vendor", OTHER, true);
    assert.deepEqual(checkPins([outside], undefined, "staging", NS), [outside]);
    assert.deepEqual(checkPins([outside], stagingImages(), "staging", NS), [outside]);
  });

  it("reports every bad pin in one ConfigError", () => {
    const err = problemsOf(
      [pin("RL9", OTHER), pin("RL9-cuda", CUDA), pin("RL8", FAT_OLD), pin("vendor", OTHER, true)],
      stagingImages(),
    );
    assert.deepEqual(
      err.problems.map((p) => p.key),
      ["pins.RL9", "pins.RL8"],
    );
    assert.match(err.message, /2 problems/);
  });
});

describe("retention decision (keepImages)", () => {
  const image = (id: string, day: number, extra: Partial<RetentionCandidate> = {}) => ({
    imageId: id,
    imageName: `openhpc-RL9-2601${String(day).padStart(2, "0")}`,
    builtAt: `2026-01-${String(day).padStart(2, "0")}T09:00:00.000Z`,
    promoted: false,
    protected: false,
    ...extra,
  });
  const ids = (list: { imageId: string }[]) => list.map((i) => i.imageId);

  it("keeps everything when keepImages is unset", () => {
    const images = [image("a", 1), image("b", 2), image("c", 3)];
    assert.deepEqual(imagesToDelete(images, undefined, "c"), { remove: [], spared: [] });
  });

  it("keep 2 of 4 deletes the 2 oldest, whatever order they come in", () => {
    const images = [image("b", 2), image("d", 4), image("a", 1), image("c", 3)];
    const { remove, spared } = imagesToDelete(images, 2, "d");
    assert.deepEqual(ids(remove).sort(), ["a", "b"]);
    assert.deepEqual(spared, []);
  });

  it("the current image is always kept, even when it is not the newest", () => {
    // A rebuild that reused an older image: the current one is d2, not the newest.
    const images = [image("d1", 1), image("d2", 2), image("d3", 3), image("d4", 4)];
    const { remove } = imagesToDelete(images, 2, "d2");
    assert.deepEqual(ids(remove).sort(), ["d1", "d3"]);
    assert.deepEqual(ids(imagesToDelete(images, 1, "d1").remove).sort(), ["d2", "d3", "d4"]);
  });

  it("spares promoted and protected images with the reason", () => {
    const images = [
      image("a", 1, { promoted: true }),
      image("b", 2, { protected: true }),
      image("c", 3),
      image("d", 4),
      image("e", 5),
    ];
    const { remove, spared } = imagesToDelete(images, 2, "e");
    assert.deepEqual(ids(remove), ["c"]);
    assert.deepEqual(
      spared.map((s) => [s.image.imageId, s.why]),
      [
        ["b", "protected"],
        ["a", "promoted (shared or tagged promoted-*)"],
      ],
    );
  });

  it("a same-project promotion tags the image promoted-<stack>", () => {
    assert.equal(promotedTag("production"), "promoted-production");
  });
});
