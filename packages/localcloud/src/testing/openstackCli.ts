// The `openstack` CLI for tests against localcloud: where to find it, and a small runner.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const OSC_VERSION = "10.5.0";

/**
 * The `openstack` CLI: $LOCALCLOUD_OPENSTACK_CLI, else `preferred()` (the tools of the project
 * that uses localcloud, e.g. its `toolPath("openstack")`) when that file exists, else the tools
 * venv (~/.cache/slurm-image-builder/tools/<version>/venv), `openstack` on PATH, or else a venv
 * made here with pip (python-openstackclient pinned). An error thrown by `preferred` counts as
 * "not there".
 */
export async function openstackCli(preferred?: () => string): Promise<string> {
  if (process.env.LOCALCLOUD_OPENSTACK_CLI) return process.env.LOCALCLOUD_OPENSTACK_CLI;
  try {
    const p = preferred?.();
    if (p && existsSync(p)) return p;
  } catch {
    // the caller's tool lookup failed: fall back below
  }
  const cache = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
    "slurm-image-builder",
  );
  const toolsDir = join(cache, "tools");
  if (existsSync(toolsDir)) {
    for (const d of readdirSync(toolsDir).sort().reverse()) {
      const p = join(toolsDir, d, "venv", "bin", "openstack");
      if (existsSync(p)) return p;
    }
  }
  try {
    return execFileSync("sh", ["-c", "command -v openstack"], { encoding: "utf8" }).trim();
  } catch {
    // not on PATH
  }
  const venv = join(cache, "localcloud", `osc-${OSC_VERSION}`);
  const bin = join(venv, "bin", "openstack");
  if (!existsSync(bin)) {
    await run("python3", ["-m", "venv", venv]);
    await run(
      join(venv, "bin", "pip"),
      ["install", "-q", `python-openstackclient==${OSC_VERSION}`],
      { maxBuffer: 64 * 1024 * 1024 },
    );
  }
  return bin;
}

export class Osc {
  constructor(
    private bin: string,
    private env: Record<string, string>,
  ) {}

  /** Runs `openstack ARGS` against a cloud of the clouds.yaml; returns stdout. */
  async run(args: string[], cloud?: string): Promise<string> {
    const env = { ...process.env, ...this.env, ...(cloud ? { OS_CLOUD: cloud } : {}) };
    try {
      const { stdout } = await run(this.bin, args, { env, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`openstack ${args.join(" ")} failed: ${err.stderr ?? ""}${err.stdout ?? ""}`);
    }
  }

  /** Runs the CLI and returns its exit failure text (throws if it succeeded). */
  async fails(args: string[], cloud?: string): Promise<string> {
    try {
      await this.run(args, cloud);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`openstack ${args.join(" ")} succeeded unexpectedly`);
  }

  async json<T = Record<string, unknown>>(args: string[], cloud?: string): Promise<T> {
    return JSON.parse(await this.run([...args, "-f", "json"], cloud)) as T;
  }
}
