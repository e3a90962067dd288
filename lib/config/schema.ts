import { z } from "zod";

/**
 * The stack configuration, as one zod schema. Every Packer variable of the
 * appliance's `openstack.pkr.hcl` has a key here (see the README table); keys
 * are camelCase so they read like the rest of a Pulumi stack file.
 *
 * Settings marked "per build" may be given at the top level (a default for
 * every build) or under `builds.<key>` (that build only).
 */

/** Pulumi hands top-level scalars over as strings: "35" must still be a valid size. */
const text = z.preprocess(
  (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
  z.string().min(1, "must not be empty"),
);
const count = (what: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: `must be a number (${what})` })
      .int(`must be a whole number (${what})`)
      .positive(`must be greater than 0 (${what})`),
  );
/** Timeouts may be fractional (0.5 = 30 s), but must be positive. */
const minutes = z.preprocess(
  (v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v),
  z.number({ error: "must be a number of minutes" }).positive("must be greater than 0 (minutes)"),
);
const flag = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "must be true or false" }),
);
const stringList = z.preprocess(
  (v) => (typeof v === "string" ? [v] : v),
  z.array(text, { error: "must be a list of strings" }),
);

/** Ansible accepts letters, digits and underscores in group names (anything else is "transformed"). */
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const groupName = z
  .string()
  .trim()
  .min(1, "empty inventory group name")
  .regex(GROUP_NAME, "malformed inventory group name: use letters, digits and _ (Ansible's rule)");
/** Packer took a comma-separated string ("doca,cuda"); a YAML list is accepted too. */
const inventoryGroups = z.preprocess(
  (v) => (typeof v === "string" ? (v.trim() === "" ? [] : v.split(",")) : v),
  z.array(groupName, { error: "must be a comma-separated string or a list of group names" }),
);

export const DISK_FORMATS = [
  "raw",
  "qcow2",
  "vmdk",
  "vdi",
  "vhd",
  "vhdx",
  "iso",
  "ploop",
  "ami",
  "aki",
  "ari",
] as const;
export const VISIBILITIES = ["private", "shared", "community", "public"] as const;

/** Settings that can be set for all builds or per build. */
export const buildSettingsShape = {
  flavor: text.optional(),
  networks: stringList.optional(),
  securityGroups: stringList.optional(),
  availabilityZone: text.optional(),
  sshUsername: text.optional(),
  sshKeypairName: text.optional(),
  sshPrivateKeyFile: text.optional(),
  sshBastionHost: text.optional(),
  sshBastionPort: count("a TCP port").optional(),
  sshBastionUsername: text.optional(),
  sshBastionPrivateKeyFile: text.optional(),
  sshDebugPublicKey: text.optional(),
  sshTimeoutMinutes: minutes.optional(),
  floatingIpNetwork: text.optional(),
  floatingIp: text.optional(),
  useBlockstorageVolume: flag.optional(),
  volumeType: text.optional(),
  volumeSize: count("gigabytes").optional(),
  volumeName: text.optional(),
  imageName: text.optional(),
  imageNameVersion: z
    .preprocess((v) => (typeof v === "number" ? String(v) : v), z.string())
    .optional(),
  imageDiskFormat: z
    .enum(DISK_FORMATS, { error: `must be one of ${DISK_FORMATS.join(", ")}` })
    .optional(),
  imageVisibility: z
    .enum(VISIBILITIES, { error: `must be one of ${VISIBILITIES.join(", ")}` })
    .optional(),
  imageActiveTimeoutMinutes: minutes.optional(),
  metadata: z
    .record(
      z.string(),
      z.preprocess((v) => (typeof v === "string" ? v : JSON.stringify(v)), z.string()),
    )
    .optional(),
  inventoryGroups: inventoryGroups.optional(),
  extraVars: z.record(z.string(), z.unknown()).optional(),
  extraVarsFile: text.optional(),
  ansibleVerbosity: z
    .preprocess(
      (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
      z.number().int().min(0, "must be 0 to 6").max(6, "must be 0 to 6"),
    )
    .optional(),
  vaultPasswordFile: text.optional(),
  onError: z.enum(["cleanup", "keep"], { error: "must be cleanup or keep" }).optional(),
  sourceImageSignatureVerified: z
    .enum(["fail", "unset"], { error: "must be fail or unset" })
    .optional(),
  deleteImageOnDestroy: flag.optional(),
  /** Keep this many images per build key (newest first); older ones are deleted unless promoted. */
  keepImages: count("images to keep per build").optional(),
};

export const buildShape = z.strictObject({
  sourceImageName: text.optional(),
  sourceImage: text.optional(),
  sourceBuild: text.optional(),
  ...buildSettingsShape,
});

export const stackConfigSchema = z.strictObject({
  repoRoot: text.optional(),
  environmentRoot: text.optional(),
  fingerprintPaths: stringList.optional(),
  manifestOutputPath: text.optional(),
  defaultBuild: text.optional(),
  buildStateBackend: text.optional(),
  buildStateSecretsProvider: text.optional(),
  /** Secret; written to a 0600 file for the duration of the Ansible run only. */
  vaultPassword: text.optional(),
  /**
   * `@pulumi/command`'s addPreviousOutputInEnv for the per-image commands.
   * false only to recover a stack whose stored output is too large to pass
   * back (made by an earlier release): see the README.
   */
  addPreviousOutputInEnv: flag.optional(),
  builds: z.record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "build keys use letters, digits, . _ -"),
    buildShape,
    { error: "must be a map of build key → build settings" },
  ),
  ...buildSettingsShape,
});

export type RawStackConfig = z.infer<typeof stackConfigSchema>;
export type RawBuild = z.infer<typeof buildShape>;

/** Packer's defaults, kept. */
export const DEFAULTS = {
  sshUsername: "rocky",
  securityGroups: [] as string[],
  sshTimeoutMinutes: 20,
  useBlockstorageVolume: true,
  volumeSize: 20,
  imageNameVersion: "auto",
  imageDiskFormat: "raw" as (typeof DISK_FORMATS)[number],
  imageVisibility: "private" as (typeof VISIBILITIES)[number],
  imageActiveTimeoutMinutes: 60,
  metadata: {} as Record<string, string>,
  inventoryGroups: [] as string[],
  extraVars: {} as Record<string, unknown>,
  ansibleVerbosity: 2,
  onError: "cleanup" as "cleanup" | "keep",
  sourceImageSignatureVerified: "fail" as "fail" | "unset",
  deleteImageOnDestroy: false,
  sshBastionPort: 22,
};
