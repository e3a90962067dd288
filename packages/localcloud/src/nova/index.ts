export { COMPUTE_MAX_MICROVERSION, computeVersionHeaders, parseMicroversion } from "./microversion";
export { DEFAULT_USER, DEFAULT_USER_PROPERTY, NovaEmulator } from "./nova";
export { computeRoutes } from "./routes";
