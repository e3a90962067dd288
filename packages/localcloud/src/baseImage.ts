// The default source image: Debian bookworm (minbase + openssh-server, python3,
// sudo) built with debootstrap from the Debian mirror configured in this machine's
// apt sources, archived once and cached outside the clone.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { compression } from "./diskStore";

export const BASE_IMAGE_NAME = "debian-12-localcloud";
const SUITE = "bookworm";
const PACKAGES = ["openssh-server", "python3", "sudo", "iproute2", "procps"];
/** Bump when the recipe below changes, so caches are rebuilt. */
const RECIPE_VERSION = 1;

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(base, "slurm-image-builder", "localcloud");
}

/** The Debian mirror (URI) of the bookworm suite in the apt sources, never a hard-coded host. */
export function debianMirror(
  sourcesDir = "/etc/apt/sources.list.d",
  listFile = "/etc/apt/sources.list",
): string {
  const candidates: string[] = [];
  if (existsSync(sourcesDir)) {
    for (const f of readdirSync(sourcesDir).sort()) {
      const text = readFileSync(join(sourcesDir, f), "utf8");
      if (f.endsWith(".sources")) {
        for (const stanza of text.split(/\n\s*\n/)) {
          const field = (name: string) =>
            stanza
              .match(new RegExp(`^${name}:\\s*(.+)$`, "mi"))?.[1]
              .trim()
              .split(/\s+/) ?? [];
          if (!field("Types").includes("deb")) continue;
          if (!field("Suites").includes(SUITE)) continue;
          candidates.push(...field("URIs"));
        }
      } else if (f.endsWith(".list")) {
        candidates.push(...listUris(text));
      }
    }
  }
  if (existsSync(listFile)) candidates.push(...listUris(readFileSync(listFile, "utf8")));
  const uri = candidates.find((u) => /^https?:/.test(u));
  if (!uri) throw new Error(`no Debian ${SUITE} mirror found in ${sourcesDir} or ${listFile}`);
  return uri;
}

function listUris(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = line.trim().match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
    if (m && m[2] === SUITE) out.push(m[1]);
  }
  return out;
}

function recipeKey(): string {
  return createHash("sha256")
    .update(JSON.stringify({ SUITE, PACKAGES, RECIPE_VERSION }))
    .digest("hex")
    .slice(0, 12);
}

export function baseImageArchive(cacheDir = defaultCacheDir()): string {
  return join(cacheDir, `${BASE_IMAGE_NAME}-${recipeKey()}.${compression.ext}`);
}

/**
 * Returns the cached base image archive, building it first when missing
 * (about a minute: debootstrap, then tar). Concurrent callers wait on a lock.
 */
export async function ensureBaseImage(
  cacheDir = defaultCacheDir(),
  progress: (line: string) => void = () => {},
): Promise<string> {
  const archive = baseImageArchive(cacheDir);
  if (existsSync(archive)) return archive;
  mkdirSync(cacheDir, { recursive: true });
  const lock = `${archive}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch {
      const owner = Number(readSafe(join(lock, "pid")));
      if (owner && !alive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      progress("waiting for another process building the base image");
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(archive)) return archive;
    }
  }
  const root = join(cacheDir, `build-${process.pid}`);
  try {
    if (existsSync(archive)) return archive;
    rmSync(root, { recursive: true, force: true });
    const mirror = debianMirror();
    progress(
      `building ${BASE_IMAGE_NAME} with debootstrap (${SUITE}, minbase + ${PACKAGES.join(", ")}) into ${root}`,
    );
    await runLogged(
      "debootstrap",
      ["--variant=minbase", `--include=${PACKAGES.join(",")}`, SUITE, root, mirror],
      progress,
    );
    // What cloud images do: no host keys (made on first boot), no apt lists, no hostname.
    for (const f of readdirSync(join(root, "etc/ssh")))
      if (f.startsWith("ssh_host_")) rmSync(join(root, "etc/ssh", f));
    rmSync(join(root, "var/lib/apt/lists"), { recursive: true, force: true });
    mkdirSync(join(root, "var/lib/apt/lists/partial"), { recursive: true });
    for (const f of readdirSync(join(root, "var/cache/apt")))
      if (f.endsWith(".bin")) rmSync(join(root, "var/cache/apt", f));
    writeFileSync(join(root, "etc/hostname"), "localhost\n");
    writeFileSync(join(root, "etc/machine-id"), "");
    writeFileSync(
      join(root, "etc/localcloud-image"),
      `name=${BASE_IMAGE_NAME}\nsuite=${SUITE}\npackages=${PACKAGES.join(",")}\nbuilt=${new Date().toISOString()}\n`,
    );
    progress("archiving the base image");
    const tmp = `${archive}.tmp-${process.pid}`;
    await runLogged(
      "tar",
      [compression.flag, "--numeric-owner", "--xattrs", "--acls", "-cf", tmp, "-C", root, "."],
      progress,
    );
    await runLogged("mv", [tmp, archive], progress);
    progress(`base image ready: ${archive}`);
    return archive;
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runLogged(cmd: string, args: string[], progress: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split("\n"))
        if (
          line.startsWith("I: Retriev") ||
          line.startsWith("I: Install") ||
          line.startsWith("I: Base")
        )
          progress(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${tail}`)),
    );
  });
}
