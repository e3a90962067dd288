// Helpers for localcloud tests: prerequisites, the `openstack` CLI, ssh with a key made at test time.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { toolPath } from "../../lib/tools";

const run = promisify(execFile);

/** Why localcloud's real servers cannot run here, or undefined when they can. */
export function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return "localcloud servers need root (namespaces, chroot)";
  for (const tool of ["unshare", "chroot", "debootstrap", "ssh", "ssh-keygen", "tar"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

const OSC_VERSION = "10.5.0";

/**
 * The `openstack` CLI: $LOCALCLOUD_OPENSTACK_CLI, lib/tools.ts's toolPath("openstack"), the tools venv
 * (~/.cache/slurm-image-builder/tools/<version>/venv), `openstack` on PATH,
 * or else a venv made here with pip (python-openstackclient pinned).
 */
export async function openstackCli(): Promise<string> {
  if (process.env.LOCALCLOUD_OPENSTACK_CLI) return process.env.LOCALCLOUD_OPENSTACK_CLI;
  try {
    const p = toolPath("openstack");
    if (existsSync(p)) return p;
  } catch {
    // tools/versions.json or package-lock.json unreadable: fall back below
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

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export interface TestKey {
  dir: string;
  privateKey: string;
  publicKey: string;
  cleanup(): void;
}

export function makeKey(): TestKey {
  const dir = mkdtempSync(join(tmpdir(), "localcloud-key-"));
  const privateKey = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-C",
    "localcloud-test",
    "-f",
    privateKey,
  ]);
  return {
    dir,
    privateKey,
    publicKey: readFileSync(`${privateKey}.pub`, "utf8").trim(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a command over ssh (system client, no host key checks); returns stdout. */
export async function ssh(
  key: TestKey,
  user: string,
  host: string,
  command: string,
): Promise<string> {
  const { stdout } = await run("ssh", [
    "-i",
    key.privateKey,
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
    `${user}@${host}`,
    command,
  ]);
  return stdout;
}

/** Processes and mounts left behind that mention `dir`. */
export function leftovers(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n"))
    if (line.includes(dir)) out.push(`mount: ${line}`);
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(dir) && Number(pid) !== process.pid) out.push(`process ${pid}: ${cmd}`);
    } catch {
      // exited
    }
  }
  return out;
}

/** TCP listeners left on localcloud's server addresses (127.N.x.y). */
export function listeners(octet: number): string[] {
  const out = execFileSync("ss", ["-Hltn"], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(`127.${octet}.`))
    .map((l) => `listener: ${l.trim()}`);
}
