/**
 * The Ansible step of one build, run by the build stack's `@pulumi/command`
 * resource: wait for SSH, run the appliance's fatimage.yml, clean up. Prints
 * short progress lines; the full Ansible output goes to the build's log file.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { environmentInventories } from "../lib/ansible/ansibleCfg";
import {
  builderInventory,
  playbookArgv,
  playbookEnv,
  sshArgv,
  type BuilderConnection,
} from "../lib/ansible/command";
import { isProgressLine, tail } from "../lib/ansible/output";
import type { ProvisionSpec } from "./provisionSpec";

function say(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** execa is ESM-only; this runner is CommonJS, so it is loaded on first use. */
async function loadExeca(): Promise<typeof import("execa")> {
  return import("execa");
}

async function waitForSsh(conn: BuilderConnection, timeoutMinutes: number): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMinutes * 60_000;
  let attempts = 0;
  let lastError = "";
  let lastReport = started;
  say(`waiting for SSH on ${conn.user}@${conn.address} (timeout ${timeoutMinutes} min)`);
  for (;;) {
    attempts++;
    const [file, ...args] = sshArgv(conn, "true");
    const { execa } = await loadExeca();
    const result = await execa(file, args, { reject: false, timeout: 30_000, stdin: "ignore" });
    if (result.exitCode === 0) {
      process.stdout.write(`SSH_WAIT=${started}-${Date.now()}\n`);
      say(`SSH is up after ${Math.round((Date.now() - started) / 1000)} s (${attempts} attempts)`);
      return;
    }
    lastError =
      (result.stderr || result.stdout || `exit ${result.exitCode}`).trim().split("\n").pop() ?? "";
    if (Date.now() > deadline) {
      throw new Error(
        `SSH to ${conn.user}@${conn.address} did not come up within ${timeoutMinutes} min (sshTimeoutMinutes); last error: ${lastError}`,
      );
    }
    if (Date.now() - lastReport > 30_000) {
      lastReport = Date.now();
      say(`still waiting for SSH (${Math.round((Date.now() - started) / 1000)} s): ${lastError}`);
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.PROVISION_SPEC ?? "null") as ProvisionSpec | null;
  const privateKey = process.env.BUILDER_SSH_PRIVATE_KEY;
  if (!spec || !privateKey)
    throw new Error("PROVISION_SPEC and BUILDER_SSH_PRIVATE_KEY must be set");

  // Secrets live in a private temporary directory for the length of the run only.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `image-build-${spec.buildKey}-`));
  fs.chmodSync(work, 0o700);
  try {
    const keyFile = path.join(work, "builder_key");
    fs.writeFileSync(keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, {
      mode: 0o600,
    });
    const conn: BuilderConnection = {
      host: spec.hostName,
      address: spec.address,
      user: spec.sshUser,
      privateKeyFile: keyFile,
      bastion: spec.bastion,
    };
    await waitForSsh(conn, spec.sshTimeoutMinutes);

    const inventoryFile = path.join(work, "builder-inventory.yml");
    fs.writeFileSync(inventoryFile, builderInventory(conn, spec.inventoryGroups));
    let generatedExtraVarsFile: string | undefined;
    if (Object.keys(spec.extraVars).length) {
      generatedExtraVarsFile = path.join(work, "extravars.yml");
      fs.writeFileSync(generatedExtraVarsFile, stringify(spec.extraVars), { mode: 0o600 });
    }
    let vaultPasswordFile = spec.vaultPasswordFile;
    if (process.env.ANSIBLE_VAULT_PASSWORD) {
      vaultPasswordFile = path.join(work, "vault-password");
      fs.writeFileSync(vaultPasswordFile, process.env.ANSIBLE_VAULT_PASSWORD, { mode: 0o600 });
    }
    const argv = playbookArgv({
      repoRoot: spec.repoRoot,
      environmentRoot: spec.environmentRoot,
      environmentInventories: environmentInventories(spec.repoRoot, spec.environmentRoot),
      builderInventoryFile: inventoryFile,
      extraVarsFile: spec.extraVarsFile,
      generatedExtraVarsFile,
      verbosity: spec.verbosity,
      vaultPasswordFile,
    });
    say(
      `running ${argv.slice(0, 4).join(" ")} (groups: ${["builder", ...spec.inventoryGroups].join(", ")})`,
    );
    say(`full Ansible output: ${spec.logFile}`);
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = fs.createWriteStream(spec.logFile, { flags: "a" });
    log.write(`$ ${argv.join(" ")}\n`);

    const lines: string[] = [];
    const ansibleStarted = Date.now();
    const { execa } = await loadExeca();
    const child = execa(argv[0], argv.slice(1), {
      cwd: spec.repoRoot,
      env: {
        ...playbookEnv(spec.repoRoot, spec.environmentRoot),
        ANSIBLE_FORCE_COLOR: "0",
        PYTHONUNBUFFERED: "1",
      },
      reject: false,
      all: true,
      stdin: "ignore",
      lines: false,
    });
    let partial = "";
    child.all?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString("utf8");
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 400) lines.shift();
        if (isProgressLine(line)) say(line.trim());
      }
    });
    const result = await child;
    if (partial) lines.push(partial);
    await new Promise<void>((resolve) => log.end(resolve));
    if (result.exitCode !== 0) {
      process.stderr.write(
        `\nAnsible failed (exit ${result.exitCode}) for build ${spec.buildKey}; last lines:\n`,
      );
      process.stderr.write(tail(lines, 40).join("\n") + "\n");
      process.exitCode = 2;
      return;
    }
    // Absolute times, so a caller can tell whether two builds' Ansible runs overlapped.
    process.stdout.write(`ANSIBLE_WINDOW=${ansibleStarted}-${Date.now()}\n`);
    say(
      `Ansible finished for build ${spec.buildKey} in ${Math.round((Date.now() - ansibleStarted) / 1000)} s`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
