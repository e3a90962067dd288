// Image data and volume trees on disk: images are archives of a root filesystem
// (tar, zstd or gzip compressed), volumes are directories holding that tree.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { rm, rename } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** tar's compression: zstd when the zstd program is installed, else gzip. */
export const compression: { flag: string; ext: string } = (() => {
  try {
    execFileSync("sh", ["-c", "command -v zstd"], { stdio: "ignore" });
    return { flag: "--zstd", ext: "tar.zst" };
  } catch {
    return { flag: "--gzip", ext: "tar.gz" };
  }
})();

export class DiskStore {
  constructor(readonly dir: string) {
    for (const d of ["images", "volumes", "tmp"]) mkdirSync(join(dir, d), { recursive: true });
  }

  imageFile(id: string): string {
    return join(this.dir, "images", `${id}.data`);
  }

  volumeRoot(id: string): string {
    return join(this.dir, "volumes", id, "root");
  }

  tmpPath(name: string): string {
    return join(this.dir, "tmp", name);
  }

  hasImageData(id: string): boolean {
    return existsSync(this.imageFile(id));
  }

  /** Archives a volume's tree into the image's data file; returns size and hashes. */
  async archiveVolume(volumeId: string, imageId: string): Promise<ImageDataInfo> {
    const tmp = this.tmpPath(`${imageId}.${compression.ext}`);
    await run(
      "tar",
      [
        compression.flag,
        "--numeric-owner",
        "--xattrs",
        "--acls",
        "-cf",
        tmp,
        "-C",
        this.volumeRoot(volumeId),
        ".",
      ],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    await rename(tmp, this.imageFile(imageId));
    return describe(this.imageFile(imageId));
  }

  /** Makes a volume's tree from an image archive (any compression tar detects). */
  async volumeFromImage(imageId: string, volumeId: string): Promise<void> {
    const root = this.volumeRoot(volumeId);
    mkdirSync(root, { recursive: true });
    await run(
      "tar",
      ["--numeric-owner", "--xattrs", "--acls", "-xf", this.imageFile(imageId), "-C", root],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  }

  /** An empty volume (no image): just a directory. */
  blankVolume(volumeId: string): void {
    mkdirSync(this.volumeRoot(volumeId), { recursive: true });
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await rm(join(this.dir, "volumes", volumeId), { recursive: true, force: true });
  }

  async deleteImage(imageId: string): Promise<void> {
    await rm(this.imageFile(imageId), { force: true });
  }
}

export interface ImageDataInfo {
  size: number;
  checksum: string;
  os_hash_algo: string;
  os_hash_value: string;
}

/** md5 checksum and sha512 multihash, as Glance records them. */
export async function describe(file: string): Promise<ImageDataInfo> {
  const md5 = createHash("md5");
  const sha = createHash("sha512");
  for await (const chunk of createReadStream(file)) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
  }
  return {
    size: statSync(file).size,
    checksum: md5.digest("hex"),
    os_hash_algo: "sha512",
    os_hash_value: sha.digest("hex"),
  };
}
