/**
 * The variables of the appliance's `packer/openstack.pkr.hcl` and the stack
 * config key each one becomes. This is the README's table "Packer variable →
 * config key" as data (test/unit/packerImport.test.ts holds the two together).
 */

/** The HCL type the template declares for the variable (what Packer converts a value to). */
export type PackerType = "string" | "number" | "bool" | "list(string)" | "map(string)";

/**
 * Where the setting lives in the stack config:
 * - `stack`: top level only (one appliance checkout, one manifest per stack);
 * - `build`: top level (every build) or `builds.<key>` (that build);
 * - `source`: `builds.<key>` only (each build has exactly one source).
 */
export type PackerScope = "stack" | "build" | "source";

export interface PackerVariable {
  name: string;
  key: string;
  type: PackerType;
  scope: PackerScope;
  /** The value is a file or directory path. */
  path?: boolean;
  /** Packer's default where it differs from this program's (told when the files leave it unset). */
  packerDefault?: unknown;
}

export const PACKER_VARIABLES: readonly PackerVariable[] = [
  { name: "repo_root", key: "repoRoot", type: "string", scope: "stack", path: true },
  { name: "environment_root", key: "environmentRoot", type: "string", scope: "stack", path: true },
  { name: "networks", key: "networks", type: "list(string)", scope: "build" },
  { name: "source_image_name", key: "sourceImageName", type: "string", scope: "source" },
  { name: "source_image", key: "sourceImage", type: "string", scope: "source" },
  { name: "flavor", key: "flavor", type: "string", scope: "build" },
  { name: "ssh_username", key: "sshUsername", type: "string", scope: "build" },
  { name: "ssh_keypair_name", key: "sshKeypairName", type: "string", scope: "build" },
  {
    name: "ssh_private_key_file",
    key: "sshPrivateKeyFile",
    type: "string",
    scope: "build",
    path: true,
  },
  { name: "security_groups", key: "securityGroups", type: "list(string)", scope: "build" },
  { name: "image_visibility", key: "imageVisibility", type: "string", scope: "build" },
  { name: "ssh_bastion_host", key: "sshBastionHost", type: "string", scope: "build" },
  { name: "ssh_bastion_username", key: "sshBastionUsername", type: "string", scope: "build" },
  {
    name: "ssh_bastion_private_key_file",
    key: "sshBastionPrivateKeyFile",
    type: "string",
    scope: "build",
    path: true,
  },
  { name: "ssh_debug_public_key", key: "sshDebugPublicKey", type: "string", scope: "build" },
  { name: "floating_ip_network", key: "floatingIpNetwork", type: "string", scope: "build" },
  { name: "floating_ip", key: "floatingIp", type: "string", scope: "build" },
  {
    name: "manifest_output_path",
    key: "manifestOutputPath",
    type: "string",
    scope: "stack",
    path: true,
    packerDefault: "packer-manifest.json",
  },
  { name: "use_blockstorage_volume", key: "useBlockstorageVolume", type: "bool", scope: "build" },
  { name: "volume_type", key: "volumeType", type: "string", scope: "build" },
  { name: "volume_size", key: "volumeSize", type: "number", scope: "build" },
  { name: "volume_name", key: "volumeName", type: "string", scope: "build" },
  { name: "image_disk_format", key: "imageDiskFormat", type: "string", scope: "build" },
  { name: "metadata", key: "metadata", type: "map(string)", scope: "build" },
  { name: "inventory_groups", key: "inventoryGroups", type: "string", scope: "build" },
  {
    name: "image_name",
    key: "imageName",
    type: "string",
    scope: "build",
    packerDefault: "openhpc",
  },
  { name: "image_name_version", key: "imageNameVersion", type: "string", scope: "build" },
];

export const PACKER_VARIABLES_BY_NAME: ReadonlyMap<string, PackerVariable> = new Map(
  PACKER_VARIABLES.map((v) => [v.name, v]),
);

/**
 * Variables that are not in the template but that var files of the appliance
 * or of this project's benchmark carry: why each one has no config key.
 */
export const KNOWN_OTHER_VARIABLES: Readonly<Record<string, string>> = {
  git_commit:
    "this program reads the commit from the appliance checkout (git) at build time; nothing to set",
  fatimage_source_image_name:
    "a variable of an older appliance template (fat and extra builds in one template): give the fat build its own var file with --build <key>=<file> and source_image_name there",
  groups:
    "a variable of an older appliance template (inventory groups per build name): give each build its own var file with --build <key>=<file> and inventory_groups there",
  os_version:
    "a variable of an older appliance template: give each OS its own build (--build <key>=<file>)",
  extra_build_image_name:
    "a variable of an older appliance template: give the extra build its own var file with --build <key>=<file> (image_name there)",
  extra_build_inventory_groups:
    "a variable of an older appliance template: give the extra build its own var file with --build <key>=<file> (inventory_groups there)",
  extra_build_volume_size:
    "a variable of an older appliance template: give the extra build its own var file with --build <key>=<file> (volume_size there)",
};
