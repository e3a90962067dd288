// localcloud: an OpenStack-API-compatible cloud on one machine. startLocalCloud()
// wires the services onto one HTTP listener on loopback and returns handles for tests.
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { stringify as toYaml } from "yaml";
import { BASE_IMAGE_NAME, defaultCacheDir, ensureBaseImage } from "./baseimage";
import { Cloud } from "./cloud";
import { COMPUTE_MAX_MICROVERSION, ComputeService, parseMicroversion } from "./compute";
import { FaultSpec, Faults } from "./faults";
import {
  ApiError,
  Ctx,
  Reply,
  Router,
  errorReply,
  makeCtx,
  readBody,
  send,
  serviceOf,
} from "./http";
import { Identity, REGION, Token } from "./identity";
import { ImageService } from "./image";
import { DiskStore } from "./imagestore";
import { NetworkService } from "./network";
import { Runner } from "./runner";
import { Store } from "./state";
import { VolumeService } from "./volume";

export { BASE_IMAGE_NAME } from "./baseimage";
export { DEFAULT_USER, DEFAULT_USER_PROPERTY } from "./compute";
export type { FailRule, LatencyRule, Target, FaultSpec } from "./faults";

export interface LocalCloudOptions {
  /** Directory holding all state (records, volume trees, image archives, clouds.yaml). */
  stateDir: string;
  /** TCP port on 127.0.0.1 (0: any free port). */
  port?: number;
  /** Second octet of the addresses of servers: fixed 127.N.0.x, floating 127.N.1.x, sshd 127.N.2.x. */
  octet?: number;
  /** Register the Debian base image (building it with debootstrap if not cached). Default true. */
  baseImage?: boolean;
  baseImageName?: string;
  cacheDir?: string;
  tokenTtlSeconds?: number;
  /** Volumes from images carrying `signature_verified` fail, as OpenStack bug 1823445. Default true. */
  emulateSignatureVerifiedBug?: boolean;
  /** Delay of asynchronous status transitions (ms). Default 300. */
  transitionMs?: number;
  /** Progress and server-side log lines (default: stderr). */
  log?: (line: string) => void;
}

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  status: number;
  service: string;
  /** No route served this call. */
  unserved: boolean;
}

export interface CloudsYamlEntry {
  name: string;
  project: string;
  user: string;
}

export interface LocalCloud {
  url: string;
  port: number;
  stateDir: string;
  cloudsYamlPath: string;
  /** Names of the clouds.yaml entries: staging (password), production (password), staging (application credential). */
  clouds: { staging: string; production: string; appcred: string };
  projects: { staging: string; production: string };
  baseImageId: string | undefined;
  octet: number;
  faults: Faults;
  /** Requests served so far (method, path, status). */
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Environment for clients: OS_CLIENT_CONFIG_FILE and OS_CLOUD. */
  env(cloud?: string): Record<string, string>;
  stop(): Promise<void>;
}

const MAX_LOG = 100_000;

function buildRouter(): Router {
  return new Router();
}

function killStale(stateDir: string, log: (l: string) => void): void {
  const dir = join(stateDir, "servers");
  if (!existsSync(dir)) return;
  for (const id of readdirSync(dir)) {
    const pidFile = join(dir, id, "pid");
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.startsWith("unshare") && cmd.includes(stateDir)) {
        process.kill(pid, "SIGKILL");
        log(`killed stale server process ${pid} (server ${id})`);
      }
    } catch {
      // gone already
    }
  }
}

