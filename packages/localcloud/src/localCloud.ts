// startLocalCloud(): the services on one HTTP listener on loopback, the default
// image, clouds.yaml, and the handle tests and scripts use.
import { readFileSync, copyFileSync, existsSync, linkSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { adminRoutes, rootRoutes } from "./admin";
import { BASE_IMAGE_NAME, defaultCacheDir, ensureBaseImage } from "./baseImage";
import { CinderEmulator, volumeRoutes, volumeVersionHeaders } from "./cinder";
import { Cloud } from "./cloud";
import { CLOUD_NAMES, writeCloudsYaml } from "./cloudsYaml";
import { DiskStore } from "./diskStore";
import { Faults } from "./faults";
import { GlanceEmulator, imageRoutes } from "./glance";
import { RequestLog, Router, createApiServer, type RequestRecord } from "./http";
import { KeystoneEmulator, identityRoutes } from "./keystone";
import { NeutronEmulator, networkRoutes } from "./neutron";
import { NovaEmulator, computeRoutes, computeVersionHeaders, parseMicroversion } from "./nova";
import { keepPidFiles, killStaleServers } from "./serverPids";
import { ServerRunner } from "./serverRunner";
import { Store } from "./state";
import type { Quotas } from "./quotas";
import { ensureCertificates } from "./tls";
import {
  RealMode,
  adoptIds,
  catalogEndpoints,
  createIdentities,
  registerCatalog,
  startRealServices,
  type RealServices,
} from "./real";

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
  /**
   * Serve the API over HTTPS with a certificate of a CA localcloud makes
   * (`<stateDir>/tls/ca.pem`, named by clouds.yaml `cacert:`). Default false.
   */
  https?: boolean;
  /**
   * Host name in the cloud's URLs (default 127.0.0.1). A name that does not
   * resolve (e.g. `localcloud.proxied`) makes the cloud reachable through a
   * proxy only (testing/proxy.ts maps it to 127.0.0.1).
   */
  hostName?: string;
  /**
   * Identity and image are the real Keystone and Glance (Debian's packages),
   * started as child processes in `<stateDir>/real` on a private MariaDB; Nova,
   * Cinder and Neutron stay localcloud's and validate tokens against that
   * Keystone. Default false (localcloud's own Keystone and Glance).
   */
  realServices?: boolean;
}

export interface LocalCloud {
  url: string;
  port: number;
  stateDir: string;
  cloudsYamlPath: string;
  /** With `https`: the CA certificate (PEM file) that signed the API's certificate. */
  caFile?: string;
  /** Names of the clouds.yaml entries: staging (password), production (password), staging (application credential), staging as a user of domain hpc. */
  clouds: { staging: string; production: string; appcred: string; domain: string };
  projects: { staging: string; production: string };
  baseImageId: string | undefined;
  octet: number;
  faults: Faults;
  /** Per-project quotas: `quotas.set(projects.staging, { instances: 1 })` lowers them; `clear()` restores the defaults. */
  quotas: Quotas;
  /** Requests served so far (method, path, status). */
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Environment for clients: OS_CLIENT_CONFIG_FILE and OS_CLOUD. */
  env(cloud?: string): Record<string, string>;
  /** In real-services mode: where the real Keystone and Glance listen (http://127.0.0.1:PORT). */
  realServices?: { keystoneUrl: string; glanceUrl: string };
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const log = options.log ?? ((line: string) => process.stderr.write(`localcloud: ${line}\n`));
  const stateDir = resolve(options.stateDir);
  mkdirSync(stateDir, { recursive: true });
  killStaleServers(stateDir, log);
  const fresh = !existsSync(join(stateDir, "state.json"));
  const store = Store.open(stateDir, options.octet ?? freeOctet());
  const octet = Number(store.records.subnets[0].cidr.split(".")[1]);
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  const real: RealServices | undefined = options.realServices
    ? await startRealServices(stateDir, { tokenTtlSeconds, log })
    : undefined;
  try {
    return await startServices(options, { log, stateDir, fresh, store, octet, real });
  } catch (e) {
    await real?.stop();
    throw e;
  }
}

