/**
 * `npm run demo`: the whole flow on this machine, in one command. Checks the
 * machine first (root, namespaces, debootstrap, sshd, ssh, ip, tar, ...;
 * scripts/prerequisites.ts) and installs missing Debian packages when it
 * can, then builds the tools it uses (the Pulumi set only: no OpenTofu or
 * actionlint), starts localcloud, runs `pulumi up` of the `local` stack
 * (Pulumi.local.yaml: a fat image and an extra image on top of it, from the
 * fixture appliance), prints the outputs and a per-build summary, and stops
 * localcloud. `--keep` leaves everything running and says how to use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../tools/paths";
import { formatSummary, type ImagesOutput } from "./summary";
import { ensurePrerequisites } from "./prerequisites";
import { shellExports, startLocalProject } from "./localProject";

const say = (line: string) => process.stdout.write(`demo: ${line}\n`);

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const started = Date.now();

  say("checking this machine (root, namespaces, debootstrap, sshd, ssh, ip, tar, ...)");
  ensurePrerequisites(say);

  say("making sure the tools are there (npm run tools -- --without consumers)");
  const { execa } = await import("execa"); // ESM-only; this script is CommonJS
  await execa(
    "npx",
    ["tsx", path.join(repoRoot, "scripts", "tools.ts"), "--without", "consumers"],
    {
      stdio: ["ignore", "ignore", "inherit"],
      cwd: repoRoot,
    },
  );

  say("starting localcloud (the first start builds its Debian base image: a minute or two)");
  const project = await startLocalProject({
    label: "slurm-image-builder-demo",
    log: (line) => {
      if (/debootstrap|base image|listening/i.test(line)) say(`localcloud: ${line}`);
    },
  });
  let ok = false;
  try {
    say(
      `localcloud at ${project.cloud.url}; state, appliance copy and Pulumi backend in ${project.dir}`,
    );
    const config = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.local.yaml"), "utf8"))
      .config as Record<string, unknown>;
    const stack = await project.stack("local", config);
    say("pulumi up -s local (a fat build, then an extra build on top of it)");
    const result = await stack.up({ color: "auto", onOutput: (out) => process.stdout.write(out) });
    const outputs = await stack.outputs();
    process.stdout.write("\nStack outputs:\n");
    for (const [name, output] of Object.entries(outputs)) {
      if (name !== "images") process.stdout.write(`  ${name}: ${JSON.stringify(output.value)}\n`);
    }
    process.stdout.write(`\n${formatSummary(outputs.images.value as ImagesOutput)}\n`);
    say(
      `pulumi up: ${result.summary.result}; demo took ${Math.round((Date.now() - started) / 1000)} s`,
    );
    ok = true;
  } finally {
    if (keep) {
      say(
        "--keep: localcloud is still running in this process; press Ctrl-C to stop it. In another terminal:",
      );
      process.stdout.write(
        `\n${shellExports(project)}\ncd ${project.projectDir}\npulumi stack output -s local\nopenstack image list\n\n`,
      );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      await project.stop(true);
      say(`stopped; the state stays in ${project.dir}`);
    } else {
      await project.stop(false);
      say(ok ? "localcloud stopped; nothing left behind" : "localcloud stopped");
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
