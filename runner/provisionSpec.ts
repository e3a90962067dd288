import type { BastionSettings } from "../lib/config/types";

/** What the Ansible step needs to know; plain data, passed as JSON in the environment. */
export interface ProvisionSpec {
  buildKey: string;
  hostName: string;
  address: string;
  sshUser: string;
  bastion?: BastionSettings;
  sshTimeoutMinutes: number;
  inventoryGroups: string[];
  repoRoot: string;
  environmentRoot: string;
  extraVars: Record<string, unknown>;
  extraVarsFile?: string;
  vaultPasswordFile?: string;
  verbosity: number;
  /** Full Ansible output goes here; the command's own output stays short. */
  logFile: string;
}
