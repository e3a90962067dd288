import * as pulumi from "@pulumi/pulumi";
import { AnsibleProvision } from "../components/AnsibleProvision";
import { BuilderVm } from "../components/BuilderVm";
import { SshAccess } from "../components/SshAccess";
import { BUILDER_METADATA, builderUserData } from "../lib/cloudInit";
import { builderHostName } from "../lib/naming";
import type { BuildRequest } from "./request";

/**
 * The phases of a build stack, in order. Each is one `pulumi up` of the same
 * program: `release` drops the server, which the provider stops and then
 * deletes (stopBeforeDestroy), keeping the volume for the upload; `destroy`
 * removes the rest.
 */
export type BuildPhase = "provision" | "release";

export interface BuilderProgramOptions {
  projectRoot: string;
  /** Where the full Ansible output goes. */
  logFile: string;
  /** Secret: the Ansible vault password, when configured. */
  vaultPassword?: string;
  /** Environment for the Ansible run (PATH with ansible-playbook). */
  ansibleEnvironment?: Record<string, string>;
}

/** The build stack's Pulumi program for one phase. */
export function builderProgram(
  request: BuildRequest,
  phase: BuildPhase,
  options: BuilderProgramOptions,
) {
  return async (): Promise<Record<string, unknown>> => {
    const { spec } = request;
    const hostName = builderHostName(request.stack, spec.key);
    const access = new SshAccess("access", {
      keypairName: `${hostName}-${request.fingerprint.slice(0, 8)}`,
      existing: spec.existingKeypair,
    });
    const vm = new BuilderVm("builder", {
      hostName,
      sourceImageId: request.sourceImageId,
      volumeName: spec.volume.name ?? hostName,
      volumeSize: spec.volume.size,
      volumeType: spec.volume.type,
      flavor: spec.flavor,
      networks: spec.networks,
      securityGroups: spec.securityGroups,
      availabilityZone: spec.availabilityZone,
      keypairName: access.keypairName,
      userData: builderUserData(spec.sshDebugPublicKey),
      metadata: BUILDER_METADATA,
      floatingIp: spec.floatingIp,
      withServer: phase === "provision",
    });
    if (phase === "provision" && vm.address) {
      new AnsibleProvision(
        "ansible",
        {
          projectRoot: options.projectRoot,
          privateKey: access.privateKey,
          vaultPassword: options.vaultPassword ? pulumi.secret(options.vaultPassword) : undefined,
          environment: options.ansibleEnvironment,
          spec: vm.address.apply((address) => ({
            buildKey: spec.key,
            hostName,
            address,
            sshUser: spec.sshUsername,
            bastion: spec.bastion,
            sshTimeoutMinutes: spec.sshTimeoutMinutes,
            inventoryGroups: spec.inventoryGroups,
            repoRoot: request.appliance.repoRoot,
            environmentRoot: request.appliance.environmentRoot,
            extraVars: spec.ansible.extraVars,
            extraVarsFile: spec.ansible.extraVarsFile,
            vaultPasswordFile: spec.ansible.vaultPasswordFile,
            verbosity: spec.ansible.verbosity,
            logFile: options.logFile,
          })),
        },
        { dependsOn: [vm] },
      );
    }
    return {
      hostName,
      volumeId: vm.volumeId,
      address: vm.address,
      privateKey: access.privateKey,
    };
  };
}
