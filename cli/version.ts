import * as fs from "node:fs";
import * as path from "node:path";
import { PACKAGE_NAME } from "../lib/site";

/**
 * This package's version: from its package.json, the nearest one above this
 * file named slurm-image-builder (the checkout's, or the installed package's
 * beside dist/).
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir)
      throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
  }
}
