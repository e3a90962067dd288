// localcloud's own routes: `/` (what this is) and `/localcloud/admin/...`
// (request log, faults, the raw records); no authentication, loopback only.
import type { FaultSpec, Faults } from "./faults";
import { ApiError, type RequestLog, type RouteEntry } from "./http";
import type { Store } from "./state";

export const rootRoutes: RouteEntry[] = [
  [
    "GET",
    "/",
    () => ({
      status: 200,
      body: {
        name: "localcloud",
        services: ["identity", "compute", "volume", "image", "network"],
        admin: "/localcloud/admin",
      },
    }),
  ],
];

export function adminRoutes(requestLog: RequestLog, faults: Faults, store: Store): RouteEntry[] {
  const A = "/localcloud/admin";
  return [
    ["GET", `${A}/requests`, () => ({ status: 200, body: { requests: requestLog.entries } })],
    [
      "DELETE",
      `${A}/requests`,
      () => {
        requestLog.clear();
        return { status: 204 };
      },
    ],
    [
      "POST",
      `${A}/faults`,
      (ctx) => {
        try {
          faults.apply(ctx.json<FaultSpec>());
        } catch (e) {
          throw new ApiError(400, (e as Error).message);
        }
        return { status: 204 };
      },
    ],
    [
      "DELETE",
      `${A}/faults`,
      () => {
        faults.clear();
        return { status: 204 };
      },
    ],
    ["GET", `${A}/state`, () => ({ status: 200, body: store.records })],
  ];
}
