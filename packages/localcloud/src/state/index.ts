export * from "./records";
export { defaultSecurityGroup, initialRecords } from "./seed";
export { Store } from "./store";
