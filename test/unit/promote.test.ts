import { strict as assert } from "node:assert";
import type { GlanceImage } from "../../lib/openstack/images";
import {
  formatPromotionResult,
  parsePromotionResult,
  type PromotionRequest,
  type PromotionResult,
} from "../../lib/protocol";
import { promote, provenanceMismatch, unpromote, type PromotionSides } from "../../runner/promote";
import { FakeImages } from "../helpers/fakeImages";

const FAT = "1b0c6f8e-43d1-4f0b-9f6e-2f4bb1c6a101";
const NAME = "openhpc-RL9-260110-1200-89abcdef";
const STAGING = "proj-staging";
const PRODUCTION = "proj-production";

/** An image as staging's build left it in Glance. */
const stagingImage = (extra: Partial<GlanceImage> = {}): GlanceImage => ({
  id: FAT,
  name: NAME,
  status: "active",
  visibility: "private",
  owner: STAGING,
  disk_format: "raw",
  container_format: "bare",
  min_disk: 20,
  size: 3 * 2 ** 30,
  checksum: "0123456789abcdef0123456789abcdef",
  os_hash_algo: "sha512",
  os_hash_value: "abc",
  created_at: "2026-01-10T12:00:00Z",
  updated_at: "2026-01-10T12:10:00Z",
  protected: false,
  tags: [],
  hw_machine_type: "q35",
  hw_firmware_type: "uefi",
  hw_disk_bus: "scsi",
  image_build_fingerprint: "f-new",
  image_build_key: "RL9",
  image_build_stack: "staging",
  image_build_time: "2026-01-10T12:00:00.000Z",
  ...extra,
});

const request = (extra: Partial<PromotionRequest> = {}): PromotionRequest => ({
  stack: "production",
  key: "RL9",
  imageId: FAT,
  outside: false,
  expected: { imageId: FAT, imageName: NAME, fingerprint: "f-new" },
  promoteFrom: "staging",
  method: "share",
  ...extra,
});

function twoProjects(image: GlanceImage = stagingImage()) {
  const source = new FakeImages(STAGING, [image]);
  const target = new FakeImages(PRODUCTION);
  const said: string[] = [];
  const sides: PromotionSides = {
    source: { images: source.service, projectId: STAGING, cloud: "mycloud-staging" },
    target: { images: target.service, projectId: PRODUCTION, cloud: "mycloud-production" },
    say: (m) => said.push(m),
  };
  return { source, target, sides, said };
}

function oneProject(image: GlanceImage = stagingImage()) {
  const glance = new FakeImages(STAGING, [image]);
  const said: string[] = [];
  const sides: PromotionSides = {
    source: { images: glance.service, projectId: STAGING, cloud: "mycloud" },
    target: { images: glance.service, projectId: STAGING, cloud: "mycloud" },
    say: (m) => said.push(m),
  };
  return { glance, sides, said };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail("expected promote to fail");
}

