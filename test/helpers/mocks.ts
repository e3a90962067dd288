import * as pulumi from "@pulumi/pulumi";
import { decodeBuildRequest, ENV, formatResult } from "../../lib/protocol";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** Resolves an Output in a test (mocks resolve everything that is known). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export function isSecretInput(value: unknown): boolean {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG
  );
}

/**
 * Pulumi mocks that record every resource and stand in for the cloud:
 * the per-image command "builds" an image named after its request, the
 * image lookup finds the named cloud image.
 */
export function installMocks(
  project = "slurm-image-builder",
  stack = "staging",
  preview = false,
): Recorded[] {
  const recorded: Recorded[] = [];
  let counter = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "command:local:Command" && args.inputs.environment?.[ENV.buildRequest]) {
          const request = decodeBuildRequest(args.inputs.environment as Record<string, string>);
          state.stdout = `[00:00:00] building\n${formatResult({
            imageId: `img-${request.spec.key}`,
            imageName: `${request.spec.image.namePrefix}-260105-0907-01234567`,
            fingerprint: request.fingerprint,
            sourceImageId: request.sourceImageId,
            inventoryGroups: request.spec.inventoryGroups,
            gitCommit: "0123456789abcdef",
            builtAt: "2026-01-05T09:07:00Z",
            timings: {},
          })}\n`;
        }
        if (args.type === "openstack:compute/instance:Instance")
          state.accessIpV4 = `10.0.0.${++counter}`;
        if (args.type === "openstack:networking/port:Port")
          state.allFixedIps = [`10.0.0.${++counter}`];
        if (args.type === "openstack:networking/floatingIp:FloatingIp")
          state.address = "192.0.2.50";
        if (args.type === "tls:index/privateKey:PrivateKey") {
          state.privateKeyOpenssh = "mock-openssh-private-key\n";
          state.publicKeyOpenssh = "ssh-rsa AAAAmock";
        }
        return {
          id: args.type === "command:local:Command" ? `cmd-${args.name}` : `${args.name}-id`,
          state,
        };
      },
      call(args) {
        if (args.token === "openstack:images/getImage:getImage")
          return { id: `cloud-${args.inputs.name}`, name: args.inputs.name };
        if (args.token === "openstack:networking/getNetwork:getNetwork")
          return { id: `net-id-${args.inputs.name}`, name: args.inputs.name };
        if (args.token === "openstack:networking/getSecGroup:getSecGroup")
          return { id: `sg-id-${args.inputs.name}`, name: args.inputs.name };
        if (args.token === "openstack:identity/getAuthScope:getAuthScope")
          return { id: "scope", projectId: "project-1" };
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    project,
    stack,
    preview,
  );
  return recorded;
}

/** Waits until every resource registration the program started has reached the mocks. */
export async function settled(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    waitForRPCs: () => Promise<void>;
  };
  await settings.waitForRPCs();
}
