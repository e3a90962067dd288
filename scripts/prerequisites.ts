/**
 * What `npm run demo` needs from this machine before it builds anything:
 * root, namespaces (localcloud's servers are chroots in mount/PID/UTS
 * namespaces), and the commands of localcloud and of the tools' build. What
 * is missing, and how to get it on this distribution, is decided here from
 * plain facts (`planPrerequisites`); `probeHost` gathers them and
 * `ensurePrerequisites` installs Debian packages when it can (root + apt).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** A command (or file) the demo needs, and the package that brings it per distribution family. */
export interface Requirement {
  /** What it is for, in a few words. */
  what: string;
  /** Command on PATH, or an absolute file. */
  command: string;
  debian: string;
  rhel: string;
}

export const REQUIREMENTS: Requirement[] = [
  {
    what: "localcloud's base image",
    command: "debootstrap",
    debian: "debootstrap",
    rhel: "debootstrap",
  },
  {
    what: "localcloud's servers",
    command: "sshd",
    debian: "openssh-server",
    rhel: "openssh-server",
  },
  { what: "SSH to the builder", command: "ssh", debian: "openssh-client", rhel: "openssh-clients" },
  {
    what: "localcloud's keypairs",
    command: "ssh-keygen",
    debian: "openssh-client",
    rhel: "openssh-clients",
  },
  { what: "localcloud's addresses", command: "ip", debian: "iproute2", rhel: "iproute" },
  { what: "localcloud's images", command: "tar", debian: "tar", rhel: "tar" },
  { what: "localcloud's namespaces", command: "unshare", debian: "util-linux", rhel: "util-linux" },
  { what: "localcloud's servers", command: "chroot", debian: "coreutils", rhel: "coreutils" },
  { what: "localcloud's TLS certificates", command: "openssl", debian: "openssl", rhel: "openssl" },
  { what: "the appliance's fingerprint", command: "git", debian: "git", rhel: "git" },
  {
    what: "the tools' Python venv",
    command: "python3 -m venv",
    debian: "python3-venv",
    rhel: "python3",
  },
];

/** What the probe found. */
export interface HostFacts {
  platform: NodeJS.Platform;
  root: boolean;
  /** /etc/os-release: ID, ID_LIKE, PRETTY_NAME. */
  os: { id?: string; idLike?: string[]; name?: string };
  /** Commands (REQUIREMENTS[].command) that are not there. */
  missingCommands: string[];
  /** Why `unshare --mount --pid --uts --fork` fails, when it does (only probed as root). */
  namespaceError?: string;
  hasApt: boolean;
}

export type PrerequisitePlan =
  | { kind: "ok" }
  /** Root and apt: install these Debian packages, then probe again. */
  | { kind: "install"; packages: string[]; command: string[] }
  /** Nothing to do here: the message says exactly what the user does. */
  | { kind: "fail"; message: string };

export type Family = "debian" | "rhel" | "other";

export function familyOf(os: HostFacts["os"]): Family {
  const ids = [os.id ?? "", ...(os.idLike ?? [])];
  if (ids.some((i) => ["debian", "ubuntu"].includes(i))) return "debian";
  if (ids.some((i) => ["rhel", "fedora", "centos", "rocky", "almalinux"].includes(i)))
    return "rhel";
  return "other";
}

/** The packages that bring the missing commands on this family, without repeats, in table order. */
export function packagesFor(missing: string[], family: Family): string[] {
  const reqs = REQUIREMENTS.filter((r) => missing.includes(r.command));
  return [...new Set(reqs.map((r) => (family === "rhel" ? r.rhel : r.debian)))];
}

const PLATFORMS =
  "npm run demo runs on Linux as root: Debian 12/13 or Ubuntu 22.04/24.04 (packages installed for you), " +
  "or another distribution with the commands above (Rocky/RHEL 9: see README, Platforms)";

