export {
  KeystoneEmulator,
  REGION,
  type Authenticate,
  type Token,
  type TokenHandler,
} from "./keystone";
export { identityRoutes } from "./routes";
