// What a test needs from this machine to run real servers, and what a stopped cloud must not
// leave behind (processes, mounts, listeners).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

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
