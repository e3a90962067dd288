import type { ConfigProblem } from "./config/errors";

/**
 * Orders builds so that a build comes after the build it starts from
 * (`sourceBuild`), and reports references to unknown builds and cycles.
 * Independent builds keep their config order; the engine runs them in parallel.
 */
export function planBuildOrder(sources: Record<string, string | undefined>): {
  order: string[];
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const keys = Object.keys(sources);
  for (const key of keys) {
    const parent = sources[key];
    if (parent !== undefined && !(parent in sources)) {
      problems.push({
        key: `builds.${key}.sourceBuild`,
        value: parent,
        message: `unknown build; expected one of: ${keys.join(", ")}`,
      });
    }
  }

  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const reportedCycles = new Set<string>();
  const visit = (key: string, trail: string[]): void => {
    if (state.get(key) === "done") return;
    if (state.get(key) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(key)), key];
      const id = [...cycle.slice(0, -1)].sort().join(",");
      if (!reportedCycles.has(id)) {
        reportedCycles.add(id);
        problems.push({
          key: `builds.${key}.sourceBuild`,
          value: sources[key],
          message: `builds form a cycle: ${cycle.join(" → ")}; one of them must start from a cloud image`,
        });
      }
      return;
    }
    state.set(key, "visiting");
    const parent = sources[key];
    if (parent !== undefined && parent in sources) visit(parent, [...trail, key]);
    state.set(key, "done");
    order.push(key);
  };
  for (const key of keys) visit(key, []);
  return { order: problems.length ? [] : order, problems };
}

/** Every build that starts, directly or through a chain, from `key`. */
export function dependantsOf(sources: Record<string, string | undefined>, key: string): string[] {
  const result: string[] = [];
  const walk = (parent: string) => {
    for (const [child, source] of Object.entries(sources)) {
      if (source === parent && !result.includes(child)) {
        result.push(child);
        walk(child);
      }
    }
  };
  walk(key);
  return result;
}
