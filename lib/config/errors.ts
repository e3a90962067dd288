/** One problem in the stack config: where, what was given, what is expected. */
export interface ConfigProblem {
  /** Config key path as the user writes it, e.g. `builds.RL9.volumeSize`. */
  key: string;
  /** What was expected (or what is wrong). */
  message: string;
  /** The value given, when there was one; secrets are never put here. */
  value?: unknown;
}

/** Thrown before any resource is registered; lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    namespace: string,
  ) {
    super(formatProblems(problems, namespace));
    this.name = "ConfigError";
  }
}

function showValue(value: unknown): string {
  if (value === undefined) return "not set";
  const text =
    typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function formatProblems(problems: ConfigProblem[], namespace: string): string {
  const lines = problems.map(
    (p) => `  - ${namespace}:${p.key}: ${p.message} (given: ${showValue(p.value)})`,
  );
  const noun = problems.length === 1 ? "problem" : "problems";
  return `Invalid stack configuration, ${problems.length} ${noun}; nothing was created:\n${lines.join("\n")}`;
}

/** The value at a config key path (what a problem reports as "given"). */
export function valueAt(root: unknown, keyPath: PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of keyPath) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
