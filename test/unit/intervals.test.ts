import { strict as assert } from "node:assert";
import { OperationClock, unionLength } from "../../lib/intervals";

describe("interval clock", () => {
  it("counts overlapping intervals once", () => {
    assert.equal(unionLength([]), 0);
    assert.equal(
      unionLength([
        { start: 0, end: 10 },
        { start: 5, end: 15 },
        { start: 20, end: 25 },
        { start: 21, end: 22 },
        { start: 30, end: 30 },
      ]),
      20,
    );
  });

  it("pairs start and end events by URN, only for the resource types it counts", () => {
    const clock = new OperationClock((type) => type.startsWith("openstack:"));
    clock.start("urn:a", "openstack:compute/instance:Instance", 1000);
    clock.start("urn:b", "tls:index/privateKey:PrivateKey", 1000);
    clock.start("urn:c", "openstack:blockstorage/volume:Volume", 1500);
    clock.end("urn:b", 9000);
    clock.end("urn:a", 3000);
    clock.end("urn:c", 4000);
    clock.end("urn:unknown", 5000);
    clock.add({ start: 10_000, end: 12_000 });
    assert.equal(clock.seconds(), 5);
  });
});
