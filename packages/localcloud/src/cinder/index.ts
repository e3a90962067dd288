export { CinderEmulator, type NewVolume } from "./cinder";
export { volumeRoutes } from "./routes";
export { VOLUME_MAX_MICROVERSION, volumeVersionHeaders } from "./views";
