import * as fs from "node:fs";
import * as path from "node:path";
import { toolsEnv, toolsRoot } from "../tools/paths";

/**
 * The environment to run the `pulumi` CLI in: the project's built tools
 * (`npm run tools`) when they are there, else whatever `pulumi` is on PATH.
 */
export function pulumiCliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return fs.existsSync(path.join(toolsRoot(), "bin", "pulumi"))
    ? { ...env, ...toolsEnv(env) }
    : env;
}
