// Neutron v2.0's route table: discovery (versions, resources, extensions,
// availability zones), networks, subnets, ports, security groups, floating IPs.
import { authenticated, notFound, type RouteEntry } from "../http";
import type { Authenticate, TokenHandler } from "../keystone";
import { FloatingIpHandlers } from "./floatingIps";
import { NetworkHandlers } from "./networks";
import type { NeutronEmulator } from "./neutron";
import { PortHandlers } from "./ports";
import { SecurityGroupHandlers } from "./securityGroups";

const RESOURCES = [
  "network",
  "subnet",
  "port",
  "floatingip",
  "security_group",
  "security_group_rule",
];

const EXTENSIONS = [
  ["external-net", "Neutron external network"],
  ["router", "Neutron L3 Router"],
  ["security-group", "security-group"],
  ["port-security", "Port Security"],
  ["standard-attr-description", "standard-attr-description"],
  ["standard-attr-timestamp", "Resource timestamps"],
  ["standard-attr-revisions", "Resource revision numbers"],
  ["binding", "Port Binding"],
  ["quotas", "Quota management support"],
  ["availability_zone", "Availability Zone"],
].map(([alias, name]) => ({
  alias,
  name,
  description: name,
  updated: "2013-01-01T10:00:00-00:00",
  links: [],
}));

export function networkRoutes(neutron: NeutronEmulator, authenticate: Authenticate): RouteEntry[] {
  const withToken = (handler: TokenHandler) => authenticated(authenticate, handler);
  const baseUrl = () => neutron.cloud.baseUrl();
  const networks = new NetworkHandlers(neutron);
  const ports = new PortHandlers(neutron);
  const securityGroups = new SecurityGroupHandlers(neutron);
  const floatingIps = new FloatingIpHandlers(neutron);
  const V = "/network/v2.0";

  return [
    [
      "GET",
      "/network",
      () => ({
        status: 200,
        body: {
          versions: [
            { id: "v2.0", status: "CURRENT", links: [{ rel: "self", href: `${baseUrl()}${V}/` }] },
          ],
        },
      }),
    ],
    [
      "GET",
      V,
      withToken(() => {
        const resources = RESOURCES.map((name) => {
          const collection = `${name.replace(/_/g, "-")}s`;
          return {
            name,
            collection,
            links: [{ rel: "self", href: `${baseUrl()}${V}/${collection}` }],
          };
        });
        return { status: 200, body: { resources } };
      }),
    ],
    [
      "GET",
      `${V}/extensions`,
      withToken(() => ({ status: 200, body: { extensions: EXTENSIONS } })),
    ],
    [
      "GET",
      `${V}/extensions/:alias`,
      withToken((ctx) => {
        const extension = EXTENSIONS.find((e) => e.alias === ctx.params.alias);
        if (!extension)
          throw notFound(
            `Extension with alias ${ctx.params.alias} does not exist`,
            "ExtensionNotFound",
          );
        return { status: 200, body: { extension } };
      }),
    ],
    [
      "GET",
      `${V}/availability_zones`,
      withToken(() => ({
        status: 200,
        body: {
          availability_zones: [
            { name: "nova", resource: "network", state: "available" },
            { name: "nova", resource: "router", state: "available" },
          ],
        },
      })),
    ],
    ["GET", `${V}/networks`, withToken(networks.list)],
    ["GET", `${V}/networks/:id`, withToken(networks.show)],
    ["GET", `${V}/subnets`, withToken(networks.listSubnets)],
    ["GET", `${V}/subnets/:id`, withToken(networks.showSubnet)],
    ["GET", `${V}/ports`, withToken(ports.list)],
    ["GET", `${V}/ports/:id`, withToken(ports.show)],
    ["POST", `${V}/ports`, withToken(ports.create)],
    ["PUT", `${V}/ports/:id`, withToken(ports.update)],
    ["DELETE", `${V}/ports/:id`, withToken(ports.remove)],
    ["GET", `${V}/security-groups`, withToken(securityGroups.list)],
    ["GET", `${V}/security-groups/:id`, withToken(securityGroups.show)],
    ["POST", `${V}/security-groups`, withToken(securityGroups.create)],
    ["DELETE", `${V}/security-groups/:id`, withToken(securityGroups.remove)],
    ["GET", `${V}/security-group-rules`, withToken(securityGroups.listRules)],
    ["GET", `${V}/floatingips`, withToken(floatingIps.list)],
    ["GET", `${V}/floatingips/:id`, withToken(floatingIps.show)],
    ["POST", `${V}/floatingips`, withToken(floatingIps.create)],
    ["PUT", `${V}/floatingips/:id`, withToken(floatingIps.update)],
    ["DELETE", `${V}/floatingips/:id`, withToken(floatingIps.remove)],
  ];
}
