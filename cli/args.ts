/**
 * `--name value` (or `--name=value`) options of a subcommand: the known
 * names only, some repeatable, some plain switches. Anything else is an error
 * that shows the usage.
 */
export interface OptionSpec {
  /** What the value is (for the error when it is missing). */
  value?: string;
  /** May be given more than once; `--name a b c` takes values until the next option. */
  repeat?: boolean;
  /** A switch: no value. */
  flag?: boolean;
}

export interface ParsedOptions {
  values: Record<string, string[]>;
  flags: Set<string>;
}

export class UsageError extends Error {
  constructor(message: string, usage: string) {
    super(`${message}\n${usage}`);
    this.name = "UsageError";
  }
}

export function parseArgs(
  argv: string[],
  known: Record<string, OptionSpec>,
  usage: string,
): ParsedOptions {
  const values: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const name = flag.replace(/^--/, "");
    const spec = known[name];
    if (!flag.startsWith("--") || !spec) throw new UsageError(`unknown argument ${arg}`, usage);
    if (spec.flag) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`, usage);
      flags.add(name);
      continue;
    }
    const taken: string[] = [];
    if (inline !== undefined) taken.push(inline);
    else if (spec.repeat) {
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--")) taken.push(argv[++i]);
    } else if (i + 1 < argv.length) taken.push(argv[++i]);
    if (taken.length === 0)
      throw new UsageError(`--${name} needs a value (${spec.value ?? "value"})`, usage);
    if (!spec.repeat && values[name]) throw new UsageError(`--${name} is given twice`, usage);
    (values[name] ??= []).push(...taken);
  }
  return { values, flags };
}

/** The one value of a non-repeatable option, if given. */
export function single(options: ParsedOptions, name: string): string | undefined {
  return options.values[name]?.[0];
}