async function startServices(
  options: LocalCloudOptions,
  started: {
    log: (line: string) => void;
    stateDir: string;
    fresh: boolean;
    store: Store;
    octet: number;
    real: RealServices | undefined;
  },
): Promise<LocalCloud> {
  const { log, stateDir, fresh, store, octet, real } = started;
  let baseUrl = "";
  const keystone = new KeystoneEmulator(store, () => baseUrl, options.tokenTtlSeconds ?? 3600);
  if (real) keystone.authUri = `${real.keystoneUrl}/v3`;
  if (real?.fresh) {
    // Keystone chose the ids of localcloud's projects, users and credentials.
    store.records = adoptIds(store.records, await createIdentities(real.keystone, store.records));
    store.saveNow();
  }
  const runner = new ServerRunner(log);
  const faults = new Faults();
  const cloud = new Cloud({
    store,
    disk: new DiskStore(stateDir),
    keystone,
    runner,
    faults,
    octet,
    stateDir,
    baseUrl: () => baseUrl,
    log,
    options: {
      emulateSignatureVerifiedBug: options.emulateSignatureVerifiedBug ?? true,
      transitionMs: options.transitionMs ?? 300,
    },
  });
  const glance = new GlanceEmulator(cloud);
  const cinder = new CinderEmulator(cloud);
  const neutron = new NeutronEmulator(cloud);
  const nova = new NovaEmulator(cloud, glance, cinder, neutron);
  if (real) cloud.real = new RealMode(cloud, real);
  faults.hooks = faultHooks(cloud, nova);

  const requestLog = new RequestLog();
  const authenticate = keystone.authenticate.bind(keystone);
  const router = new Router();
  // In real-services mode identity and image are not served here (the catalog names the real ones).
  if (!real) router.addAll("identity", identityRoutes(keystone));
  router.addAll("compute", computeRoutes(nova, authenticate));
  router.addAll("volume", volumeRoutes(cinder, glance, authenticate));
  if (!real) router.addAll("image", imageRoutes(glance, authenticate));
  router.addAll("network", networkRoutes(neutron, authenticate));
  router.addAll("root", rootRoutes);
  router.addAll("admin", adminRoutes(requestLog, faults, store));

  const tls = options.https
    ? ensureCertificates(join(stateDir, "tls"), options.hostName)
    : undefined;
  const server = createApiServer({
    router,
    faults,
    requestLog,
    log,
    tls,
    tokenScope: (id) => keystone.validToken(id)?.project.name,
    beforeRoute: cloud.real?.beforeRoute,
    services: {
      compute: { beforeHandler: parseMicroversion, headers: computeVersionHeaders },
      volume: { headers: volumeVersionHeaders },
    },
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () =>
      resolvePort((server.address() as AddressInfo).port),
    );
  });
  baseUrl = `${tls ? "https" : "http"}://${options.hostName ?? "127.0.0.1"}:${port}`;

  let baseImageId: string | undefined;
  try {
    if (real)
      await registerCatalog(
        real.keystone,
        catalogEndpoints(baseUrl, real.keystoneUrl, real.glanceUrl),
      );
    const baseImageName = options.baseImageName ?? BASE_IMAGE_NAME;
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    if ((options.baseImage ?? true) && cloud.real)
      baseImageId = await cloud.real.registerBaseImage(baseImageName, () =>
        ensureBaseImage(cacheDir, log),
      );
    else if (options.baseImage ?? true)
      baseImageId = await registerBaseImage(glance, baseImageName, cacheDir);
    if (!fresh) await nova.resume();
  } catch (e) {
    server.close();
    throw e;
  }

  const stopPidFiles = keepPidFiles(stateDir, store, runner);
  const cloudsYamlPath = writeCloudsYaml(
    stateDir,
    real ? `${real.keystoneUrl}/v3` : `${baseUrl}/identity/v3`,
    store.records,
    tls?.caFile,
  );
  const projectId = (name: string) => store.records.projects.find((p) => p.name === name)!.id;
  let stopping: Promise<void> | undefined;
  const stopAll = async () => {
    stopPidFiles();
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
    await cloud.drain();
    await runner.stopAll();
    await real?.stop();
    store.saveNow();
  };
  return {
    url: baseUrl,
    port,
    stateDir,
    cloudsYamlPath,
    caFile: tls?.caFile,
    clouds: { ...CLOUD_NAMES },
    projects: { staging: projectId("staging"), production: projectId("production") },
    baseImageId,
    octet,
    faults,
    quotas: cloud.quotas,
    // with the real Glance: its calls too (from its access log), in time order
    requests: () =>
      cloud.real
        ? [...requestLog.entries, ...cloud.real.requests()].sort((a, b) =>
            a.time.localeCompare(b.time),
          )
        : [...requestLog.entries],
    clearRequests: () => {
      requestLog.clear();
      cloud.real?.clearRequests();
    },
    env: (cloudName = CLOUD_NAMES.staging) => ({
      OS_CLIENT_CONFIG_FILE: cloudsYamlPath,
      OS_CLOUD: cloudName,
    }),
    realServices: real ? { keystoneUrl: real.keystoneUrl, glanceUrl: real.glanceUrl } : undefined,
    // A second call (a second Ctrl-C) waits for the first: nothing may be left running.
    stop: () => (stopping ??= stopAll()),
  };
}

