// HTTP plumbing shared by the services.
export { createApiServer, type ApiServerOptions, type ServiceHooks } from "./apiServer";
export { makeRequestContext, readBody, type RequestContext } from "./context";
export {
  ApiError,
  badRequest,
  conflict,
  errorReply,
  forbidden,
  notFound,
  reasonPhrase,
} from "./errors";
export { limitsReply, ok, sendReply, type Reply } from "./reply";
export { RequestLog, type RequestRecord } from "./requestLog";
export {
  Router,
  authenticated,
  serviceOf,
  type Handler,
  type RouteEntry,
  type Service,
} from "./router";
