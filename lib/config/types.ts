import type { DISK_FORMATS, VISIBILITIES } from "./schema";

export type BuildSource =
  | { kind: "imageName"; name: string }
  | { kind: "imageId"; id: string }
  | { kind: "build"; key: string };

export interface BastionSettings {
  host: string;
  port: number;
  username: string;
  privateKeyFile: string;
}

/** Everything one build needs, with defaults applied. Plain data: safe to serialise. */
export interface BuildSpec {
  key: string;
  source: BuildSource;
  inventoryGroups: string[];
  flavor: string;
  networks: string[];
  securityGroups: string[];
  availabilityZone?: string;
  sshUsername: string;
  /** An existing keypair + its private key file; otherwise a temporary key is made. */
  existingKeypair?: { name: string; privateKeyFile: string };
  bastion?: BastionSettings;
  sshDebugPublicKey?: string;
  sshTimeoutMinutes: number;
  floatingIp?: { network: string } | { address: string };
  volume: { size: number; type?: string; name?: string };
  image: {
    namePrefix: string;
    nameVersion: string;
    diskFormat: (typeof DISK_FORMATS)[number];
    visibility: (typeof VISIBILITIES)[number];
    activeTimeoutMinutes: number;
    metadata: Record<string, string>;
    deleteOnDestroy: boolean;
    /** Images of this build key to keep, newest first; unset = keep all. */
    keep?: number;
  };
  ansible: {
    verbosity: number;
    /** The plain entries; secret ones are in StackSettings.secretExtraVars. */
    extraVars: Record<string, unknown>;
    /** Names of this build's secret extraVars (their values are not here). */
    secretExtraVarNames?: string[];
    /** Packer's `packer/openhpc_extravars.yml`, when the appliance has it. */
    extraVarsFile?: string;
    vaultPasswordFile?: string;
  };
  onError: "cleanup" | "keep";
  sourceImageSignatureVerified: "fail" | "unset";
}

export interface ApplianceSettings {
  repoRoot: string;
  environmentRoot: string;
  /** Paths (absolute) whose content decides image content; see fingerprint.ts. */
  fingerprintPaths: string[];
  /**
   * Paths (absolute) left out of the fingerprint: the Pulumi project
   * directory when it lies inside the appliance (a site directory such as
   * `environments/site/images/`), so its stack config, package.json and
   * lock file never count as image content.
   */
  fingerprintExclude?: string[];
}

export interface StackSettings {
  appliance: ApplianceSettings;
  /** Builds in dependency order: a build comes after the build it starts from. */
  builds: BuildSpec[];
  defaultBuild: string;
  manifestOutputPath?: string;
  buildState: { backendUrl?: string; secretsProvider?: string };
  /** Present when `vaultPassword` is set; the caller wraps it as a Pulumi secret. */
  vaultPassword?: string;
  /** Whether the per-image commands get their previous output back (default true). */
  addPreviousOutputInEnv: boolean;
  /** Per build key: the settings set under `builds.<key>` (so a message names the key the user wrote). */
  ownSettings?: Record<string, string[]>;
  /** Per build key: its extraVars entries set with `--secret`; wrapped as Pulumi secrets. */
  secretExtraVars: Record<string, Record<string, unknown>>;
}
