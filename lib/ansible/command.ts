import * as path from "node:path";
import { stringify } from "yaml";
import type { BastionSettings } from "../config/types";
import { ansibleConfigPath } from "./ansibleCfg";

/** Options every ssh connection to a builder uses: its host key is new each build. */
export const SSH_OPTIONS = [
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
];

/** `ProxyCommand` reaching the builder through a bastion (Packer's ssh_bastion_*). */
export function proxyCommand(bastion: BastionSettings): string {
  return [
    "ssh",
    "-W",
    "%h:%p",
    "-q",
    ...SSH_OPTIONS,
    "-o",
    "BatchMode=yes",
    "-p",
    String(bastion.port),
    "-i",
    bastion.privateKeyFile,
    `${bastion.username}@${bastion.host}`,
  ].join(" ");
}

export interface BuilderConnection {
  host: string;
  address: string;
  port?: number;
  user: string;
  privateKeyFile: string;
  bastion?: BastionSettings;
}

/** argv of an `ssh` that runs `command` on the builder (the SSH wait, and the debug hint). */
export function sshArgv(conn: BuilderConnection, command?: string): string[] {
  return [
    "ssh",
    ...SSH_OPTIONS,
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    ...(conn.bastion ? ["-o", `ProxyCommand=${proxyCommand(conn.bastion)}`] : []),
    "-p",
    String(conn.port ?? 22),
    "-i",
    conn.privateKeyFile,
    `${conn.user}@${conn.address}`,
    ...(command ? [command] : []),
  ];
}

/**
 * The inventory that puts the builder in `builder` and the build's groups,
 * with how to reach it. Connection settings are host vars (they are about this
 * host only); anything the appliance wants for builds stays in group vars.
 */
export function builderInventory(conn: BuilderConnection, groups: string[]): string {
  const hostVars: Record<string, unknown> = {
    ansible_host: conn.address,
    ansible_port: conn.port ?? 22,
    ansible_user: conn.user,
    ansible_ssh_private_key_file: conn.privateKeyFile,
  };
  if (conn.bastion) {
    // Only when a bastion is set: otherwise the environment's own proxy settings apply.
    hostVars.ansible_ssh_common_args = `-o ProxyCommand="${proxyCommand(conn.bastion)}"`;
  }
  const children: Record<string, unknown> = {
    builder: { hosts: { [conn.host]: hostVars } },
  };
  for (const group of groups) {
    if (group !== "builder") children[group] = { hosts: { [conn.host]: {} } };
  }
  return stringify({ all: { children } });
}

export interface PlaybookInputs {
  repoRoot: string;
  environmentRoot: string;
  /** The environment's inventories (from its ansible.cfg), then ours. */
  environmentInventories: string[];
  builderInventoryFile: string;
  /** Packer's fixed `packer/openhpc_extravars.yml`, when present. */
  extraVarsFile?: string;
  /** Our generated extra vars (config `extraVars`), when any. */
  generatedExtraVarsFile?: string;
  verbosity: number;
  vaultPasswordFile?: string;
}

export function playbookArgv(inputs: PlaybookInputs): string[] {
  const argv = [
    "ansible-playbook",
    path.join(inputs.repoRoot, "ansible", "fatimage.yml"),
    "--limit",
    "builder",
  ];
  for (const inventory of inputs.environmentInventories) argv.push("-i", inventory);
  argv.push("-i", inputs.builderInventoryFile);
  if (inputs.extraVarsFile) argv.push("-e", `@${inputs.extraVarsFile}`);
  if (inputs.generatedExtraVarsFile) argv.push("-e", `@${inputs.generatedExtraVarsFile}`);
  if (inputs.vaultPasswordFile) argv.push("--vault-password-file", inputs.vaultPasswordFile);
  if (inputs.verbosity > 0) argv.push(`-${"v".repeat(inputs.verbosity)}`);
  return argv;
}

/** The environment `activate` would have exported, plus non-interactive SSH. */
export function playbookEnv(repoRoot: string, environmentRoot: string): Record<string, string> {
  const env: Record<string, string> = {
    APPLIANCES_REPO_ROOT: repoRoot,
    APPLIANCES_ENVIRONMENT_ROOT: environmentRoot,
    ANSIBLE_HOST_KEY_CHECKING: "False",
    ANSIBLE_RETRY_FILES_ENABLED: "False",
  };
  const cfg = ansibleConfigPath(repoRoot, environmentRoot);
  if (cfg) env.ANSIBLE_CONFIG = cfg;
  return env;
}
