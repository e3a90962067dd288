// Errors as each OpenStack service renders them: Nova/Cinder faults, Neutron's
// NeutronError, Glance's webob pages, Keystone's error object.
import type { Reply } from "./reply";
import type { Service } from "./router";

/** An error that is rendered in the error format of the service that raised it. */
export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public kind?: string,
    public headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (message: string, kind?: string) => new ApiError(404, message, kind);
export const badRequest = (message: string, kind?: string) => new ApiError(400, message, kind);
export const conflict = (message: string, kind?: string) => new ApiError(409, message, kind);
export const forbidden = (message: string, kind?: string) => new ApiError(403, message, kind);

const reasonPhrases: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
export const reasonPhrase = (status: number) => reasonPhrases[status] ?? "Error";

// Nova and Cinder name their faults after webob exceptions.
const novaFaultNames: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** Renders an error the way the named service does. */
export function errorReply(
  service: Service,
  status: number,
  message: string,
  kind?: string,
  accept = "",
): Reply {
  if (status === 401 && service !== "identity") {
    // keystonemiddleware rejects the request before it reaches the service.
    return {
      status,
      body: {
        error: {
          code: 401,
          title: "Unauthorized",
          message: "The request you have made requires authentication.",
        },
      },
    };
  }
  switch (service) {
    case "compute":
    case "volume": {
      const name = kind ?? novaFaultNames[status] ?? "computeFault";
      return { status, body: { [name]: { code: status, message } } };
    }
    case "network":
      return {
        status,
        body: { NeutronError: { type: kind ?? neutronErrorType(status), message, detail: "" } },
      };
    case "image":
      return glanceErrorReply(status, message, accept);
    default:
      return { status, body: { error: { code: status, title: reasonPhrase(status), message } } };
  }
}

/** Glance errors are webob exceptions: HTML unless the client asks for JSON only. */
function glanceErrorReply(status: number, message: string, accept: string): Reply {
  const title = reasonPhrase(status);
  const wantsJson =
    accept.includes("application/json") && !accept.includes("html") && !accept.includes("*/*");
  if (wantsJson) {
    return {
      status,
      body: { message: `${message}<br /><br />\n\n\n`, code: `${status} ${title}`, title },
    };
  }
  const html =
    `<html>\n <head>\n  <title>${status} ${title}</title>\n </head>\n <body>\n  <h1>${status} ${title}</h1>\n` +
    `  ${message}<br /><br />\n\n\n\n </body>\n</html>`;
  return { status, body: html, headers: { "Content-Type": "text/html; charset=UTF-8" } };
}

function neutronErrorType(status: number): string {
  if (status === 404) return "HTTPNotFound";
  if (status === 400) return "HTTPBadRequest";
  if (status === 409) return "HTTPConflict";
  if (status === 403) return "HTTPForbidden";
  return "HTTPInternalServerError";
}
