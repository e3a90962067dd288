import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as fs from "node:fs";

export interface SshAccessArgs {
  /** Name of the temporary keypair in the cloud. */
  keypairName: string;
  /** Use this keypair and key file instead of a temporary key (Packer's ssh_keypair_name). */
  existing?: { name: string; privateKeyFile: string };
}

/**
 * How the build logs in to its builder: a temporary key (made here, never
 * written to disk by Pulumi) registered as a keypair, or an existing keypair.
 */
export class SshAccess extends pulumi.ComponentResource {
  readonly keypairName: pulumi.Output<string>;
  /** Secret: the private key in OpenSSH format. */
  readonly privateKey: pulumi.Output<string>;

  constructor(name: string, args: SshAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:builder:SshAccess", name, {}, opts);
    if (args.existing) {
      this.keypairName = pulumi.output(args.existing.name);
      this.privateKey = pulumi.secret(fs.readFileSync(args.existing.privateKeyFile, "utf8"));
    } else {
      const key = new tls.PrivateKey(
        `${name}-key`,
        { algorithm: "RSA", rsaBits: 3072 },
        { parent: this },
      );
      const keypair = new openstack.compute.Keypair(
        `${name}-keypair`,
        // Trimmed: clouds store the key without the trailing newline, and the
        // provider diffs against what the cloud returned.
        { name: args.keypairName, publicKey: key.publicKeyOpenssh.apply((k) => k.trim()) },
        { parent: this },
      );
      this.keypairName = keypair.name;
      this.privateKey = pulumi.secret(key.privateKeyOpenssh);
    }
    this.registerOutputs({ keypairName: this.keypairName });
  }
}
