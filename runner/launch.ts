/**
 * How this program starts its runners (runner/*): the main stack's command
 * resources, the builder guard, the runner's worker and the build stack's
 * Ansible step all go through here.
 *
 * Two ways the code can be there, told apart by the extension of this very
 * file (no build step decides it, and no stale output can be picked up):
 *
 * - **from source** (a checkout of this repository; Pulumi runs index.ts with
 *   ts-node, the scripts and tests with tsx): a runner is
 *   `node --import tsx runner/main.ts` in the checkout, exactly what stacks
 *   made from a checkout have stored, so they see no change;
 * - **compiled** (the npm package: `dist/`, no tsx, no dev dependencies): a
 *   runner is `node <dist/runner/main.js, relative to the Pulumi project
 *   directory>` in that directory (the site directory, where `.build-state/`
 *   and a project `clouds.yaml` are). Relative, so the same site directory on
 *   another machine stores the same command.
 *
 * Neither the interpreter nor `dir` is a trigger of a command resource: going
 * from one form to the other is an update of each image's command, never a
 * rebuild.
 */
import * as path from "node:path";

/** The root of this program's code: the repository checkout, or the package's `dist/`. */
export const CODE_ROOT = path.resolve(__dirname, "..");

/** True when this program runs as compiled JavaScript (the package), false from TypeScript source. */
export const COMPILED = path.extname(__filename) === ".js";

/** Where the code is and in which form; the defaults are this process's. */
export interface CodeLocation {
  compiled: boolean;
  codeRoot: string;
}

const HERE: CodeLocation = { compiled: COMPILED, codeRoot: CODE_ROOT };

/** What a `@pulumi/command` resource needs to run a runner script. */
export interface RunnerLaunch {
  interpreter: string[];
  dir: string;
}

/**
 * A runner script (relative to the code root, without extension, e.g.
 * `runner/main`) as a command's interpreter and working directory.
 * `projectDir` is the Pulumi project directory (the main program's cwd).
 */
export function runnerLaunch(
  script: string,
  projectDir: string = process.cwd(),
  code: CodeLocation = HERE,
): RunnerLaunch {
  if (!code.compiled)
    return { interpreter: ["node", "--import", "tsx", `${script}.ts`], dir: code.codeRoot };
  return {
    interpreter: ["node", path.relative(projectDir, path.join(code.codeRoot, `${script}.js`))],
    dir: projectDir,
  };
}

/** The same as one shell command line (for a command's `delete`), with `args` after the script. */
export function runnerShellCommand(
  script: string,
  args: string[],
  projectDir: string = process.cwd(),
  code: CodeLocation = HERE,
): { command: string; dir: string } {
  const launch = runnerLaunch(script, projectDir, code);
  return {
    command: ["exec", ...[...launch.interpreter, ...args].map(shellWord)].join(" "),
    dir: launch.dir,
  };
}

/**
 * Node arguments that run a script of this program from a process of its
 * own (the worker, the Ansible step): the compiled file, or the source file
 * with the loader this process was started with.
 */
export function nodeArguments(
  script: string,
  code: CodeLocation = HERE,
  execArgv: string[] = process.execArgv,
): string[] {
  const file = path.join(code.codeRoot, `${script}${code.compiled ? ".js" : ".ts"}`);
  if (code.compiled) return [file];
  // From source: the loader this process runs with (tsx), else tsx by name.
  return [...(execArgv.length > 0 ? execArgv : ["--import", "tsx"]), file];
}

/** A word for sh: bare when it is safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
