/**
 * The one place where this package's tests reach outside the package: the real
 * tools (Pulumi CLI and provider plugins, ansible-playbook, the `openstack` CLI)
 * that the repository around it builds with `npm run tools`, found through the
 * repository's own `tools/paths.ts`. The package itself (src/) depends on nothing
 * of the repository; its tests are meant to run inside it.
 */
import { toolPath } from "../../../tools/paths";
import { openstackCli as findOpenstackCli } from "../src/testing";

export { toolPath, toolsEnv, toolsRoot } from "../../../tools/paths";

/** The `openstack` CLI, preferring the repository's tools (see `openstackCli` in src/testing). */
export const openstackCli = (): Promise<string> => findOpenstackCli(() => toolPath("openstack"));
