// `npm run localcloud [-- --state-dir DIR --port N --octet N --real-services]`: runs localcloud in the foreground.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalCloud } from "./index";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "state-dir": { type: "string", default: join(process.cwd(), ".state", "localcloud") },
      port: { type: "string", default: "8780" },
      octet: { type: "string", default: "10" },
      "token-ttl": { type: "string", default: "3600" },
      "real-services": { type: "boolean", default: false },
    },
  });
  const started = Date.now();
  const cloud = await startLocalCloud({
    stateDir: values["state-dir"]!,
    port: Number(values.port),
    octet: Number(values.octet),
    tokenTtlSeconds: Number(values["token-ttl"]),
    realServices: values["real-services"],
    log: (l) =>
      process.stderr.write(`[localcloud ${new Date().toISOString().slice(11, 19)}] ${l}\n`),
  });
  const out = [
    `localcloud is listening on ${cloud.url} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `state: ${cloud.stateDir}`,
    `servers: fixed IPs 127.${cloud.octet}.0.x, floating IPs 127.${cloud.octet}.1.x (ssh port 22)`,
    `default image: ${cloud.baseImageId ?? "(none)"}`,
    ...(cloud.realServices
      ? [
          `real Keystone: ${cloud.realServices.keystoneUrl}, real Glance: ${cloud.realServices.glanceUrl}`,
        ]
      : []),
    "",
    "Use it with:",
    `  export OS_CLIENT_CONFIG_FILE=${cloud.cloudsYamlPath}`,
    `  export OS_CLOUD=${cloud.clouds.staging}     # or ${cloud.clouds.production}, ${cloud.clouds.appcred}`,
    "  openstack image list",
    "",
    `Admin (faults, request log): ${cloud.url}/localcloud/admin/{faults,requests}`,
    "Stop with Ctrl-C.",
  ];
  process.stdout.write(out.join("\n") + "\n");
  const stop = () => {
    process.stderr.write("stopping localcloud...\n");
    void cloud.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`localcloud: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
