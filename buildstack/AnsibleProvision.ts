import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { nodeArguments } from "../runner/launch";
import {
  ENV,
  parseProvisionResult,
  type ProvisionResult,
  type ProvisionSpec,
} from "../lib/protocol";

export interface AnsibleProvisionArgs {
  /** The Pulumi project directory (the runner's working directory). */
  projectRoot: string;
  spec: pulumi.Input<ProvisionSpec>;
  /** Secret: private key of the builder's keypair. */
  privateKey: pulumi.Input<string>;
  /** Secret: Ansible vault password, when configured in the stack. */
  vaultPassword?: pulumi.Input<string>;
  /** Secret: the stack config's secret extraVars entries, as JSON. */
  secretExtraVars?: pulumi.Input<string>;
  /** Extra environment for the run (e.g. PATH with ansible-playbook). */
  environment?: Record<string, string>;
}

/**
 * Runs the appliance's `ansible/fatimage.yml` against the builder, through
 * `@pulumi/command`: waits for SSH, then ansible-playbook with the builder in
 * `builder` + the build's groups. Secrets travel in the environment only.
 */
export class AnsibleProvision extends pulumi.ComponentResource {
  /** What the run did (SSH wait, Ansible's window, task count): data, not scraped text. */
  readonly result: pulumi.Output<ProvisionResult | undefined>;

  constructor(name: string, args: AnsibleProvisionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:builder:AnsibleProvision", name, {}, opts);
    const environment: Record<string, pulumi.Input<string>> = {
      ...(args.environment ?? {}),
      [ENV.provisionSpec]: pulumi.output(args.spec).apply((s) => JSON.stringify(s)),
      [ENV.builderPrivateKey]: pulumi.secret(args.privateKey),
    };
    if (args.vaultPassword !== undefined)
      environment[ENV.vaultPassword] = pulumi.secret(args.vaultPassword);
    if (args.secretExtraVars !== undefined)
      environment[ENV.secretExtraVars] = pulumi.secret(args.secretExtraVars);
    const run = new command.local.Command(
      `${name}-playbook`,
      {
        interpreter: [process.execPath, ...nodeArguments("runner/provision")],
        create: "provision",
        dir: args.projectRoot,
        environment,
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    this.result = pulumi.unsecret(run.stdout).apply((out) => parseProvisionResult(out ?? ""));
    this.registerOutputs({ result: this.result });
  }
}