/** The faults that act on live resources, wired to the services. */
function faultHooks(cloud: Cloud, nova: NovaEmulator): Faults["hooks"] {
  const { store, runner, keystone } = cloud;
  return {
    serverToError: (id) => {
      const server = store.records.servers.find((s) => s.id === id);
      if (server) nova.toError(server, "Injected fault: server went to ERROR.");
    },
    volumeToError: (id) => {
      const volume = store.records.volumes.find((v) => v.id === id);
      if (volume) {
        volume.status = "error";
        store.save();
      }
    },
    refuseSsh: (id, ms) => runner.refuseSsh(id, ms),
    setSignatureVerified: (id) => {
      const image = store.records.images.find((i) => i.id === id);
      if (!image) throw new Error(`no image ${id}`);
      image.properties.signature_verified = "False";
      store.save();
    },
    expireTokens: () => {
      if (cloud.real)
        throw new Error("expireTokens: the real Keystone's tokens cannot be expired early");
      keystone.expireAll();
    },
    revokeTokens: () => (cloud.real ? void cloud.real.revokeSeenTokens() : keystone.revokeAll()),
    clearRefusals: () => runner.clearRefusals(),
  };
}

/**
 * The default image (owner admin, public), registered once per state directory
 * from the cached debootstrap archive (built first when missing); returns its id.
 */
async function registerBaseImage(
  glance: GlanceEmulator,
  name: string,
  cacheDir: string,
): Promise<string> {
  const { cloud, records } = glance;
  const existing = records.images.find((i) => i.name === name);
  if (existing) return existing.id;
  const archive = await ensureBaseImage(cacheDir, cloud.log);
  const admin = records.projects.find((p) => p.name === "admin")!;
  const image = glance.createRecord(
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
    linkSync(archive, cloud.disk.imageFile(image.id));
  } catch {
    copyFileSync(archive, cloud.disk.imageFile(image.id));
  }
  await glance.activate(image);
  cloud.store.saveNow();
  return image.id;
}

/**
 * A second octet (127.N.x.y) that no other cloud on this machine uses: clouds
 * of test files running in parallel must not share server addresses. Busy
 * means some socket is bound to an address in 127.N.0.0/16 (/proc/net/tcp).
 */
function freeOctet(): number {
  let busy = new Set<number>();
  try {
    busy = new Set(
      readFileSync("/proc/net/tcp", "utf8")
        .split("\n")
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[1] ?? "")
        // local_address is the IPv4 address as little-endian hex: 7F in the last byte pair.
        .filter((address) => address.slice(6, 8) === "7F")
        .map((address) => parseInt(address.slice(4, 6), 16)),
    );
  } catch {
    // Not Linux's procfs: fall back to chance.
  }
  const candidates = Array.from({ length: 230 }, (_, i) => 20 + i).filter((o) => !busy.has(o));
  const pool = candidates.length ? candidates : [20 + Math.floor(Math.random() * 230)];
  return pool[Math.floor(Math.random() * pool.length)];
}
