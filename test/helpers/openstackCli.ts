// The `openstack` CLI for tests of this repository: localcloud's lookup
// (@slurm-image-builder/localcloud/testing), preferring the tools of `npm run tools`.
import { openstackCli as findOpenstackCli } from "@slurm-image-builder/localcloud/testing";
import { toolPath } from "../../tools/paths";

export const openstackCli = (): Promise<string> => findOpenstackCli(() => toolPath("openstack"));
