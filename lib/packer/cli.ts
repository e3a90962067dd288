/**
 * The command line of the Packer import: `npm run import-packer -- ...` here,
 * `slurm-image-builder init --from-packer ...` in the package. Reads the
 * files, writes the stack file (or prints it) and tells on stderr what was
 * not imported, what differs from Packer and what the program would still
 * ask for before `pulumi preview`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { formatProblems } from "../config/errors";
import { checkImportedConfig } from "./check";
import { importPackerVarFiles, type PackerImport } from "./import";
import { renderStackFile } from "./render";
import type { VarFile } from "./hcl";

export const IMPORT_USAGE = `usage: import-packer <file.pkrvars.hcl>... [--build <key>=<file>]... [--build-key <key>]
                     [--stack <name> [--dir <Pulumi project dir>] | --out <file>] [--namespace <project>] [--force]
  <file>...              common var files, in packer's -var-file order (later over earlier)
  --build <key>=<file>   a build of its own with this file over the common ones (repeat per build;
                         the same key twice applies both files in order); none: one build
  --build-key <key>      the key of that one build (default openhpc)
  --stack <name>         write Pulumi.<name>.yaml in --dir (default: the current directory)
  --out <file>           write this file instead; neither: print the stack file
  --namespace <project>  the Pulumi project name (default: name in <dir>/Pulumi.yaml, else slurm-image-builder)
  --force                replace an existing file`;

export interface ImportArgs {
  files: string[];
  builds: { key: string; file: string }[];
  buildKey?: string;
  stack?: string;
  dir?: string;
  out?: string;
  namespace?: string;
  force: boolean;
}

/** The arguments (pure): throws with the usage on anything it does not know. */
export function parseImportArgs(argv: string[]): ImportArgs {
  const args: ImportArgs = { files: [], builds: [], force: false };
  const fail = (message: string): never => {
    throw new Error(`${message}\n${IMPORT_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      args.files.push(arg);
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    if (flag === "--force") {
      args.force = true;
      continue;
    }
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--build": {
        const spec = value();
        const eq = spec.indexOf("=");
        if (eq <= 0 || eq === spec.length - 1) fail(`--build ${spec}: expected <key>=<file>`);
        args.builds.push({ key: spec.slice(0, eq), file: spec.slice(eq + 1) });
        break;
      }
      case "--build-key":
        args.buildKey = value();
        break;
      case "--stack":
        args.stack = value();
        break;
      case "--dir":
        args.dir = value();
        break;
      case "--out":
        args.out = value();
        break;
      case "--namespace":
        args.namespace = value();
        break;
      default:
        fail(`unknown option ${flag}`);
    }
  }
  if (args.files.length === 0 && args.builds.length === 0) fail("no Packer var files given");
  if (args.out && args.stack) fail("--out and --stack: give one");
  if (args.buildKey && args.builds.length) fail("--build-key is for one build without --build");
  return args;
}

export interface ImportIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** How the user called it, for the stack file's first line (default `npm run import-packer`). */
  command?: string;
}

/** Reads var files, named relative to `cwd`; a missing one is an error naming it. */
export function readVarFiles(paths: string[], cwd: string): VarFile[] {
  return paths.map((p) => {
    try {
      return { path: p, text: fs.readFileSync(path.resolve(cwd, p), "utf8") };
    } catch (err) {
      throw new Error(`${p}: can't read the var file (${(err as NodeJS.ErrnoException).code})`);
    }
  });
}

/** The project name in `<dir>/Pulumi.yaml`, when there is one. */
export function projectName(dir: string): string | undefined {
  try {
    const project = parseYaml(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as {
      name?: unknown;
    };
    return typeof project?.name === "string" ? project.name : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the command; returns its exit code (0: written, 1: bad arguments or files). */
export async function runImportPacker(argv: string[], io: ImportIo): Promise<number> {
  try {
    const args = parseImportArgs(argv);
    const dir = path.resolve(io.cwd, args.dir ?? ".");
    const out = args.out
      ? path.resolve(io.cwd, args.out)
      : args.stack
        ? path.join(dir, `Pulumi.${args.stack}.yaml`)
        : undefined;
    if (out && fs.existsSync(out) && !args.force) {
      throw new Error(`${out} exists: --force to replace it`);
    }
    const namespace = args.namespace ?? projectName(out ? path.dirname(out) : dir);
    const result = await importPackerVarFiles(readVarFiles(args.files, io.cwd), {
      builds: args.builds.map((b) => ({ key: b.key, files: readVarFiles([b.file], io.cwd) })),
      buildKey: args.buildKey,
    });
    const text = renderStackFile(result, {
      namespace,
      writtenBy: io.command ?? "npm run import-packer",
    });
    if (out) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, text);
    } else io.stdout(text);
    const problems = checkImportedConfig(result.config, {
      cwd: out ? path.dirname(out) : dir,
      env: io.env,
      namespace,
    });
    io.stderr(
      importReport(
        result,
        out,
        problems.length ? formatProblems(problems, namespace ?? "slurm-image-builder") : undefined,
      ),
    );
    return 0;
  } catch (err) {
    io.stderr(`import-packer: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The summary on stderr: counts, what was not imported, notes, what the program still needs. */
export function importReport(result: PackerImport, out?: string, stillNeeded?: string): string {
  const keys = Object.keys(result.origins).length;
  const lines = [
    `${out ? `wrote ${out}` : "stack file above"}: ${keys} settings for ${result.builds.length} build(s) (${result.builds.map((b) => b.key).join(", ")})`,
  ];
  if (result.unsupported.length) {
    lines.push(`not imported (${result.unsupported.length}):`);
    for (const u of result.unsupported) lines.push(`  - ${u.variable} (${u.file}): ${u.reason}`);
  }
  if (result.notes.length) {
    lines.push("notes:");
    for (const n of result.notes) lines.push(`  - ${n}`);
  }
  if (stillNeeded) {
    lines.push(
      "before `pulumi preview`, the program would say:",
      ...stillNeeded.split("\n").map((l) => `  ${l}`),
    );
  } else lines.push("the program accepts this config as it is.");
  return `${lines.join("\n")}\n`;
}
