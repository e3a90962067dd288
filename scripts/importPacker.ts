/**
 * npm run import-packer -- <file.pkrvars.hcl>... [--build <key>=<file>]... [--stack <name>] ...
 *
 * Packer variable files → a stack file (lib/packer/); see the README,
 * "From Packer: import the var files".
 */
import { runImportPacker } from "../lib/packer/cli";

runImportPacker(process.argv.slice(2), {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
