import { createHash, scryptSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Digest of the appliance files that Ansible reads, split by area so a diff can say where. */
export interface ApplianceDigest {
  /** One digest over every file. */
  digest: string;
  /** Area (e.g. `ansible`, `environments/site`) → digest of the files under it. */
  areas: Record<string, string>;
  /**
   * Area → file (relative to the area) → short digest: what a preview diff and
   * `npm run plan` count ("3 changed under environments/site").
   */
  files: Record<string, Record<string, string>>;
  fileCount: number;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * Files under `paths` that belong to the appliance: in a git checkout, the
 * tracked files plus untracked ones that are not ignored (Ansible reads those
 * too); elsewhere, every file but `.git`. Sorted, relative to `repoRoot`.
 */
export function applianceFiles(
  repoRoot: string,
  paths: string[],
  exclude: string[] = [],
): string[] {
  const inRepo = paths.filter((p) => !path.relative(repoRoot, p).startsWith(".."));
  const outside = paths.filter((p) => path.relative(repoRoot, p).startsWith(".."));
  let files: string[];
  try {
    const out = execFileSync(
      "git",
      [
        "-C",
        repoRoot,
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        ...inRepo,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 },
    );
    files = out.split("\0").filter((f) => f !== "");
  } catch {
    files = inRepo.flatMap((p) => walk(p)).map((abs) => path.relative(repoRoot, abs));
  }
  files.push(...outside.flatMap((p) => walk(p)).map((abs) => path.relative(repoRoot, abs)));
  const excluded = exclude.map((p) => path.relative(repoRoot, p));
  const isExcluded = (f: string) => excluded.some((e) => f === e || f.startsWith(`${e}/`));
  // Deleted-but-still-tracked files are not read by Ansible.
  return [...new Set(files)]
    .filter((f) => !isExcluded(f) && fs.existsSync(path.join(repoRoot, f)))
    .sort();
}

function walk(root: string): string[] {
  const stat = fs.lstatSync(root, { throwIfNoEntry: false });
  if (!stat) return [];
  if (!stat.isDirectory()) return [root];
  return fs
    .readdirSync(root)
    .filter((name) => name !== ".git")
    .flatMap((name) => walk(path.join(root, name)));
}

/** `environments/<name>` counts as its own area; anything else by its first path segment. */
export function areaOf(relativeFile: string): string {
  const parts = relativeFile.split("/");
  if (parts[0] === "environments" && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  if (parts[0] === "..") return "outside-repo";
  return parts.length > 1 ? parts[0] : relativeFile;
}

export function applianceDigest(
  repoRoot: string,
  paths: string[],
  exclude: string[] = [],
): ApplianceDigest {
  const files = applianceFiles(repoRoot, paths, exclude);
  const perArea = new Map<string, ReturnType<typeof createHash>>();
  const perFile: Record<string, Record<string, string>> = {};
  const all = createHash("sha256");
  for (const file of files) {
    const abs = path.join(repoRoot, file);
    const stat = fs.lstatSync(abs);
    // Content, executable bit and symlink targets all change what Ansible does.
    const content = stat.isSymbolicLink()
      ? `symlink:${fs.readlinkSync(abs)}`
      : sha256(fs.readFileSync(abs)) + (stat.mode & 0o111 ? ":x" : "");
    const line = `${file}\0${content}\n`;
    all.update(line);
    const area = areaOf(file);
    if (!perArea.has(area)) perArea.set(area, createHash("sha256"));
    perArea.get(area)!.update(line);
    const inArea = area === file ? path.basename(file) : path.relative(area, file);
    (perFile[area] ??= {})[inArea] = sha256(line).slice(0, 12);
  }
  const areas: Record<string, string> = {};
  for (const [area, hash] of [...perArea.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    areas[area] = hash.digest("hex").slice(0, 16);
  }
  const filesByArea = Object.fromEntries(Object.keys(areas).map((a) => [a, perFile[a]]));
  return { digest: all.digest("hex"), areas, files: filesByArea, fileCount: files.length };
}

/** Everything that decides an image's content; a change to any of it means a rebuild. */
export interface ContentInputs {
  sourceImageId: string;
  inventoryGroups: string[];
  volumeSize: number;
  diskFormat: string;
  extraVars: Record<string, unknown>;
  /** Digest of the extra vars file, if any. */
  extraVarsFileDigest?: string;
  /** Per secret extraVars entry, a slow salted digest of its value (secretValueDigest). */
  secretExtraVars?: Record<string, string>;
  applianceDigest: string;
}

/**
 * A digest of a secret config value that may be stored in plain (triggers,
 * the fingerprint): scrypt, salted per stack, build and name, so a change
 * shows and rebuilds while guessing the value from it stays expensive.
 */
export function secretValueDigest(value: unknown, salt: string): string {
  return scryptSync(canonicalJson(value), `slurm-image-builder/${salt}`, 16, {
    N: 2 ** 15,
    r: 8,
    p: 1,
    maxmem: 64 * 2 ** 20,
  }).toString("hex");
}

/** Canonical JSON: object keys sorted, so equal inputs give equal fingerprints. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A build's identity. Group order does not change what Ansible does, so it is ignored. */
export function buildFingerprint(inputs: ContentInputs): string {
  const normalised = { ...inputs, inventoryGroups: [...inputs.inventoryGroups].sort() };
  return sha256(canonicalJson(normalised)).slice(0, 32);
}

export function fileDigest(file: string): string {
  return sha256(fs.readFileSync(file)).slice(0, 16);
}
