export { NeutronEmulator, type ServerAddresses } from "./neutron";
export { networkRoutes } from "./routes";
