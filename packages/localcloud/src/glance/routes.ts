// Glance v2's route table (order matters: the first match serves a request).
import type { Cloud } from "../cloud";
import { authenticated, ok, type RouteEntry } from "../http";
import type { Authenticate, TokenHandler } from "../keystone";
import type { GlanceEmulator } from "./glance";
import { ImageDataHandlers } from "./imageData";
import { ImageHandlers } from "./images";
import { MemberHandlers } from "./members";
import { TagHandlers } from "./tags";
import { imageSchema, imagesSchema, memberSchema, membersSchema, versionsView } from "./views";

export function imageRoutes(glance: GlanceEmulator, authenticate: Authenticate): RouteEntry[] {
  const cloud: Cloud = glance.cloud;
  const withToken = (handler: TokenHandler) => authenticated(authenticate, handler);
  const images = new ImageHandlers(glance);
  const data = new ImageDataHandlers(glance);
  const tags = new TagHandlers(glance, authenticate);
  const members = new MemberHandlers(glance);
  const V2 = "/image/v2";

  return [
    ["GET", "/image", () => ({ status: 300, body: versionsView(cloud.baseUrl()) })],
    ["GET", "/image/versions", () => ok(versionsView(cloud.baseUrl()))],
    ["GET", `${V2}/images`, withToken(images.list)],
    ["GET", `${V2}/images/:id`, withToken(images.show)],
    ["POST", `${V2}/images`, withToken(images.create)],
    ["PATCH", `${V2}/images/:id`, withToken(images.update)],
    ["DELETE", `${V2}/images/:id`, withToken(images.remove)],
    ["PUT", `${V2}/images/:id/file`, withToken(data.upload)],
    ["GET", `${V2}/images/:id/file`, withToken(data.download)],
    ["PUT", `${V2}/images/:id/tags/:tag`, tags.add],
    ["DELETE", `${V2}/images/:id/tags/:tag`, tags.remove],
    ["POST", `${V2}/images/:id/actions/deactivate`, withToken(images.deactivate)],
    ["POST", `${V2}/images/:id/actions/reactivate`, withToken(images.reactivate)],
    ["GET", `${V2}/images/:id/members`, withToken(members.list)],
    ["POST", `${V2}/images/:id/members`, withToken(members.create)],
    ["GET", `${V2}/images/:id/members/:member`, withToken(members.show)],
    ["PUT", `${V2}/images/:id/members/:member`, withToken(members.update)],
    ["DELETE", `${V2}/images/:id/members/:member`, withToken(members.remove)],
    ["GET", `${V2}/schemas/image`, () => ok(imageSchema("image"))],
    ["GET", `${V2}/schemas/images`, () => ok(imagesSchema())],
    ["GET", `${V2}/schemas/member`, () => ok(memberSchema())],
    ["GET", `${V2}/schemas/members`, () => ok(membersSchema())],
    ["GET", `${V2}/info/stores`, withToken(() => ok({ stores: [{ id: "file", default: true }] }))],
    [
      "GET",
      `${V2}/info/import`,
      withToken(() =>
        ok({
          "import-methods": {
            description: "Import methods available.",
            type: "array",
            value: ["glance-direct"],
          },
        }),
      ),
    ],
  ];
}
