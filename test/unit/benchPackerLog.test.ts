import { strict as assert } from "node:assert";
import {
  formatLogEntry,
  manifestImageId,
  packerPhases,
  parseLog,
  stepMessage,
  type LogEntry,
} from "../../scripts/bench/packerLog";

const B = "openstack.builder";
const say = (msg: string) => `\x1b[1;32m==> ${B}: ${msg}\x1b[0m`;
const detail = (msg: string) => `\x1b[0;32m    ${B}: ${msg}\x1b[0m`;

/** A volume-backed build's log as `packer build` prints it (UI on stdout, PACKER_LOG on stderr), times in s. */
function buildLog(): LogEntry[] {
  const lines: [number, LogEntry["stream"], string][] = [
    [0.3, "err", "2026/12/01 06:02:19 [INFO] Packer version: 1.11.2 [go1.26.8 linux amd64]"],
    [1.0, "out", say("Loading flavor: general.v1.small")],
    [1.1, "out", detail("Verified flavor. ID: 6")],
    [1.2, "out", say("Creating temporary keypair: packer_6b0e ...")],
    [1.9, "out", say("Creating volume...")],
    [8.0, "out", say("Launching server...")],
    [8.1, "out", say("Launching server...")],
    [8.2, "out", say("Waiting for server to become ready...")],
    [10.0, "out", say("Connected to SSH!")],
    [10.5, "out", say("Provisioning with Ansible...")],
    [11.0, "out", detail("TASK [Marker directory] ****")],
    // Ansible's own lines never end a phase, even when they look like a step.
    [12.0, "out", detail("==> not a step")],
    [19.5, "out", say("Stopping server: 4c7c ...")],
    [21.5, "out", say("Terminating the source server: 4c7c ...")],
    [23.5, "out", say("Creating the image: openhpc-fat-261201-0602-54213d8b")],
    [23.6, "out", detail("Image: b1b6")],
    [
      23.7,
      "out",
      say("Waiting for image openhpc-fat-261201-0602-54213d8b (image id: b1b6) to become ready..."),
    ],
    [25.7, "out", say("Updating image visibility to private")],
    [25.8, "out", say("Skipping image update tags...")],
    [25.9, "out", say("Terminating the source server: 4c7c ...")],
    [
      26.0,
      "out",
      "\x1b[1;31m==> openstack.builder: Error terminating server, may still be around: Resource not found\x1b[0m",
    ],
    [26.1, "out", say("Deleting volume: 44f2 ...")],
    [26.4, "out", say("Deleting temporary keypair: packer_6b0e ...")],
    [26.5, "out", say("Running post-processor:  (type manifest)")],
    [
      26.6,
      "out",
      "\x1b[1;32mBuild 'openstack.builder' finished after 26 seconds 300 milliseconds.\x1b[0m",
    ],
  ];
  return lines.map(([s, stream, text]) => ({ t: 1_000_000 + s * 1000, stream, text }));
}

describe("bench: Packer's log", () => {
  it("reads back what it writes, skipping other lines", () => {
    const entries = buildLog();
    const text = `${entries.map(formatLogEntry).join("\n")}\nnot an entry\n`;
    assert.deepEqual(parseLog(text), entries);
  });

  it("step messages are the `==> <build>: ` lines, without colour", () => {
    assert.equal(stepMessage(say("Loading flavor: x")), "Loading flavor: x");
    assert.equal(stepMessage(detail("Verified flavor. ID: 6")), undefined);
    assert.equal(stepMessage(detail("==> not a step")), undefined);
    assert.equal(stepMessage("2026/12/01 06:02:19 [INFO] ui: ==> x"), undefined);
  });

  it("splits a volume-backed build into the bench's phases", () => {
    const { phases, missing } = packerPhases(buildLog(), 1_000_000, 1_027_000);
    assert.deepEqual(missing, []);
    assert.deepEqual(phases, {
      setup: 7.0, // Loading flavor → Launching server
      "boot + SSH wait": 2.5, // → Provisioning with Ansible
      Ansible: 9.0, // → Stopping server
      "stop/delete": 4.0, // → Creating the image
      "upload + active": 2.2, // → the first step after Waiting for image
      properties: 0.2, // visibility, tags
      cleanup: 0.6, // server (again), volume, keypair → post-processor
      other: 1.5, // spawn → Loading flavor (1.0) + post-processor → exit (0.5)
    });
  });

  it("names the markers a failed or cut log lacks, and leaves their phases out", () => {
    const cut = buildLog().filter((e) => e.t < 1_019_000); // ends during Ansible
    const { phases, missing } = packerPhases(cut, 1_000_000, 1_019_000);
    assert.deepEqual(missing, [
      "Stopping server",
      "Creating the image",
      "Waiting for image",
      "the end of the build",
    ]);
    assert.deepEqual(phases, { setup: 7.0, "boot + SSH wait": 2.5 });
  });

  it("the manifest's image id is the last build's artifact", () => {
    const manifest = JSON.stringify({
      builds: [{ artifact_id: "old" }, { artifact_id: "b1b6", custom_data: { source: "builder" } }],
    });
    assert.equal(manifestImageId(manifest), "b1b6");
    assert.equal(manifestImageId("{}"), undefined);
  });
});
