// The real Keystone and Glance (Debian's packages) as child processes of
// localcloud in `<stateDir>/real`: a private MariaDB on a unix socket,
// keystone-wsgi-public under uwsgi and glance-api on loopback ports.
// Stopping them leaves no process behind; their data stays in the state dir.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { glanceConf, keystoneConf, realPaths, type RealPaths } from "./config";
import { KeystoneApi } from "./keystoneApi";
import { ServiceProcess, freePort, killStaleGroups, runStep } from "./processes";

/** The commands the real services need (Debian packages keystone, glance-api, mariadb-server, uwsgi-plugin-python3). */
export const REAL_SERVICE_COMMANDS = [
  "mariadbd",
  "mariadb-install-db",
  "mariadb",
  "keystone-manage",
  "keystone-wsgi-public",
  "uwsgi",
  "glance-api",
  "glance-manage",
];

/** Why the real services cannot run here (a missing command), or undefined. */
export function missingRealServices(): string | undefined {
  const path = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin"]);
  const missing = REAL_SERVICE_COMMANDS.filter((c) => !path.some((d) => existsSync(join(d, c))));
  if (!existsSync("/usr/lib/uwsgi/plugins/python3_plugin.so")) missing.push("uwsgi python3 plugin");
  return missing.length
    ? `the real services need ${missing.join(", ")} (Debian packages keystone, glance-api, mariadb-server, uwsgi-plugin-python3)`
    : undefined;
}

export interface RealServices {
  /** http://127.0.0.1:PORT, Keystone's root (its API under /v3). */
  keystoneUrl: string;
  /** http://127.0.0.1:PORT, Glance's root (its API under /v2). */
  glanceUrl: string;
  keystone: KeystoneApi;
  /** True when Keystone's database was made by this start (identities still to be created). */
  fresh: boolean;
  paths: RealPaths;
  stop(): Promise<void>;
}

interface IdentityFile {
  adminPassword: string;
}

const PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;

export async function startRealServices(
  stateDir: string,
  opts: { tokenTtlSeconds: number; log: (line: string) => void },
): Promise<RealServices> {
  const paths = realPaths(join(stateDir, "real"));
  for (const dir of [
    paths.root,
    join(paths.root, "run"),
    paths.logs,
    join(paths.root, "keystone"),
    join(paths.root, "glance"),
    paths.glanceImages,
    paths.glanceStaging,
    paths.glanceTasks,
  ])
    mkdirSync(dir, { recursive: true });
  const env = { PATH };
  const cwd = paths.root;
  const run = join(paths.root, "run");
  for (const stale of killStaleGroups(run, paths.root))
    opts.log(`stopped ${stale}, left running by an earlier localcloud`);
  const started: ServiceProcess[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop();
  };
  try {
    const fresh = !existsSync(paths.identityFile);
    const t0 = Date.now();
    if (fresh) {
      await runStep(
        "mariadb-install-db",
        [
          "--no-defaults",
          `--datadir=${paths.mysqlData}`,
          "--user=root",
          "--auth-root-authentication-method=normal",
          "--skip-test-db",
        ],
        { cwd, env },
      );
    }
    const mysql = ServiceProcess.start(
      "mariadbd",
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${paths.mysqlData}`,
        `--socket=${paths.mysqlSocket}`,
        "--skip-networking",
        "--user=root",
        `--pid-file=${paths.root}/run/mysql.pid`,
        `--log-error=${paths.logs}/mariadb.log`,
        "--innodb-buffer-pool-size=64M",
        "--skip-log-bin",
      ],
      { cwd, logFile: `${paths.logs}/mariadb.out`, env, groupFile: join(run, "mariadbd.pgid") },
    );
    started.push(mysql);
    const sql = (statement: string) =>
      runStep("mariadb", ["--no-defaults", "-S", paths.mysqlSocket, "-uroot", "-e", statement], {
        cwd,
        env,
      });
    await mysql.waitReady(async () => (await sql("SELECT 1"), true), 30_000);

    const keystonePort = await freePort();
    const keystoneUrl = `http://127.0.0.1:${keystonePort}`;
    writeFileSync(paths.keystoneConf, keystoneConf(paths, opts.tokenTtlSeconds));
    const manage = (args: string[]) =>
      runStep("keystone-manage", ["--config-file", paths.keystoneConf, ...args], { cwd, env });
    let identity: IdentityFile;
    if (fresh) {
      await sql("CREATE DATABASE keystone; CREATE DATABASE glance;");
      identity = { adminPassword: randomBytes(18).toString("base64url") };
      await manage(["db_sync"]);
      await manage(["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"]);
      await manage(["credential_setup", "--keystone-user", "root", "--keystone-group", "root"]);
      // The password goes in the environment (keystone-manage reads
      // OS_BOOTSTRAP_PASSWORD): on the command line it would show in an error,
      // and argparse takes a value starting with "-" for an option.
      await runStep(
        "keystone-manage",
        [
          "--config-file",
          paths.keystoneConf,
          "bootstrap",
          "--bootstrap-public-url",
          `${keystoneUrl}/v3`,
          "--bootstrap-region-id",
          "RegionOne",
        ],
        { cwd, env: { ...env, OS_BOOTSTRAP_PASSWORD: identity.adminPassword } },
      );
      writeFileSync(paths.identityFile, JSON.stringify(identity), { mode: 0o600 });
    } else {
      identity = JSON.parse(readFileSync(paths.identityFile, "utf8")) as IdentityFile;
    }
    const keystone = ServiceProcess.start(
      "keystone",
      "uwsgi",
      [
        "--plugins",
        "python3",
        "--http-socket",
        `127.0.0.1:${keystonePort}`,
        "--wsgi-file",
        "/usr/bin/keystone-wsgi-public",
        "--master",
        "--processes",
        "2",
        "--threads",
        "4",
        "--enable-threads",
        "--die-on-term",
        "--need-app",
        "--buffer-size",
        "65535",
        // uwsgi's http-socket does not keep connections alive: tell clients so (as Debian's glance ini does)
        "--add-header",
        "Connection: close",
        "--env",
        `OS_KEYSTONE_CONFIG_FILES=${paths.keystoneConf}`,
        "--pidfile",
        `${paths.root}/run/keystone.pid`,
      ],
      {
        cwd,
        logFile: `${paths.logs}/keystone-uwsgi.log`,
        env,
        groupFile: join(run, "keystone.pgid"),
      },
    );
    started.push(keystone);
    await keystone.waitReady(async () => (await fetch(`${keystoneUrl}/v3`)).status === 200, 60_000);

    const glancePort = await freePort();
    const glanceUrl = `http://127.0.0.1:${glancePort}`;
    writeFileSync(
      paths.glanceConf,
      glanceConf(paths, glancePort, keystoneUrl, { password: identity.adminPassword }),
    );
    if (fresh)
      await runStep("glance-manage", ["--config-file", paths.glanceConf, "db_sync"], { cwd, env });
    const glance = ServiceProcess.start(
      "glance-api",
      "glance-api",
      ["--config-file", paths.glanceConf],
      {
        cwd,
        logFile: `${paths.logs}/glance-api.out`,
        env,
        groupFile: join(run, "glance-api.pgid"),
      },
    );
    started.push(glance);
    await glance.waitReady(async () => (await fetch(`${glanceUrl}/versions`)).ok, 60_000);
    opts.log(
      `real Keystone ${keystoneUrl} and Glance ${glanceUrl} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return {
      keystoneUrl,
      glanceUrl,
      keystone: new KeystoneApi(keystoneUrl, identity.adminPassword),
      fresh,
      paths,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
