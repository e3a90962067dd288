import { strict as assert } from "node:assert";
import { parseBenchArgs } from "../../scripts/bench/args";
import {
  markdownTable,
  median,
  medianOf,
  ratio,
  targetCell,
  workloadTable,
  type ToolRun,
} from "../../scripts/bench/report";

describe("bench: medians, ratios and the table", () => {
  it("median of odd and even counts, none for no values", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), undefined);
    const runs = [{ wall: 1 }, { wall: 3 }, { wall: 2, requests: 5 }] as ToolRun[];
    assert.equal(
      medianOf(runs, (r) => r.wall),
      2,
    );
    assert.equal(
      medianOf(runs, (r) => r.requests),
      undefined,
    ); // not every run has it
  });

  it("ratio ours / Packer, and the target cell says whether it is met", () => {
    assert.equal(ratio(50, 25), 2);
    assert.equal(ratio(undefined, 25), undefined);
    assert.equal(ratio(5, 0), undefined);
    assert.equal(ratio(12.8, 0.1), undefined); // a phase Packer hardly has
    assert.equal(ratio(1, 0.5), 2);
    assert.equal(targetCell(0.9, 1), "≤ 1.00× — met");
    assert.equal(targetCell(2.71, 1), "≤ 1.00× — **not met**");
    assert.equal(targetCell(undefined, 0.35), "≤ 0.35×");
    assert.equal(targetCell(1, undefined), "");
  });

  it("a Markdown table with a right-aligned figure column per tool", () => {
    assert.deepEqual(
      markdownTable([
        ["", "a", "b"],
        ["x", "1", "2"],
      ]),
      ["|  | a | b |", "| --- | ---: | ---: |", "| x | 1 | 2 |"],
    );
  });

  it("one workload: wall with its target, each phase, builds and requests", () => {
    const run = (wall: number, setup: number, builds: number, requests: number): ToolRun => ({
      wall,
      phases: { setup, Ansible: 10 },
      builds,
      requests,
      auths: 1,
    });
    const lines = workloadTable({
      title: "1. One cold build",
      packer: [run(25, 7, 1, 28), run(27, 8, 1, 30), run(26, 6, 1, 29)],
      ours: [run(76, 13, 1, 41), run(78, 14, 1, 41), run(77, 13.5, 1, 40)],
      target: 1,
    });
    assert.deepEqual(lines.slice(0, 7), [
      "### 1. One cold build",
      "",
      "| median of 3 / 3 runs | Packer | ours | ours / Packer | target |",
      "| --- | ---: | ---: | ---: | ---: |",
      "| **wall** | 26.0 s | 77.0 s | 2.96× | ≤ 1.00× — **not met** |",
      "| — setup | 7.0 s | 13.5 s | 1.93× |  |",
      "| — boot + SSH wait | — | — | — |  |",
    ]);
    assert.ok(lines.includes("| — Ansible | 10.0 s | 10.0 s | 1.00× |  |"));
    assert.ok(lines.includes("| builds made | 1 | 1 |  |  |"));
    assert.ok(lines.includes("| API requests | 29 (1 auth) | 41 (1 auth) |  |  |"));
  });
});

describe("bench: command line", () => {
  it("defaults: 3 runs, every workload", () => {
    assert.deepEqual(parseBenchArgs([]), {
      runs: 3,
      workloads: ["cold", "matrix", "two"],
      keep: false,
      compiled: false,
    });
  });

  it("--runs, --workloads (in the bench's order), --json, --keep; also with =", () => {
    assert.deepEqual(
      parseBenchArgs([
        "--runs",
        "1",
        "--workloads=matrix,cold",
        "--json",
        "out.json",
        "--keep",
        "--compiled",
      ]),
      { runs: 1, workloads: ["cold", "matrix"], json: "out.json", keep: true, compiled: true },
    );
  });

  it("refuses bad values and unknown arguments, with the usage", () => {
    assert.throws(
      () => parseBenchArgs(["--runs", "0"]),
      /--runs must be a whole number ≥ 1, not 0\nusage:/,
    );
    assert.throws(() => parseBenchArgs(["--runs"]), /--runs needs a value/);
    assert.throws(() => parseBenchArgs(["--workloads", "cold,warm"]), /unknown workload warm/);
    assert.throws(() => parseBenchArgs(["--fast"]), /unknown argument --fast/);
  });
});
