import * as fs from "node:fs";
import * as path from "node:path";
import { toolsEnv, toolsRoot } from "../tools/paths";

/**
 * The environment to run the `pulumi` CLI in: the project's built tools
 * (`npm run tools`) when they are there, else whatever `pulumi` is on PATH.
 */
export function pulumiCliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return fs.existsSync(path.join(toolsRoot(), "bin", "pulumi"))
    ? { ...env, ...toolsEnv(env) }
    : env;
}

/** `--name value` options of a small script; unknown options are an error. */
export function parseOptions(
  argv: string[],
  known: Record<string, string>,
  usage: string,
): Record<string, string> {
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const name = flag.replace(/^--/, "");
    if (!flag.startsWith("--") || !(name in known)) {
      throw new Error(`unknown argument ${arg}\n${usage}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value (${known[name]})\n${usage}`);
    options[name] = value;
  }
  return options;
}
