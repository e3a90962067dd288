// Real-services mode: the real Keystone and Glance behind localcloud's Nova, Cinder and Neutron.
export { adoptIds, catalogEndpoints, createIdentities, registerCatalog } from "./identitySetup";
export { RealMode } from "./realMode";
export { missingRealServices, startRealServices, type RealServices } from "./realServices";
