import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Networks may be given by id (as Packer required) or by name. */
export function instanceNetworks(networks: string[]): { uuid?: string; name?: string }[] {
  return networks.map((n) => (UUID.test(n) ? { uuid: n } : { name: n }));
}

/** How a builder's floating IP is marked, so leftovers can be found by it. */
export function floatingIpDescription(hostName: string): string {
  return `Builder ${hostName}`;
}

export interface BuilderVmArgs {
  /** Server name and host name; contains no appliance role word. */
  hostName: string;
  sourceImageId: pulumi.Input<string>;
  volumeName: string;
  volumeSize: number;
  volumeType?: string;
  flavor: string;
  networks: string[];
  securityGroups: string[];
  availabilityZone?: string;
  keypairName: pulumi.Input<string>;
  userData?: string;
  metadata: Record<string, string>;
  floatingIp?: { network: string } | { address: string };
}

/**
 * The builder: a volume made from the source image, and a server booted from
 * it, reachable over SSH. The volume outlives the server (the runner deletes
 * the server before the upload): it is what becomes the image.
 */
export class BuilderVm extends pulumi.ComponentResource {
  readonly volumeId: pulumi.Output<string>;
  readonly serverId: pulumi.Output<string>;
  /** Address Ansible connects to: the floating IP when there is one, else the fixed IP. */
  readonly address: pulumi.Output<string>;

  constructor(name: string, args: BuilderVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slurm-image:builder:BuilderVm", name, {}, opts);

    const volume = new openstack.blockstorage.Volume(
      `${name}-volume`,
      {
        name: args.volumeName,
        size: args.volumeSize,
        volumeType: args.volumeType,
        imageId: args.sourceImageId,
        availabilityZone: args.availabilityZone,
        description: `Builder volume of ${args.hostName}; becomes the image`,
      },
      { parent: this },
    );
    this.volumeId = volume.id;

    const server = new openstack.compute.Instance(
      `${name}-server`,
      {
        name: args.hostName,
        flavorName: args.flavor,
        networks: instanceNetworks(args.networks),
        securityGroups: args.securityGroups,
        availabilityZone: args.availabilityZone,
        keyPair: args.keypairName,
        userData: args.userData,
        metadata: args.metadata,
        // Packer stops the builder before deleting it: a clean shutdown
        // flushes the file system that becomes the image.
        stopBeforeDestroy: true,
        blockDevices: [
          {
            uuid: volume.id,
            sourceType: "volume",
            destinationType: "volume",
            bootIndex: 0,
            // The volume must survive the server: it becomes the image.
            deleteOnTermination: false,
          },
        ],
      },
      { parent: this },
    );
    this.serverId = server.id;
    let address: pulumi.Output<string> = server.accessIpV4;

    if (args.floatingIp) {
      const fixedPort = openstack.networking.getPortOutput(
        { deviceId: server.id, networkId: server.networks.apply((n) => n[0]?.uuid ?? "") },
        { parent: this },
      );
      const floating =
        "network" in args.floatingIp
          ? new openstack.networking.FloatingIp(
              `${name}-fip`,
              {
                pool: args.floatingIp.network,
                description: floatingIpDescription(args.hostName),
              },
              { parent: this },
            ).address
          : pulumi.output(args.floatingIp.address);
      const association = new openstack.networking.FloatingIpAssociate(
        `${name}-fip-association`,
        { floatingIp: floating, portId: fixedPort.id },
        { parent: this },
      );
      address = association.floatingIp;
    }
    this.address = address;

    this.registerOutputs({
      volumeId: this.volumeId,
      serverId: this.serverId,
      address: this.address,
    });
  }
}
