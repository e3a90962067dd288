import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Networks and security groups may be given by id (as Packer required) or by name. */
export function byIdOrName(value: string): { id: string } | { name: string } {
  return UUID.test(value) ? { id: value } : { name: value };
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
  readonly volume: openstack.blockstorage.Volume;
  readonly volumeId: pulumi.Output<string>;
  readonly serverId: pulumi.Output<string>;
  /** Address Ansible connects to: the floating IP when there is one, else the first port's fixed IP. */
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
    this.volume = volume;
    this.volumeId = volume.id;

    // The builder's ports are made ahead of the server, so their addresses are
    // known at once: the Ansible step starts waiting for SSH while the
    // provider still waits to see the server ACTIVE (its first look comes
    // 10 s after the create), and Ansible starts as soon as the server boots.
    // Security group names are looked up in the build's project, as Nova
    // does: an admin sees every project's "default".
    const projectId = args.securityGroups.some((g) => "name" in byIdOrName(g))
      ? openstack.identity.getAuthScopeOutput({ name: "builder" }, { parent: this }).projectId
      : undefined;
    const securityGroupIds = args.securityGroups.length
      ? args.securityGroups.map((group) => {
          const ref = byIdOrName(group);
          return "id" in ref
            ? ref.id
            : openstack.networking.getSecGroupOutput(
                { name: ref.name, tenantId: projectId },
                { parent: this },
              ).id;
        })
      : undefined;
    const ports = args.networks.map(
      (network, i) =>
        new openstack.networking.Port(
          `${name}-port-${i}`,
          {
            name: args.hostName,
            networkId: networkId(network, this),
            // Unset: Neutron applies the project's default group, as Nova would.
            securityGroupIds,
            adminStateUp: true,
            description: `Builder port of ${args.hostName}`,
          },
          { parent: this },
        ),
    );

    const server = new openstack.compute.Instance(
      `${name}-server`,
      {
        name: args.hostName,
        flavorName: args.flavor,
        // The ports carry the networks and security groups.
        networks: ports.map((port) => ({ port: port.id })),
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
    let address: pulumi.Output<string> = ports[0].allFixedIps.apply((ips) => {
      const ipv4 = ips.find((ip) => !ip.includes(":")) ?? ips[0];
      if (!ipv4) throw new Error(`the builder port on ${args.networks[0]} has no fixed IP`);
      return ipv4;
    });

    if (args.floatingIp) {
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
        { floatingIp: floating, portId: ports[0].id },
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

/** A network given by id, or by name: any network the project can see, as Nova allows. */
function networkId(value: string, parent: pulumi.Resource): pulumi.Input<string> {
  const ref = byIdOrName(value);
  return "id" in ref
    ? ref.id
    : openstack.networking.getNetworkOutput({ name: ref.name }, { parent }).id;
}
