import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What the appliance's `activate` script exports: ANSIBLE_CONFIG is the
 * environment's own ansible.cfg when it has one, else the repository's.
 */
export function ansibleConfigPath(repoRoot: string, environmentRoot: string): string | undefined {
  for (const candidate of [
    path.join(environmentRoot, "ansible.cfg"),
    path.join(repoRoot, "ansible.cfg"),
  ]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The `inventory` list of an ansible.cfg `[defaults]` section, as absolute paths.
 * Ansible resolves relative entries against the directory of the cfg file.
 */
export function inventoriesFromAnsibleCfg(cfgText: string, cfgDir: string): string[] {
  let section = "";
  for (const rawLine of cfgText.split(/\r?\n/)) {
    const line = rawLine.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1].trim();
      continue;
    }
    const setting = /^inventory\s*[=:]\s*(.*)$/.exec(line);
    if (section === "defaults" && setting) {
      return setting[1]
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "")
        .map((entry) => path.resolve(cfgDir, entry));
    }
  }
  return [];
}

/** The inventories the active environment uses (what `ansible-inventory --list` would read). */
export function environmentInventories(repoRoot: string, environmentRoot: string): string[] {
  const cfg = ansibleConfigPath(repoRoot, environmentRoot);
  if (cfg) {
    const fromCfg = inventoriesFromAnsibleCfg(fs.readFileSync(cfg, "utf8"), path.dirname(cfg));
    if (fromCfg.length) return fromCfg;
  }
  const own = path.join(environmentRoot, "inventory");
  return fs.existsSync(own) ? [own] : [];
}
