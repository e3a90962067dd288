/** The preflight's one error message: every problem, by build. Pure. */
import type { PreflightProblem } from "./checks";

export function formatPreflight(
  problems: PreflightProblem[],
  namespace: string,
  cloud: string,
): string {
  const lines = problems.map(
    (p) => `  - build ${p.build}: ${namespace}:${p.key} = ${JSON.stringify(p.value)}: ${p.message}`,
  );
  const noun = problems.length === 1 ? "problem" : "problems";
  return `Preflight found ${problems.length} ${noun} in the cloud (${cloud}); nothing was created:\n${lines.join("\n")}`;
}
