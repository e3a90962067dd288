import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { judgeLock, lockDirectory, readLocks, takeOverLocks } from "../../runner/locks";

describe("build stack locks of interrupted runs", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "locks-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const writeLock = (name: string, content: Record<string, unknown>) =>
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(content));

  it("finds a file backend's lock directory of a project stack; none for other backends", () => {
    assert.equal(
      lockDirectory("file:///var/state", "p-build", "staging-fat"),
      "/var/state/.pulumi/locks/organization/p-build/staging-fat",
    );
    assert.equal(
      lockDirectory("file://~", "p", "s"),
      path.join(os.homedir(), ".pulumi/locks/organization/p/s"),
    );
    assert.equal(lockDirectory("s3://bucket/state", "p", "s"), undefined);
  });

  it("tells a live engine on this host from a dead one and from another host's", () => {
    const lock = { file: "f", pid: 42, hostname: "here", username: "u", timestamp: "t" };
    assert.equal(judgeLock(lock, "here", () => true).kind, "live");
    assert.equal(judgeLock(lock, "here", () => false).kind, "dead");
    assert.equal(judgeLock(lock, "there", () => true).kind, "elsewhere");
    writeLock("a", { pid: 7, hostname: "h", username: "u", timestamp: "2026-01-01T00:00:00Z" });
    fs.writeFileSync(path.join(dir, "broken.json"), "{");
    assert.deepEqual(
      readLocks(dir).map((l) => [l.pid, l.hostname]),
      [[7, "h"]],
    );
  });

  it("removes a dead engine's lock, saying so; waits for a live one until it is gone", async () => {
    // A process that ran and ended: its pid is free.
    const gone = spawn("true");
    await new Promise((r) => gone.on("close", r));
    writeLock("dead", { pid: gone.pid, hostname: os.hostname(), username: "u", timestamp: "t" });
    const said: string[] = [];
    assert.equal(await takeOverLocks(dir, "staging-fat", (m) => said.push(m)), true);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.match(said[0], /which no longer runs: removing its lock/);

    const live = spawn("sleep", ["3"]);
    writeLock("live", { pid: live.pid, hostname: os.hostname(), username: "u", timestamp: "t" });
    const started = Date.now();
    // The engine drops its lock as it ends.
    live.on("close", () => fs.rmSync(path.join(dir, "live.json"), { force: true }));
    const waited: string[] = [];
    assert.equal(await takeOverLocks(dir, "staging-fat", (m) => waited.push(m)), false);
    assert.ok(Date.now() - started >= 2500, "did not wait for the live engine");
    assert.match(waited[0], /is in use by engine pid \d+ .*waiting/);
  });

  it("refuses another machine's lock, naming the file to remove", async () => {
    writeLock("x", { pid: 1, hostname: "ci-runner-7", username: "u", timestamp: "t" });
    await assert.rejects(
      takeOverLocks(dir, "staging-fat", () => undefined),
      /locked by an engine on ci-runner-7 .*remove .*x\.json/,
    );
  });
});
