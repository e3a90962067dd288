/** The command line of `npm run bench`. Pure. */

export const WORKLOADS = ["cold", "matrix", "two"] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchArgs {
  /** Runs of each tool per workload. */
  runs: number;
  workloads: Workload[];
  /** Write every run's figures here as JSON. */
  json?: string;
  /** Keep localcloud's and the stacks' directory (its path is printed). */
  keep: boolean;
  /** Run the program as the package does: compiled JavaScript (dist/), no ts-node, no tsx. */
  compiled: boolean;
}

export const BENCH_USAGE = [
  "usage: npm run bench [-- [--runs N] [--workloads cold,matrix,two] [--json FILE] [--keep]]",
  "  --runs N        runs of each tool per workload, alternating (default 3)",
  "  --workloads     cold: one cold build; matrix: the CI matrix, then one extra build changed,",
  "                  then a no-op up and a preview; two: two independent builds in one up",
  "                  (ours only, once); default all",
  "  --json FILE     also write every run's figures to FILE",
  "  --keep          keep the bench's directory (localcloud, stacks, logs)",
  "  --compiled      ours as the installed package runs it: compiled JavaScript (npm run",
  "                  build:dist), no ts-node for the program, no tsx for the runners",
].join("\n");

/** Parses the arguments; throws with the usage on a bad one. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { runs: 3, workloads: [...WORKLOADS], keep: false, compiled: false };
  const fail = (why: string): never => {
    throw new Error(`${why}\n${BENCH_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i]];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--runs": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`--runs must be a whole number ≥ 1, not ${v}`);
        out.runs = n;
        break;
      }
      case "--workloads": {
        const list = value()
          .split(",")
          .map((w) => w.trim())
          .filter((w) => w !== "");
        const bad = list.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
        if (bad.length > 0 || list.length === 0)
          fail(
            `unknown workload ${bad.join(", ") || "(none)"}: choose from ${WORKLOADS.join(", ")}`,
          );
        out.workloads = WORKLOADS.filter((w) => list.includes(w));
        break;
      }
      case "--json":
        out.json = value();
        break;
      case "--keep":
        out.keep = true;
        break;
      case "--compiled":
        out.compiled = true;
        break;
      default:
        fail(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}
