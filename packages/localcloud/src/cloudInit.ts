// What cloud-init does on a server's first boot, done on its root tree before it
// starts: default user with the keypair's key and passwordless sudo, keys from
// #cloud-config user data, host name, host keys, metadata files.
import { execFile } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";

const run = promisify(execFile);

export interface FirstBootSpec {
  root: string;
  instanceId: string;
  hostname: string;
  defaultUser: string;
  publicKeys: string[];
  userData: string | null;
  metaData: Record<string, unknown>;
}

/** Host name as cloud-init/nova derive it from a server name. */
export function hostnameFor(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return h || "localhost";
}

interface CloudConfig {
  ssh_authorized_keys?: string[];
  hostname?: string;
}

export function parseCloudConfig(userData: string | null): CloudConfig {
  if (!userData || !userData.startsWith("#cloud-config")) return {};
  try {
    const doc = parseYaml(userData) as unknown;
    return doc && typeof doc === "object" ? (doc as CloudConfig) : {};
  } catch {
    return {};
  }
}

/** Runs the per-instance steps once per instance id; the per-boot ones every boot. Returns the host name. */
export async function firstBoot(spec: FirstBootSpec): Promise<string> {
  const { root } = spec;
  for (const d of ["dev", "proc", "sys", "run", "tmp"])
    mkdirSync(join(root, d), { recursive: true });
  const cfg = parseCloudConfig(spec.userData);
  const hostname = cfg.hostname ?? spec.hostname;
  const instDir = join(root, "var/lib/cloud/instances", spec.instanceId);
  const link = join(root, "var/lib/cloud/instance");
  mkdirSync(instDir, { recursive: true });
  rmSync(link, { force: true, recursive: true });
  symlinkSync(`/var/lib/cloud/instances/${spec.instanceId}`, link);
  writeFileSync(join(instDir, "meta_data.json"), JSON.stringify(spec.metaData, null, 2));
  if (spec.userData !== null)
    writeFileSync(join(instDir, "user-data.txt"), spec.userData, { mode: 0o600 });
  if (existsSync(join(instDir, "boot-finished"))) return hostname;

  // Host keys are per instance.
  await run("sh", ["-c", 'rm -f "$1"/etc/ssh/ssh_host_*', "sh", root]);
  await run("chroot", [root, "ssh-keygen", "-A"]);
  writeFileSync(join(root, "etc/hostname"), `${hostname}\n`);
  const hosts = join(root, "etc/hosts");
  const hostsText = existsSync(hosts) ? readFileSync(hosts, "utf8") : "127.0.0.1\tlocalhost\n";
  writeFileSync(
    hosts,
    hostsText
      .split("\n")
      .filter((l) => !l.startsWith("127.0.1.1"))
      .join("\n")
      .trimEnd() + `\n127.0.1.1\t${hostname}\n`,
  );

  const user = spec.defaultUser;
  const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
  if (!passwd.split("\n").some((l) => l.startsWith(`${user}:`))) {
    await run("chroot", [root, "useradd", "-m", "-s", "/bin/bash", "-c", "Cloud User", user]);
  }
  const entry = readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${user}:`))
    ?.split(":");
  if (!entry) throw new Error(`user ${user} missing after useradd`);
  const [uid, gid, home] = [Number(entry[2]), Number(entry[3]), entry[5]];
  mkdirSync(join(root, "etc/sudoers.d"), { recursive: true });
  writeFileSync(
    join(root, "etc/sudoers.d/90-cloud-init-users"),
    `# Created by localcloud (as cloud-init)\n${user} ALL=(ALL) NOPASSWD:ALL\n`,
    {
      mode: 0o440,
    },
  );
  const sshDir = join(root, home, ".ssh");
  mkdirSync(sshDir, { recursive: true });
  const keys = [...spec.publicKeys, ...(cfg.ssh_authorized_keys ?? [])]
    .map((k) => k.trim())
    .filter((k) => k);
  const authFile = join(sshDir, "authorized_keys");
  const existing = existsSync(authFile) ? readFileSync(authFile, "utf8") : "";
  for (const k of keys) if (!existing.includes(k)) appendFileSync(authFile, `${k}\n`);
  if (!existsSync(authFile)) writeFileSync(authFile, "");
  chmodSync(sshDir, 0o700);
  chmodSync(authFile, 0o600);
  chownSync(sshDir, uid, gid);
  chownSync(authFile, uid, gid);
  writeFileSync(join(instDir, "boot-finished"), `${new Date().toISOString()}\n`);
  return hostname;
}
