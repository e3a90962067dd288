import * as pulumi from "@pulumi/pulumi";
import { AnsibleProvision } from "./AnsibleProvision";
import { BuilderVm, floatingIpDescription } from "./BuilderVm";
import { SshAccess } from "./SshAccess";
import { BUILDER_METADATA, builderUserData } from "../lib/cloudInit";
import { builderHostName } from "../lib/naming";
import type { BuilderNames } from "../lib/openstack/builderLeftovers";
import { builderRefOf, type BuilderRef, type BuildRequest } from "../lib/protocol";

export interface BuilderProgramOptions {
  projectRoot: string;
  /** Where the full Ansible output goes. */
  logFile: string;
  /** The Ansible step's private working directory (removed after the run). */
  workDir: string;
  /** See ProvisionSpec.builderFailedFile. */
  builderFailedFile?: string;
  /** Secret: the Ansible vault password, when configured. */
  vaultPassword?: string;
  /** Secret: extraVars entries that are secret in the stack config. */
  secretExtraVars?: Record<string, unknown>;
  /** Environment for the Ansible run (PATH with ansible-playbook). */
  ansibleEnvironment?: Record<string, string>;
}

/** Names of the builder's cloud resources: the program's, and what a sweep of leftovers looks for. */
export function builderNames(ref: Pick<BuilderRef, "stack" | "key" | "volumeName">): BuilderNames {
  const server = builderHostName(ref.stack, ref.key);
  return {
    server,
    volume: ref.volumeName ?? server,
    keypairPrefix: `${server}-`,
    floatingIpDescription: floatingIpDescription(server),
  };
}

/**
 * The build stack's Pulumi program: keypair, volume, server and the Ansible
 * run, in one `pulumi up`. The runner releases the server and uploads the
 * volume after it; a `pulumi destroy` of the build stack removes the rest.
 */
export function builderProgram(request: BuildRequest, options: BuilderProgramOptions) {
  return async (): Promise<Record<string, unknown>> => {
    const { spec } = request;
    const names = builderNames(builderRefOf(request));
    const hostName = names.server;
    const access = new SshAccess("access", {
      keypairName: `${names.keypairPrefix}${request.fingerprint.slice(0, 8)}`,
      existing: spec.existingKeypair,
    });
    const vm = new BuilderVm("builder", {
      hostName,
      sourceImageId: request.sourceImageId,
      volumeName: names.volume,
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
    });
    // Its result (ProvisionResult) is its component output, read from the
    // state (runner/buildStack.ts provisionedBuilder): not a stack output, which
    // a failed Ansible run would keep from being recorded at all — and the
    // stack outputs below are what `onError: keep` needs then.
    new AnsibleProvision(
      "ansible",
      {
        projectRoot: options.projectRoot,
        privateKey: access.privateKey,
        vaultPassword: options.vaultPassword ? pulumi.secret(options.vaultPassword) : undefined,
        secretExtraVars:
          options.secretExtraVars && Object.keys(options.secretExtraVars).length
            ? pulumi.secret(JSON.stringify(options.secretExtraVars))
            : undefined,
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
          workDir: options.workDir,
          builderFailedFile: options.builderFailedFile,
        })),
      },
      // Not on the server: its SSH wait starts as soon as the volume is made
      // and the server is requested, while the provider still waits to see
      // it ACTIVE (see BuilderVm).
      { dependsOn: [access, vm.volume] },
    );
    return {
      hostName,
      // Only what resolves before Ansible starts (not the server's id): a
      // failed Ansible run must still record them, for `onError: keep`.
      volumeId: vm.volumeId,
      address: vm.address,
      privateKey: access.privateKey,
    };
  };
}
