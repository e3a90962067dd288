/**
 * Interrupted builds, for real on localcloud: Ctrl-C once and twice, the
 * whole `pulumi up` process tree killed (a lost machine), the runner's
 * worker killed while its engine still runs, and a kill during the upload.
 * After each, the next `pulumi up` (or `pulumi destroy`) recovers by itself:
 * no manual `pulumi cancel`, nothing of a builder left, no duplicate image,
 * no private key on disk, no process of the build left running.
 */
import { strict as assert } from "node:assert";
import type { ResultPromise } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitFor } from "@slurm-image-builder/localcloud/testing";
import { startE2e, type E2e } from "./harness";

const NOTHING = { servers: [], volumes: [], keypairs: [], floatingIps: [], ports: [] };

/** Every process id below `root` in the process tree, deepest first. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      visit(child);
      out.push(child);
    }
  };
  visit(root);
  return out;
}

/** Processes whose command line contains `text`. */
function processesWith(text: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe("end to end: interrupted builds recover by themselves", function () {
  this.timeout(40 * 60_000);
  let e2e: E2e;
  const config = (extraVars: Record<string, unknown> = { fixture_sleep: 45 }) => ({
    flavor: "general.v1.small",
    networks: ["localcloud-net"],
    sshTimeoutMinutes: 3,
    builds: {
      fat: { sourceImageName: "debian-12-localcloud", inventoryGroups: "fatimage", extraVars },
    },
  });
  const logsOf = (stack: string) => path.join(e2e.dir, "build-state", "logs", stack);
  const readLogs = (stack: string, suffix: string) => {
    const dir = logsOf(stack);
    if (!fs.existsSync(dir)) return "";
    return fs
      .readdirSync(dir)
      .filter(
        (f) => f.endsWith(suffix) && (suffix !== ".log" || !/\.(engine|runner)\.log$/.test(f)),
      )
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
      .join("\n");
  };

  /** `pulumi up` as a user runs it, in its own process, so it can be interrupted. */
  // execa is ESM-only: loaded in before().
  let execa: typeof import("execa").execa;
  const upProcess = (stack: string): ResultPromise =>
    execa("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack], {
      cwd: e2e.projectDir,
      env: e2e.env,
      reject: false,
      all: true,
    });
  const untilAnsibleSleeps = (stack: string) =>
    waitFor(
      "Ansible's slow task",
      async () => readLogs(stack, ".log").includes("TASK [Sleep when the test asks for it]"),
      5 * 60_000,
      500,
    );
  const imageList = () =>
    e2e.osc.json<{ ID: string; Name: string; Status: string }[]>(["image", "list", "--long"]);
  /** The images made since `before`: after a recovery, exactly one, active. */
  const assertOneNewImage = async (before: Set<string>) => {
    const added = (await imageList()).filter((i) => !before.has(i.ID));
    assert.equal(added.length, 1, `new images: ${JSON.stringify(added)}`);
    assert.equal(added[0].Status, "active");
  };
  const imagesNow = async () => new Set((await imageList()).map((i) => i.ID));
  /** After recovery: nothing of a builder, no secret file, no process of the build. */
  const assertClean = async (stack: string) => {
    assert.deepEqual(await e2e.cloudResources(), NOTHING);
    const work = path.join(e2e.dir, "build-state", "work");
    const left = fs.existsSync(work) ? fs.readdirSync(work) : [];
    assert.deepEqual(left, [], `private work directories left: ${left.join(", ")}`);
    await waitFor(
      "the build's processes to end",
      async () =>
        processesWith(`${stack}-fat`).length === 0 &&
        processesWith(e2e.appliance.repoRoot).filter((p) =>
          /ansible-playbook|runner\/worker/.test(p.cmdline),
        ).length === 0,
      60_000,
      1000,
    );
  };

  before(async () => {
    ({ execa } = await import("execa"));
    e2e = await startE2e("interrupt");
    const file = path.join(e2e.appliance.repoRoot, "ansible", "fatimage.yml");
    const playbook = fs.readFileSync(file, "utf8").trimEnd();
    e2e.editAppliance(
      "ansible/fatimage.yml",
      `${playbook}\n\n    - name: Sleep when the test asks for it\n      ansible.builtin.command: "sleep {{ fixture_sleep }}"\n      when: fixture_sleep is defined\n`,
    );
  });
  after(async () => e2e && (await e2e.stop()));

  it("Ctrl-C once during Ansible: a clear end, the builder cleaned up, the next up builds", async () => {
    const before = await imagesNow();
    const stack = await e2e.stack("ctrlc", config());
    const up = upProcess("ctrlc");
    await untilAnsibleSleeps("ctrlc");
    up.kill("SIGINT");
    const result = await up;
    assert.notEqual(result.exitCode, 0);
    assert.match(String(result.all), /cancel/i);
    // The worker says what it did, in the build's runner log.
    await waitFor(
      "the worker's clean-up",
      async () => /onError: cleanup: destroying build stack/.test(readLogs("ctrlc", ".runner.log")),
      5 * 60_000,
      1000,
    );
    assert.match(readLogs("ctrlc", ".runner.log"), /interrupted: the runner was stopped/);

    e2e.writeConfig("ctrlc", config({}));
    const next = await stack.up({ color: "never" });
    assert.equal(next.summary.result, "succeeded");
    await assertClean("ctrlc");
    await assertOneNewImage(before);
  });

  it("Ctrl-C twice (terminate at once): the next up recovers the same way", async () => {
    const before = await imagesNow();
    const stack = await e2e.stack("ctrlc2", config());
    const up = upProcess("ctrlc2");
    await untilAnsibleSleeps("ctrlc2");
    up.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 1000));
    up.kill("SIGINT");
    const result = await up;
    assert.notEqual(result.exitCode, 0);

    e2e.writeConfig("ctrlc2", config({}));
    const next = await stack.up({ color: "never" });
    assert.equal(next.summary.result, "succeeded");
    await assertClean("ctrlc2");
    await assertOneNewImage(before);
  });

  it("the whole up killed (a lost machine): destroy leaves nothing; the next up builds", async () => {
    const before = await imagesNow();
    const stack = await e2e.stack("lost", config());
    const up = upProcess("lost");
    await untilAnsibleSleeps("lost");
    const tree = [...descendants(up.pid!), up.pid!];
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await up;
    // The server and volume are there, the build stack locked by a dead engine.
    assert.deepEqual((await e2e.cloudResources()).servers, ["lost-fat-builder"]);
    // Pulumi's own lock on the main stack: a lost machine's needs `pulumi cancel`
    // (Pulumi says so); the build stack's is this program's to clear.
    await stack.cancel();

    const destroyed = await stack.destroy({ color: "never" });
    assert.equal(destroyed.summary.result, "succeeded");
    await assertClean("lost");

    e2e.writeConfig("lost", config({}));
    const next = await stack.up({ color: "never" });
    assert.equal(next.summary.result, "succeeded");
    await assertClean("lost");
    await assertOneNewImage(before);
  });

  it("the worker killed while its engine runs: the next up waits for it, never two builders at once", async () => {
    const before = await imagesNow();
    const stack = await e2e.stack("orphan", config({ fixture_sleep: 30 }));
    const up = upProcess("orphan");
    await untilAnsibleSleeps("orphan");
    const workers = processesWith("runner/worker.ts build").filter((p) =>
      descendants(up.pid!).includes(p.pid),
    );
    assert.equal(workers.length, 1, JSON.stringify(workers));
    process.kill(workers[0].pid, "SIGKILL");
    const first = await up;
    assert.notEqual(first.exitCode, 0);

    let most = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const servers = (await e2e.cloudResources()).servers;
        most = Math.max(most, servers.filter((name) => name === "orphan-fat-builder").length);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    e2e.writeConfig("orphan", config({}));
    try {
      const out: string[] = [];
      const next = await stack.up({ color: "never", onOutput: (o) => out.push(o) });
      assert.equal(next.summary.result, "succeeded");
      assert.match(
        out.join(""),
        /is in use by engine pid \d+ .*waiting|leftovers of an earlier build found/,
      );
    } finally {
      watching = false;
      await watcher;
    }
    assert.equal(most, 1, `${most} builder servers at once`);
    await assertClean("orphan");
    await assertOneNewImage(before);
  });

  it("killed during the upload: the incomplete image is removed, no duplicate", async () => {
    const before = await imagesNow();
    const stack = await e2e.stack("upload", config({}));
    e2e.cloud.faults.imageStuckSaving({ name: "^openhpc-fat-" });
    const up = upProcess("upload");
    await waitFor(
      "the image to be saving",
      async () => {
        const list = await e2e.osc.json<{ Name: string; Status: string }[]>([
          "image",
          "list",
          "--long",
        ]);
        return list.some((i) => i.Name.startsWith("openhpc-fat-") && i.Status === "saving");
      },
      5 * 60_000,
      1000,
    );
    for (const pid of [...descendants(up.pid!), up.pid!]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await up;
    await stack.cancel();
    e2e.cloud.faults.clear();

    const next = await stack.up({ color: "never" });
    assert.equal(next.summary.result, "succeeded");
    await assertClean("upload");
    await assertOneNewImage(before);
  });
});
