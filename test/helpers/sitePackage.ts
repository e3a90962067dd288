/**
 * This repository as the npm package a site installs: `npm pack` once per
 * test run, then `npm ci --offline` of it into a site directory.
 *
 * Offline: the repository's `npm ci` put every dependency's tarball in npm's
 * cache (by integrity), but not the registry's metadata that `npm install
 * <tarball>` would resolve versions with. So the site gets the lock file
 * `npm install <tarball>` would have written (the package from the tarball,
 * its dependencies at the versions of this repository's lock file, which
 * `npm pack` ships as package.json ranges), and `npm ci --offline` installs
 * exactly that from the cache.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../../tools/paths";

let packed: string | undefined;

/** `npm pack` of this repository (its prepack builds dist/); the tarball's path. */
export function packThisRepository(): string {
  if (packed && fs.existsSync(packed)) return packed;
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "sib-pack-"));
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dest], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [{ filename }] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string }[];
  packed = path.join(dest, filename);
  return packed;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

/** The lock file `npm install <tarball>` gives the site: the package and its production dependencies. */
export function siteLockFile(
  siteDir: string,
  tarball: string,
  repoLock: { packages: Record<string, LockEntry> },
  pkg: Record<string, unknown>,
) {
  const site = JSON.parse(fs.readFileSync(path.join(siteDir, "package.json"), "utf8")) as {
    name: string;
  };
  const spec = `file:${path.relative(siteDir, tarball)}`;
  const integrity = `sha512-${createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
  const dependencies = Object.fromEntries(
    Object.entries(repoLock.packages).filter(
      ([at, e]) => at.startsWith("node_modules/") && !e.dev && !e.devOptional && !e.link,
    ),
  );
  return {
    name: site.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: site.name, dependencies: { [pkg.name as string]: spec } },
      [`node_modules/${pkg.name as string}`]: {
        version: pkg.version,
        resolved: spec,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
      ...dependencies,
    },
  };
}

/** Installs the tarball into the site directory as a site would, offline; returns npm's output. */
export function installIntoSite(siteDir: string, tarball: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const repoLock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8"));
  const sitePkgFile = path.join(siteDir, "package.json");
  const sitePkg = JSON.parse(fs.readFileSync(sitePkgFile, "utf8")) as {
    dependencies: Record<string, string>;
  };
  // What `npm install <tarball>` records in package.json.
  sitePkg.dependencies[pkg.name as string] = `file:${path.relative(siteDir, tarball)}`;
  fs.writeFileSync(sitePkgFile, `${JSON.stringify(sitePkg, null, 2)}\n`);
  fs.writeFileSync(
    path.join(siteDir, "package-lock.json"),
    `${JSON.stringify(siteLockFile(siteDir, tarball, repoLock, pkg), null, 2)}\n`,
  );
  return execFileSync(
    "npm",
    ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"],
    { cwd: siteDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
}
