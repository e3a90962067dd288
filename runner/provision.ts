/**
 * The Ansible step of one build, run by the build stack's `@pulumi/command`
 * resource: wait for SSH, run the appliance's fatimage.yml, clean up.
 *
 * Its stdout is stored in the build stack's state and relayed as progress,
 * so it stays short whatever Ansible prints: milestones, a progress line at
 * growing intervals, and the result line (ProvisionResult) last. Ansible's
 * whole output goes to the build's log file.
 */
import * as fs from "node:fs";
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
import { ansibleFailure, AnsibleProgress } from "../lib/ansible/output";
import {
  capText,
  ENV,
  formatProvisionResult,
  progressDue,
  sayTo,
  type ProvisionSpec,
  type Window,
} from "../lib/protocol";

const say = sayTo(process.stdout);

/** execa is ESM-only; this runner is CommonJS, so it is loaded on first use. */
async function loadExeca(): Promise<typeof import("execa")> {
  return import("execa");
}

async function waitForSsh(
  conn: BuilderConnection,
  timeoutMinutes: number,
  builderFailedFile?: string,
): Promise<Window> {
  const started = Date.now();
  const deadline = started + timeoutMinutes * 60_000;
  let attempts = 0;
  let lastError = "";
  let lastReport = started;
  say(`waiting for SSH on ${conn.user}@${conn.address} (timeout ${timeoutMinutes} min)`);
  for (;;) {
    const failed = builderFailedFile && readIfThere(builderFailedFile);
    if (failed) throw new Error(`stopped waiting for SSH: ${failed}`);
    attempts++;
    const [file, ...args] = sshArgv(conn, "true");
    const { execa } = await loadExeca();
    const result = await execa(file, args, { reject: false, timeout: 30_000, stdin: "ignore" });
    if (result.exitCode === 0) {
      say(`SSH is up after ${Math.round((Date.now() - started) / 1000)} s (${attempts} attempts)`);
      return { start: started, end: Date.now() };
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
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8").trim() || "the builder failed";
  } catch {
    return undefined;
  }
}

/** Secret extraVars from the environment, merged over the plain ones. */
function extraVarsOf(spec: ProvisionSpec): Record<string, unknown> {
  const secret = process.env[ENV.secretExtraVars];
  return secret
    ? { ...spec.extraVars, ...(JSON.parse(secret) as Record<string, unknown>) }
    : spec.extraVars;
}

/** Lines of Ansible output kept in memory for the failure summary; each at most 1 MiB. */
const KEPT_LINES = 400;
const KEPT_LINE_LENGTH = 2 ** 20;

/** `setpriv --pdeathsig TERM -- argv` where util-linux's setpriv is there; argv otherwise. */
function withParentDeathSignal(argv: string[]): [string, string[]] {
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));
  return setpriv ? [setpriv, ["--pdeathsig", "TERM", "--", ...argv]] : [argv[0], argv.slice(1)];
}

async function runPlaybook(
  spec: ProvisionSpec,
  work: string,
  conn: BuilderConnection,
): Promise<{ window: Window; tasks: number }> {
  const inventoryFile = path.join(work, "builder-inventory.yml");
  fs.writeFileSync(inventoryFile, builderInventory(conn, spec.inventoryGroups));
  const extraVars = extraVarsOf(spec);
  let generatedExtraVarsFile: string | undefined;
  if (Object.keys(extraVars).length) {
    generatedExtraVarsFile = path.join(work, "extravars.yml");
    fs.writeFileSync(generatedExtraVarsFile, stringify(extraVars), { mode: 0o600 });
  }
  let vaultPasswordFile = spec.vaultPasswordFile;
  if (process.env[ENV.vaultPassword]) {
    vaultPasswordFile = path.join(work, "vault-password");
    fs.writeFileSync(vaultPasswordFile, process.env[ENV.vaultPassword]!, { mode: 0o600 });
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
  const progress = new AnsibleProgress();
  const started = Date.now();
  // The first progress line comes with Ansible's first task, then at growing intervals.
  let lastReport = 0;
  let reports = 0;
  const { execa } = await loadExeca();
  // ansible-playbook (and its ssh) must not outlive this step when the
  // command plugin kills it (SIGKILL, on a cancelled update): the kernel
  // sends it SIGTERM when this process dies.
  const [file, args] = withParentDeathSignal(argv);
  const child = execa(file, args, {
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
  const keep = (line: string) => {
    lines.push(line.length > KEPT_LINE_LENGTH ? line.slice(0, KEPT_LINE_LENGTH) : line);
    if (lines.length > KEPT_LINES) lines.shift();
  };
  let partial = "";
  child.all?.on("data", (chunk: Buffer) => {
    log.write(chunk);
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      keep(line);
      progress.read(line);
    }
    if (progress.tasks > 0 && progressDue(Date.now() - lastReport, reports)) {
      lastReport = Date.now();
      reports++;
      say(progress.summary(Date.now() - started));
    }
  });
  const result = await child;
  if (partial) keep(partial);
  await new Promise<void>((resolve) => log.end(resolve));
  if (result.exitCode !== 0) {
    const failure = ansibleFailure(lines) ?? "(no failed task in its output)";
    throw new Error(
      capText(
        `Ansible failed (exit ${result.exitCode}) for build ${spec.buildKey} after ${progress.tasks} tasks:\n${failure}\nfull Ansible output: ${spec.logFile}`,
        spec.logFile,
      ),
    );
  }
  say(
    `Ansible finished for build ${spec.buildKey}: ${progress.tasks} tasks in ${Math.round((Date.now() - started) / 1000)} s`,
  );
  return { window: { start: started, end: Date.now() }, tasks: progress.tasks };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[ENV.provisionSpec] ?? "null") as ProvisionSpec | null;
  const privateKey = process.env[ENV.builderPrivateKey];
  if (!spec || !privateKey)
    throw new Error(`${ENV.provisionSpec} and ${ENV.builderPrivateKey} must be set`);

  // Secrets live in a private directory for the length of the run only. It
  // has a known place: if this process is killed, the next run removes it.
  const work = spec.workDir;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
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
    const sshWait = await waitForSsh(conn, spec.sshTimeoutMinutes, spec.builderFailedFile);
    const ansible = await runPlaybook(spec, work, conn);
    process.stdout.write(
      `${formatProvisionResult({ sshWait, ansible: ansible.window, tasks: ansible.tasks })}\n`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${capText(err instanceof Error ? err.message : String(err))}\n`);
  process.exitCode = 1;
});
