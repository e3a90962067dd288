/**
 * Packer variable files → a stack config (`init --from-packer`). See the
 * README, "From Packer: import the var files".
 */
export { importPackerVarFiles, importAssignments, DEFAULT_BUILD_KEY } from "./import";
export type {
  PackerImport,
  ImportOptions,
  BuildVarFiles,
  Unsupported,
  Origin,
  ImportedBuild,
} from "./import";
export { parseVarFile, VarFileError, type VarFile } from "./hcl";
export { renderStackFile, type RenderOptions } from "./render";
export { checkImportedConfig, asPulumiConfig } from "./check";
export {
  runImportPacker,
  parseImportArgs,
  readVarFiles,
  importReport,
  projectName,
  IMPORT_USAGE,
  type ImportArgs,
  type ImportIo,
} from "./cli";
export { PACKER_VARIABLES, type PackerVariable } from "./variables";