describe("promotion runner", () => {
  describe("provenance check", () => {
    it("accepts the image staging recorded", () => {
      assert.equal(provenanceMismatch(stagingImage(), request()), undefined);
    });

    it("names what differs from what staging recorded", () => {
      assert.equal(
        provenanceMismatch(stagingImage({ image_build_fingerprint: "f-other" }), request()),
        'its image_build_fingerprint is "f-other", but stack staging recorded f-new',
      );
      assert.equal(
        provenanceMismatch(stagingImage({ image_build_key: "RL9-cuda" }), request()),
        'its image_build_key is "RL9-cuda", not RL9',
      );
      assert.equal(
        provenanceMismatch(stagingImage({ name: "renamed" }), request()),
        `its name is "renamed", but stack staging recorded ${NAME}`,
      );
      assert.equal(
        provenanceMismatch(stagingImage({ status: "deactivated" }), request()),
        "its status is deactivated, not active",
      );
    });

    it("an outside image is only required to be active", () => {
      const vendor = stagingImage({ image_build_fingerprint: undefined, name: "Rocky-9" });
      const outside = request({ outside: true, expected: undefined });
      assert.equal(provenanceMismatch(vendor, outside), undefined);
      assert.match(
        provenanceMismatch({ ...vendor, status: "queued" }, outside) ?? "",
        /status is queued/,
      );
    });
  });

  describe("promote", () => {
    it("same project: tags the image promoted-<stack> and uses the pinned image", async () => {
      const { glance, sides } = oneProject();
      const result = await promote(request(), sides);
      assert.equal(result.how, "same-project");
      assert.equal(result.imageId, FAT);
      assert.equal(result.pinnedImageId, FAT);
      assert.equal(result.imageName, NAME);
      assert.equal(result.fingerprint, "f-new");
      assert.ok(!Number.isNaN(Date.parse(result.promotedAt)));
      assert.deepEqual(glance.writes(), [{ method: "addTag", args: [FAT, "promoted-production"] }]);
      assert.deepEqual(glance.images.get(FAT)?.tags, ["promoted-production"]);
    });

    it("an image this project already owns counts as same project", async () => {
      const { source, target, sides } = twoProjects(stagingImage({ owner: PRODUCTION }));
      target.images.set(FAT, stagingImage({ owner: PRODUCTION })); // its owner sees it too
      const result = await promote(request(), sides);
      assert.equal(result.how, "same-project");
      assert.deepEqual(source.writes(), []);
      assert.deepEqual(target.writes(), [{ method: "addTag", args: [FAT, "promoted-production"] }]);
    });

    it("share: makes a private image shared, the owner adds the member, the member accepts", async () => {
      const { source, target, sides } = twoProjects();
      const result = await promote(request({ method: "share" }), sides);
      assert.equal(result.how, "share");
      assert.equal(result.imageId, FAT);
      assert.deepEqual(source.writes(), [
        { method: "update", args: [FAT, {}, [], "shared"] },
        { method: "addMember", args: [FAT, PRODUCTION] },
      ]);
      assert.deepEqual(target.writes(), [
        { method: "setMemberStatus", args: [FAT, PRODUCTION, "accepted"] },
      ]);
      assert.equal(source.images.get(FAT)?.visibility, "shared");
    });

    it("share: an image that is already shared keeps its visibility", async () => {
      const { source, sides } = twoProjects(stagingImage({ visibility: "shared" }));
      await promote(request({ method: "share" }), sides);
      assert.deepEqual(
        source.methods().filter((m) => m !== "get"),
        ["addMember"],
      );
    });

    it("copy: a new private image in this project with the data, format and properties", async () => {
      const { source, target, sides } = twoProjects();
      const bytes = new TextEncoder().encode("raw disk bytes of the fat image");
      source.data.set(FAT, bytes);
      const result = await promote(request({ method: "copy" }), sides);

      const create = target.calls.find((c) => c.method === "create");
      assert.ok(create, `no create in ${target.methods().join(", ")}`);
      const attributes = create.args[0] as Record<string, unknown>;
      assert.deepEqual(attributes, {
        name: NAME,
        disk_format: "raw",
        container_format: "bare",
        visibility: "private",
        min_disk: 20,
        hw_machine_type: "q35",
        hw_firmware_type: "uefi",
        hw_disk_bus: "scsi",
        image_build_fingerprint: "f-new",
        image_build_key: "RL9",
        image_build_stack: "staging",
        image_build_time: "2026-01-10T12:00:00.000Z",
        image_build_promoted_from: FAT,
      });
      assert.equal(result.how, "copy");
      assert.notEqual(result.imageId, FAT);
      assert.equal(result.imageId, target.images.get(result.imageId)?.id);
      assert.equal(result.pinnedImageId, FAT);
      assert.deepEqual(target.data.get(result.imageId), bytes);
      assert.deepEqual(target.calls.find((c) => c.method === "list")?.args, [
        { image_build_promoted_from: FAT, owner: PRODUCTION },
      ]);
      assert.deepEqual(source.writes(), [], "the source image is left alone");
    });

    it("copy: reuses an active copy of an earlier run and removes a half-made one", async () => {
      const { source, target, sides } = twoProjects();
      const copy = (id: string, status: string): GlanceImage => ({
        id,
        name: NAME,
        status,
        visibility: "private",
        owner: PRODUCTION,
        image_build_promoted_from: FAT,
      });
      target.images.set("copy-done", copy("copy-done", "active"));
      target.images.set("copy-stale", copy("copy-stale", "queued"));
      const result = await promote(request({ method: "copy" }), sides);
      assert.equal(result.imageId, "copy-done");
      assert.equal(result.how, "copy");
      assert.deepEqual(target.writes(), [{ method: "delete", args: ["copy-stale"] }]);
      assert.ok(!source.methods().includes("download"), "nothing copied again");
    });

    it("copy: fails naming the pin when the upload does not leave the copy active", async () => {
      const { target, sides } = twoProjects();
      target.uploadedStatus = "killed";
      const err = await rejection(promote(request({ method: "copy" }), sides));
      assert.match(
        err.message,
        /^pins\.RL9: the copy \S+ of openhpc-RL9-\S+ is killed after its upload, not active/,
      );
    });

    it("staging's public and community images: nothing to share, tagged in staging so its retention spares them", async () => {
      for (const visibility of ["public", "community"]) {
        for (const method of ["share", "copy"] as const) {
          const { source, target, sides } = twoProjects(stagingImage({ visibility }));
          const result = await promote(request({ method }), sides);
          assert.equal(result.how, "public");
          assert.equal(result.imageId, FAT);
          assert.deepEqual(
            source.writes(),
            [{ method: "addTag", args: [FAT, "promoted-production"] }],
            `${visibility} ${method}`,
          );
          assert.deepEqual(target.writes(), [], `${visibility} ${method}`);
        }
      }
    });

    it("a public image this project owns is tagged all the same, so staging's retention spares it", async () => {
      const { glance, sides } = oneProject(stagingImage({ visibility: "public" }));
      const result = await promote(request(), sides);
      assert.equal(result.how, "same-project");
      assert.deepEqual(glance.writes(), [{ method: "addTag", args: [FAT, "promoted-production"] }]);
    });

    it("a public image of another project (a vendor's) is used as it is, even in one project", async () => {
      const vendor = stagingImage({ visibility: "public", owner: "proj-admin" });
      const { glance, sides } = oneProject(vendor);
      const result = await promote(request({ outside: true, expected: undefined }), sides);
      assert.equal(result.how, "public");
      assert.deepEqual(glance.writes(), []);
    });

    it("refuses an image whose provenance is not what staging recorded, naming pins.<key>", async () => {
      const cases: [Partial<GlanceImage>, RegExp][] = [
        [{ image_build_fingerprint: "f-other" }, /image_build_fingerprint is "f-other"/],
        [{ image_build_key: "RL9-cuda" }, /image_build_key is "RL9-cuda", not RL9/],
        [{ status: "queued" }, /its status is queued, not active/],
      ];
      for (const [change, pattern] of cases) {
        const { source, target, sides } = twoProjects(stagingImage(change));
        const err = await rejection(promote(request({ method: "copy" }), sides));
        assert.ok(
          err.message.startsWith(`pins.RL9: image ${FAT} (`) &&
            err.message.includes("can't be promoted"),
          err.message,
        );
        assert.match(err.message, pattern);
        assert.deepEqual([...source.writes(), ...target.writes()], [], JSON.stringify(change));
      }
    });

    it("refuses a pinned image the source cloud can't see, pointing at promotionSourceCloud", async () => {
      const { sides } = twoProjects();
      const err = await rejection(
        promote(request({ imageId: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" }), sides),
      );
      assert.match(
        err.message,
        /^pins\.RL9: image 9f8e7d6c-\S+ does not exist or is not visible to cloud mycloud-staging \(set promotionSourceCloud/,
      );
    });
  });

  describe("unpromote", () => {
    const previous = (how: PromotionResult["how"], imageId = FAT): PromotionResult => ({
      imageId,
      imageName: NAME,
      fingerprint: "f-new",
      pinnedImageId: FAT,
      how,
      promotedAt: "2026-01-11T08:00:00.000Z",
    });

    it("share: removes the membership only, never the image", async () => {
      const { source, target, sides } = twoProjects();
      await unpromote(request(), previous("share"), sides);
      assert.deepEqual(source.writes(), [{ method: "removeMember", args: [FAT, PRODUCTION] }]);
      assert.deepEqual(target.writes(), []);
      assert.ok(source.images.has(FAT));
    });

    it("copy: keeps the copy", async () => {
      const { source, target, sides, said } = twoProjects();
      await unpromote(request({ method: "copy" }), previous("copy", "copy-1"), sides);
      assert.deepEqual([...source.writes(), ...target.writes()], []);
      assert.match(said.join("\n"), /keeping the copy copy-1/);
    });

    it("same project: removes the promoted-<stack> tag", async () => {
      const { glance, sides } = oneProject(stagingImage({ tags: ["promoted-production"] }));
      await unpromote(request(), previous("same-project"), sides);
      assert.deepEqual(glance.writes(), [
        { method: "removeTag", args: [FAT, "promoted-production"] },
      ]);
      assert.deepEqual(glance.images.get(FAT)?.tags, []);
    });

    it("staging's public image: removes the tag in staging", async () => {
      const { source, target, sides } = twoProjects(
        stagingImage({ visibility: "public", tags: ["promoted-production"] }),
      );
      await unpromote(request(), previous("public"), sides);
      assert.deepEqual(source.writes(), [
        { method: "removeTag", args: [FAT, "promoted-production"] },
      ]);
      assert.deepEqual(target.writes(), []);
    });

    it("another project's public image, or no record of a promotion: nothing to undo", async () => {
      const vendor = stagingImage({ visibility: "public", owner: "proj-admin" });
      for (const [image, prev] of [
        [vendor, previous("public")],
        [stagingImage(), undefined],
      ] as const) {
        const { source, target, sides } = twoProjects(image);
        await unpromote(request(), prev, sides);
        assert.deepEqual([...source.writes(), ...target.writes()], []);
      }
    });
  });

  it("the main stack reads the last result line of the runner's output", () => {
    const result: PromotionResult = {
      imageId: FAT,
      imageName: NAME,
      fingerprint: "f-new",
      pinnedImageId: FAT,
      how: "share",
      promotedAt: "2026-01-11T08:00:00.000Z",
    };
    const stdout = `[08:00:00] sharing\n${formatPromotionResult({ ...result, imageId: "old" })}\n${formatPromotionResult(result)}\n`;
    assert.deepEqual(parsePromotionResult(stdout), result);
    assert.equal(parsePromotionResult("no result\n"), undefined);
  });
});