export async function startLocalCloud(opts: LocalCloudOptions): Promise<LocalCloud> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`localcloud: ${l}\n`));
  const stateDir = resolve(opts.stateDir);
  mkdirSync(stateDir, { recursive: true });
  killStale(stateDir, log);
  const fresh = !existsSync(join(stateDir, "state.json"));
  const store = Store.open(stateDir, opts.octet ?? 20 + Math.floor(Math.random() * 230));
  const octet = Number(store.records.subnets[0].cidr.split(".")[1]);
  const disk = new DiskStore(stateDir);
  let baseUrl = "";
  const identity = new Identity(store, () => baseUrl, opts.tokenTtlSeconds ?? 3600);
  const runner = new Runner(log);
  const faults = new Faults();
  const cloud = new Cloud(
    store,
    disk,
    identity,
    runner,
    faults,
    octet,
    stateDir,
    () => baseUrl,
    log,
    {
      emulateSignatureVerifiedBug: opts.emulateSignatureVerifiedBug ?? true,
      transitionMs: opts.transitionMs ?? 300,
    },
  );
  const images = new ImageService(cloud);
  const volumes = new VolumeService(cloud, images);
  const network = new NetworkService(cloud);
  const compute = new ComputeService(cloud, images, volumes, network);
  const requestLog: RequestRecord[] = [];

  faults.hooks = {
    serverToError: (id) => {
      const s = store.records.servers.find((x) => x.id === id);
      if (s) compute.toError(s, "Injected fault: server went to ERROR.");
    },
    volumeToError: (id) => {
      const v = store.records.volumes.find((x) => x.id === id);
      if (v) {
        v.status = "error";
        store.save();
      }
    },
    refuseSsh: (id, ms) => runner.refuseSsh(id, ms),
    setSignatureVerified: (id) => {
      const img = store.records.images.find((x) => x.id === id);
      if (!img) throw new Error(`no image ${id}`);
      img.properties.signature_verified = "False";
      store.save();
    },
    expireTokens: () => identity.expireAll(),
    clearRefusals: () => runner.clearRefusals(),
  };

  const router = buildRouter();
  const auth = (ctx: Ctx): Token => identity.authenticate(ctx);
  identity.routes(router);
  compute.routes(router, auth);
  volumes.routes(router, auth);
  images.routes(router, auth);
  network.routes(router, auth);
  router.add("root", "GET", "/", () => ({
    status: 200,
    body: {
      name: "localcloud",
      services: ["identity", "compute", "volume", "image", "network"],
      admin: "/localcloud/admin",
    },
  }));
  router.add("admin", "GET", "/localcloud/admin/requests", () => ({
    status: 200,
    body: { requests: requestLog },
  }));
  router.add("admin", "DELETE", "/localcloud/admin/requests", () => {
    requestLog.length = 0;
    return { status: 204 };
  });
  router.add("admin", "POST", "/localcloud/admin/faults", (ctx) => {
    try {
      faults.apply(ctx.json<FaultSpec>());
    } catch (e) {
      throw new ApiError(400, (e as Error).message);
    }
    return { status: 204 };
  });
  router.add("admin", "DELETE", "/localcloud/admin/faults", () => {
    faults.clear();
    return { status: 204 };
  });
  router.add("admin", "GET", "/localcloud/admin/state", () => ({
    status: 200,
    body: store.records,
  }));

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const service = serviceOf(path);
      const method = req.method ?? "GET";
      let reply: Reply;
      let unserved = false;
      let ctx: Ctx | undefined;
      try {
        const raw = await readBody(req);
        ctx = makeCtx(req, raw, service);
        const delay = faults.takeLatency(method, path);
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const failure = service === "admin" ? undefined : faults.takeFailure(method, path);
        const match = router.match(method, path);
        if (failure) {
          reply = errorReply(
            service,
            failure.status,
            failure.message ?? `Injected fault: ${failure.status}`,
            undefined,
            ctx.header("accept"),
          );
        } else if (!match.route) {
          if (match.methods.length > 0) {
            reply = errorReply(
              service,
              405,
              `The method ${method} is not allowed for this resource.`,
              undefined,
              ctx.header("accept"),
            );
            reply.headers = { ...reply.headers, Allow: match.methods.join(", ") };
          } else {
            unserved = true;
            log(`UNSERVED ${method} ${req.url ?? path}`);
            reply = errorReply(
              service,
              404,
              "The resource could not be found.",
              undefined,
              ctx.header("accept"),
            );
          }
        } else {
          ctx.params = match.params;
          if (service === "compute") parseMicroversion(ctx);
          reply = await match.route.handler(ctx);
        }
      } catch (e) {
        if (e instanceof ApiError) {
          reply = errorReply(service, e.status, e.message, e.kind, ctx?.header("accept"));
          reply.headers = { ...reply.headers, ...e.headers };
        } else {
          log(
            `error in ${method} ${path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          );
          reply = errorReply(
            service,
            500,
            "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.",
            service === "compute" ? "computeFault" : undefined,
          );
        }
      }
      const requestId = ctx?.requestId ?? "req-unknown";
      const headers: Record<string, string> = {
        "X-Openstack-Request-Id": requestId,
        Date: new Date().toUTCString(),
      };
      if (service === "compute" && ctx) {
        let v = "2.1";
        try {
          v = `2.${parseMicroversion(ctx)[1]}`;
        } catch {
          v = COMPUTE_MAX_MICROVERSION;
        }
        Object.assign(headers, {
          "X-Compute-Request-Id": requestId,
          "OpenStack-API-Version": `compute ${v}`,
          "X-OpenStack-Nova-API-Version": v,
          Vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
        });
      }
      if (service === "volume" && ctx) {
        const asked = ctx.header("openstack-api-version")?.match(/volume\s+(\S+)/)?.[1];
        headers["OpenStack-API-Version"] =
          `volume ${asked === "latest" ? "3.70" : (asked ?? "3.0")}`;
        headers.Vary = "OpenStack-API-Version";
      }
      if (service === "network") headers["X-Openstack-Request-Id"] = requestId;
      requestLog.push({
        time: new Date().toISOString(),
        method,
        path: req.url ?? path,
        status: reply.status,
        service,
        unserved,
      });
      // a long-running cloud keeps the most recent calls only
      if (requestLog.length > MAX_LOG) requestLog.splice(0, requestLog.length - MAX_LOG);
      send(res, reply, headers);
    })();
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () =>
      resolvePort((server.address() as AddressInfo).port),
    );
  });
  baseUrl = `http://127.0.0.1:${port}`;

  let baseImageId: string | undefined;
  try {
    if (opts.baseImage ?? true) {
      const name = opts.baseImageName ?? BASE_IMAGE_NAME;
      const existing = store.records.images.find((i) => i.name === name);
      if (existing) baseImageId = existing.id;
      else {
        const archive = await ensureBaseImage(opts.cacheDir ?? defaultCacheDir(), log);
        const admin = store.records.projects.find((p) => p.name === "admin")!;
        const img = images.createRecord(
          { project: { id: admin.id } },
          {
            name,
            visibility: "public",
            disk_format: "raw",
            container_format: "bare",
            min_disk: 1,
            properties: {
              os_distro: "debian",
              os_version: "12",
              localcloud_source: "debootstrap bookworm minbase",
              hw_architecture: "x86_64",
            },
          },
        );
        try {
          linkSync(archive, disk.imageFile(img.id));
        } catch {
          copyFileSync(archive, disk.imageFile(img.id));
        }
        await images.activate(img);
        baseImageId = img.id;
        store.saveNow();
      }
    }
    if (!fresh) await compute.resume();
  } catch (e) {
    server.close();
    throw e;
  }

  // pid files let a later start kill servers left behind by a crash
  const pidTimer = setInterval(() => writePids(), 1000);
  const writePids = () => {
    for (const s of store.records.servers) {
      const dir = join(stateDir, "servers", s.id);
      if (!existsSync(dir)) continue;
      const pid = runner.pidOf(s.id);
      if (pid) writeFileSync(join(dir, "pid"), String(pid));
    }
  };

  const [staging, production] = ["staging", "production"].map((n) =>
    store.records.projects.find((p) => p.name === n)!,
  );
  const users = store.records.users;
  const userOf = (projectId: string) => users.find((u) => u.project_id === projectId)!;
  const appcred = store.records.appCredentials.find((a) => a.project_id === staging.id)!;
  const authUrl = `${baseUrl}/identity/v3`;
  const common = { region_name: REGION, interface: "public", identity_api_version: 3 };
  const pwEntry = (projectId: string, projectName: string) => ({
    auth: {
      auth_url: authUrl,
      username: userOf(projectId).name,
      password: userOf(projectId).password,
      project_name: projectName,
      user_domain_name: "Default",
      project_domain_name: "Default",
    },
    ...common,
  });
  const clouds = {
    staging: "localcloud",
    production: "localcloud-production",
    appcred: "localcloud-appcred",
  };
  const cloudsYamlPath = join(stateDir, "clouds.yaml");
  writeFileSync(
    cloudsYamlPath,
    toYaml({
      clouds: {
        [clouds.staging]: pwEntry(staging.id, "staging"),
        [clouds.production]: pwEntry(production.id, "production"),
        [clouds.appcred]: {
          auth_type: "v3applicationcredential",
          auth: {
            auth_url: authUrl,
            application_credential_id: appcred.id,
            application_credential_secret: appcred.secret,
          },
          ...common,
        },
      },
    }),
    { mode: 0o600 },
  );

  let stopped = false;
  return {
    url: baseUrl,
    port,
    stateDir,
    cloudsYamlPath,
    clouds,
    projects: { staging: staging.id, production: production.id },
    baseImageId,
    octet,
    faults,
    requests: () => [...requestLog],
    clearRequests: () => {
      requestLog.length = 0;
    },
    env: (cloudName = clouds.staging) => ({
      OS_CLIENT_CONFIG_FILE: cloudsYamlPath,
      OS_CLOUD: cloudName,
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(pidTimer);
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await cloud.drain();
      await runner.stopAll();
      store.saveNow();
    },
  };
}

export type { Token };
