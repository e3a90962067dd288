export { GlanceEmulator } from "./glance";
export { imageRoutes } from "./routes";
