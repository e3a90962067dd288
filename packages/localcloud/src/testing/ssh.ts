// ssh into localcloud's servers with a key made at test time (system client, asynchronous:
// never block the event loop that runs an in-process localcloud).
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

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