export function planPrerequisites(facts: HostFacts): PrerequisitePlan {
  if (facts.platform !== "linux")
    return {
      kind: "fail",
      message: `npm run demo needs Linux (localcloud's servers are chroots in Linux namespaces); this is ${facts.platform}. Run it in a Debian VM or container, or use the program on a real cloud (README, Platforms)`,
    };
  if (!facts.root)
    return {
      kind: "fail",
      message:
        "npm run demo needs root: localcloud's servers are chroots in mount/PID/UTS namespaces. " +
        `Run it as root (sudo -E npm run demo)${facts.missingCommands.length ? `; missing too: ${missingList(facts)}` : ""}`,
    };
  const family = familyOf(facts.os);
  const packages = packagesFor(facts.missingCommands, family);
  if (packages.length > 0) {
    if (family === "debian" && facts.hasApt)
      return {
        kind: "install",
        packages,
        command: ["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...packages],
      };
    const name = facts.os.name ?? facts.os.id ?? "this distribution";
    const how =
      family === "rhel"
        ? `dnf install -y epel-release && dnf install -y ${packages.join(" ")}  (debootstrap is in EPEL)`
        : family === "debian"
          ? `apt-get install ${packages.join(" ")}`
          : `the packages of ${name} that provide: ${facts.missingCommands.join(", ")}`;
    return {
      kind: "fail",
      message: `npm run demo needs ${missingList(facts)}. On ${name} install them with: ${how}. ${PLATFORMS}`,
    };
  }
  if (facts.namespaceError)
    return {
      kind: "fail",
      message: `npm run demo needs mount/PID/UTS namespaces for localcloud's servers, and this machine refuses them (unshare: ${facts.namespaceError}). In a container, run it privileged (e.g. --privileged); else use a VM`,
    };
  return { kind: "ok" };
}

function missingList(facts: HostFacts): string {
  return facts.missingCommands
    .map((c) => `${c} (${REQUIREMENTS.find((r) => r.command === c)?.what ?? "?"})`)
    .join(", ");
}

function readOsRelease(): HostFacts["os"] {
  let text = "";
  try {
    text = fs.readFileSync("/etc/os-release", "utf8");
  } catch {
    return {};
  }
  const get = (key: string) =>
    new RegExp(`^${key}=("?)(.*)\\1$`, "m").exec(text)?.[2]?.trim() || undefined;
  return { id: get("ID"), idLike: get("ID_LIKE")?.split(/\s+/), name: get("PRETTY_NAME") };
}

function hasCommand(command: string): boolean {
  if (command === "python3 -m venv")
    return spawnSync("python3", ["-c", "import ensurepip, venv"], { stdio: "ignore" }).status === 0;
  // sshd lives in sbin, which a non-login PATH may lack.
  const where = `PATH="$PATH:/usr/sbin:/sbin"; command -v ${command}`;
  return spawnSync("sh", ["-c", where], { stdio: "ignore" }).status === 0;
}

export function probeHost(): HostFacts {
  const root = process.getuid?.() === 0;
  const missingCommands = [...new Set(REQUIREMENTS.map((r) => r.command))].filter(
    (c) => !hasCommand(c),
  );
  let namespaceError: string | undefined;
  if (root && !missingCommands.includes("unshare")) {
    const r = spawnSync(
      "unshare",
      ["--mount", "--pid", "--uts", "--fork", "--kill-child", "true"],
      {
        encoding: "utf8",
      },
    );
    if (r.status !== 0)
      namespaceError = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  }
  return {
    platform: process.platform,
    root,
    os: readOsRelease(),
    missingCommands,
    namespaceError,
    hasApt: hasCommand("apt-get"),
  };
}

/**
 * Checks the machine and, as root on Debian/Ubuntu, installs what is
 * missing; throws with what to do when it can't. Nothing is built before this.
 */
export function ensurePrerequisites(say: (line: string) => void, probe = probeHost): void {
  let plan = planPrerequisites(probe());
  if (plan.kind === "install") {
    say(`installing the missing Debian packages: ${plan.packages.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync(plan.command[0], plan.command.slice(1), { stdio: "inherit", env });
    plan = planPrerequisites(probe());
    if (plan.kind === "install")
      plan = {
        kind: "fail",
        message: `still missing after apt-get install: ${plan.packages.join(" ")}`,
      };
  }
  if (plan.kind === "fail") throw new Error(plan.message);
}
