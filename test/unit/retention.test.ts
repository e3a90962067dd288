import { strict as assert } from "node:assert";
import type { GlanceImage } from "../../lib/openstack/images";
import { applyRetention } from "../../runner/retention";
import type { BuildRequest } from "../../lib/protocol";
import { FakeImages } from "../helpers/fakeImages";

const STAGING = "proj-staging";

/** The parts of a build request retention reads. */
const requestFor = (keep: number | undefined): BuildRequest =>
  ({
    project: "slurm-image-builder",
    stack: "staging",
    spec: { key: "RL9", image: { keep } },
  }) as unknown as BuildRequest;

/** An image staging built for RL9 on 2026-01-<day>. */
const built = (id: string, day: number, extra: Partial<GlanceImage> = {}): GlanceImage => {
  const time = `2026-01-${String(day).padStart(2, "0")}T09:00:00.000Z`;
  return {
    id,
    name: `openhpc-RL9-2601${String(day).padStart(2, "0")}-0900-01234567`,
    status: "active",
    visibility: "private",
    owner: STAGING,
    created_at: time,
    image_build_time: time,
    image_build_fingerprint: `f-${id}`,
    image_build_key: "RL9",
    image_build_stack: "staging",
    tags: [],
    ...extra,
  };
};

describe("retention after a build (keepImages)", () => {
  const run = async (glance: FakeImages, keep: number | undefined, current: string) => {
    const said: string[] = [];
    const history = await applyRetention(requestFor(keep), current, glance.service, (m) =>
      said.push(m),
    );
    const deleted = glance.calls.filter((c) => c.method === "delete").map((c) => c.args[0]);
    return { history, said, deleted };
  };

  it("keeps every image when keepImages is unset, and lists them newest first", async () => {
    const glance = new FakeImages(STAGING, [built("a", 1), built("c", 3), built("b", 2)]);
    const { history, deleted } = await run(glance, undefined, "c");
    assert.deepEqual(deleted, []);
    assert.deepEqual(history, [
      {
        imageId: "c",
        imageName: "openhpc-RL9-260103-0900-01234567",
        fingerprint: "f-c",
        builtAt: "2026-01-03T09:00:00.000Z",
      },
      {
        imageId: "b",
        imageName: "openhpc-RL9-260102-0900-01234567",
        fingerprint: "f-b",
        builtAt: "2026-01-02T09:00:00.000Z",
      },
      {
        imageId: "a",
        imageName: "openhpc-RL9-260101-0900-01234567",
        fingerprint: "f-a",
        builtAt: "2026-01-01T09:00:00.000Z",
      },
    ]);
  });

  it("looks only at this stack's images of this build key", async () => {
    const glance = new FakeImages(STAGING, [built("a", 1)]);
    await run(glance, 1, "a");
    assert.deepEqual(glance.calls.find((c) => c.method === "list")?.args, [
      { image_build_key: "RL9", image_build_stack: "staging" },
    ]);
  });

  it("keep 2 of 4 deletes the 2 oldest and drops them from the history", async () => {
    const glance = new FakeImages(STAGING, [
      built("a", 1),
      built("b", 2),
      built("c", 3),
      built("d", 4),
    ]);
    const { history, deleted, said } = await run(glance, 2, "d");
    assert.deepEqual([...deleted].sort(), ["a", "b"]);
    assert.deepEqual(
      history.map((h) => h.imageId),
      ["d", "c"],
    );
    assert.ok(
      said.some((m) => /deleting old image openhpc-RL9-260101-\S+ \(a\) \(keepImages=2\)/.test(m)),
      said.join("\n"),
    );
  });

  it("spares images promoted by tag or shared with a project, and protected ones, saying why", async () => {
    const glance = new FakeImages(STAGING, [
      built("a", 1, { tags: ["promoted-production"] }),
      built("b", 2, { visibility: "shared" }),
      built("c", 3, { visibility: "shared" }),
      built("p", 4, { protected: true }),
      built("d", 5),
    ]);
    glance.members.set("b", [{ image_id: "b", member_id: "proj-production", status: "accepted" }]);
    const { history, deleted, said } = await run(glance, 1, "d");
    // c is shared but has no member left (unpinned): nothing outside uses it.
    assert.deepEqual(deleted, ["c"]);
    assert.deepEqual(
      history.map((h) => h.imageId),
      ["d", "p", "b", "a"],
    );
    const text = said.join("\n");
    assert.match(text, /keeping \S+ \(a\) beyond keepImages=1: promoted/);
    assert.match(text, /keeping \S+ \(b\) beyond keepImages=1: promoted/);
    assert.match(text, /keeping \S+ \(p\) beyond keepImages=1: protected/);
  });

  it("never deletes the current image, even when a newer one exists", async () => {
    const glance = new FakeImages(STAGING, [built("a", 1), built("b", 2), built("c", 3)]);
    const { deleted, history } = await run(glance, 1, "a");
    assert.deepEqual([...deleted].sort(), ["b", "c"]);
    assert.deepEqual(
      history.map((h) => h.imageId),
      ["a"],
    );
  });

  it("never touches copies in another project that carry the same provenance", async () => {
    // A promoted copy keeps image_build_key/stack; an admin's credentials would list it.
    const glance = new FakeImages(STAGING, [
      built("a", 1),
      built("b", 2),
      built("copy", 1, { owner: "proj-production" }),
    ]);
    const { deleted, history } = await run(glance, 1, "b");
    assert.deepEqual(deleted, ["a"]);
    assert.deepEqual(
      history.map((h) => h.imageId),
      ["b"],
    );
  });

  it("leaves images that are not active out of the history", async () => {
    const glance = new FakeImages(STAGING, [built("a", 1, { status: "killed" }), built("b", 2)]);
    const { history, deleted } = await run(glance, undefined, "b");
    assert.deepEqual(deleted, []);
    assert.deepEqual(
      history.map((h) => h.imageId),
      ["b"],
    );
  });
});
