import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runnerLogOf } from "../../scripts/bench/ours";
import {
  otherFromWall,
  ourPhases,
  PHASES,
  serverCreateStart,
  sumPhases,
} from "../../scripts/bench/phases";

const at = (iso: string) => Date.parse(iso);

/** A runner log as the build runner writes it (UTC time of day, whole seconds). */
const runnerLog = [
  "[06:10:01] build fat: image openhpc-fat-261201-0610-54213d8b from 5d5c, groups builder,fatimage",
  "[06:10:03] keypair registered (0 s)",
  "[06:10:13] builder volume ready (10 s)",
  "[06:10:24] builder server active (11 s)",
  "[06:10:26] SSH is up after 1 s (1 attempts)",
  "",
].join("\n");

describe("bench: phases of this program's builds", () => {
  it("the server create started at its milestone's time minus its duration", () => {
    assert.equal(
      serverCreateStart(runnerLog, at("2026-12-01T06:10:26.500Z")),
      at("2026-12-01T06:10:13Z"),
    );
    assert.equal(serverCreateStart("[06:10:03] keypair registered (0 s)\n", Date.now()), undefined);
  });

  it("takes the day nearest the reference, also across midnight", () => {
    const log = "[23:59:58] builder server active (3 s)\n";
    assert.equal(serverCreateStart(log, at("2026-12-02T00:00:04Z")), at("2026-12-01T23:59:55Z"));
  });

  it("maps the build's timings onto the phases; the runner log splits setup from boot + SSH wait", () => {
    const build = {
      timings: {
        sourceCheck: 0.2,
        provision: 40.0,
        ansible: 10.0,
        release: 20.0,
        upload: 3.5,
        properties: 0.1,
        teardown: 12.0,
        retention: 0.3,
        cloud: 54.0,
      },
      // Ansible started 14.5 s after the server create did.
      ansibleWindow: { start: at("2026-12-01T06:10:27.500Z"), end: at("2026-12-01T06:10:37.5Z") },
    };
    assert.deepEqual(ourPhases(build, runnerLog), {
      setup: 15.7, // 0.2 + 40 − 10 − 14.5
      "boot + SSH wait": 14.5,
      Ansible: 10.0,
      "stop/delete": 20.0,
      "upload + active": 3.5,
      properties: 0.1,
      cleanup: 12.3,
    });
    // Without the runner log, everything before Ansible is setup.
    const without = ourPhases(build);
    assert.equal(without.setup, 30.2);
    assert.equal(without["boot + SSH wait"], undefined);
  });

  it("other is the wall time outside the phases; sums need every build to have the phase", () => {
    assert.deepEqual(otherFromWall(80, { setup: 30, Ansible: 10, cleanup: 12.5 }), {
      setup: 30,
      Ansible: 10,
      cleanup: 12.5,
      other: 27.5,
    });
    assert.equal(otherFromWall(5, { setup: 30 }).other, 0);
    assert.deepEqual(
      sumPhases([
        { setup: 1.25, Ansible: 2, other: 1 },
        { setup: 2.5, Ansible: 3 },
      ]),
      { setup: 3.8, Ansible: 5 },
    );
    assert.deepEqual(sumPhases([]), {});
    assert.equal(PHASES.length, 8);
  });
});

describe("bench: the runner log of a build", () => {
  it("is the one whose runner built that image (not a replaced build's delete), written since the up", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-logs-"));
    try {
      const write = (name: string, text: string, mtime: Date) => {
        fs.writeFileSync(path.join(dir, name), text);
        fs.utimesSync(path.join(dir, name), mtime, mtime);
      };
      const since = Date.parse("2026-12-01T06:17:00Z");
      const later = new Date(since + 60_000);
      write(
        "extra-RL8-2026-12-01T061529793Z.runner.log",
        "[06:15:32] build extra-RL8: image openhpc-extra-RL8-0615 from a\n",
        new Date(since - 60_000),
      );
      write(
        "extra-RL8-2026-12-01T061645902Z.runner.log",
        "[06:16:47] build extra-RL8: image openhpc-extra-RL8-0616 from a\n",
        later,
      );
      write(
        "extra-RL8-2026-12-01T061756981Z.runner.log",
        "[06:17:59] keeping image openhpc-extra-RL8-0615 (e24b); it is no longer managed by this stack\n",
        later,
      );
      write(
        "RL8-2026-12-01T061645000Z.runner.log",
        "[06:16:47] build RL8: image openhpc-RL8-0616 from b\n",
        later,
      );
      assert.match(
        runnerLogOf(dir, "extra-RL8", "openhpc-extra-RL8-0616", since) ?? "",
        /build extra-RL8: image openhpc-extra-RL8-0616 /,
      );
      assert.equal(runnerLogOf(dir, "extra-RL8", "openhpc-extra-RL8-0615", since), undefined);
      assert.equal(runnerLogOf(dir, "RL8", "openhpc-extra-RL8-0616", since), undefined);
      assert.equal(runnerLogOf(path.join(dir, "none"), "RL8", "x", since), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
