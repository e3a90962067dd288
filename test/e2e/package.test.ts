/**
 * The npm package as a site uses it (README: "Install as a package"):
 * `npm pack` of this repository, installed offline into a scratch copy of the
 * fixture appliance; `slurm-image-builder init` writes the site directory
 * (environments/site/images/); the real `pulumi` CLI runs preview and up
 * there on localcloud, with no APPLIANCES_* variables, no tsx and no dev
 * dependencies: the program, its runners and the build stack all run from
 * the package's compiled JavaScript.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NO_BUILDER, startE2e, type E2e } from "./harness";
import { installIntoSite, packThisRepository } from "../helpers/sitePackage";

/** execa is ESM-only; this file is CommonJS. */
async function execa(file: string, args: string[], options: Record<string, unknown>) {
  const { execa: run } = await import("execa");
  return run(file, args, options);
}

interface ImageOut {
  imageId: string;
  imageName: string;
  fingerprint: string;
}

interface StateResource {
  type: string;
  urn: string;
  inputs?: Record<string, unknown>;
}

describe("end to end: the npm package installed into an appliance checkout", function () {
  this.timeout(30 * 60_000);
  let e2e: E2e;
  let appliance: string;
  let site: string;
  let env: Record<string, string>;
  let tarball: string;

  const pulumi = async (args: string[], reject = true) => {
    const res = await execa("pulumi", args, { cwd: site, env, extendEnv: false, reject });
    return res;
  };
  const bin = (dir: string) => path.join(dir, "node_modules", ".bin", "slurm-image-builder");
  const stateResources = async (): Promise<StateResource[]> =>
    (
      JSON.parse((await pulumi(["stack", "export", "--stack", "staging"])).stdout) as {
        deployment: { resources?: StateResource[] };
      }
    ).deployment.resources ?? [];

  before(async function () {
    e2e = await startE2e("package");
    tarball = packThisRepository();
    appliance = path.join(e2e.dir, "site-appliance");
    fs.cpSync(path.join(__dirname, "..", "fixtures", "appliance"), appliance, {
      recursive: true,
    });
    const git = (...args: string[]) =>
      execFileSync(
        "git",
        ["-C", appliance, "-c", "user.email=s@example.org", "-c", "user.name=s", ...args],
        { stdio: "ignore" },
      );
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "the site's fork of the appliance");
    // The engine's environment without the appliance variables or a state dir:
    // the site directory says where the appliance is and keeps its own state.
    env = Object.fromEntries(
      Object.entries({ ...process.env, ...e2e.env }).filter(
        ([k, v]) =>
          v !== undefined &&
          !k.startsWith("APPLIANCES_") &&
          k !== "IMAGE_BUILD_STATE_DIR" &&
          !k.startsWith("npm_") &&
          k !== "NODE_OPTIONS",
      ),
    ) as Record<string, string>;
  });
  after(async () => e2e && (await e2e.stop()));

  it("init --build <key>=<Packer var file> (the package's bin, run in the checkout) writes the site directory", async () => {
    // As `npx slurm-image-builder init` would: the package installed somewhere else first.
    const cli = path.join(e2e.dir, "npx");
    fs.mkdirSync(cli);
    fs.writeFileSync(
      path.join(cli, "package.json"),
      JSON.stringify({ name: "npx", private: true, dependencies: {} }),
    );
    installIntoSite(cli, tarball);
    // The site's Packer var file of this cloud (the fixture's LOCALCLOUD: the local stack's fat build).
    const res = await execa(
      bin(cli),
      ["init", "--build", "fat=../.stackhpc/LOCALCLOUD.pkrvars.hcl"],
      {
        cwd: path.join(appliance, "environments", "site"),
        env,
        extendEnv: false,
      },
    );
    site = path.join(appliance, "environments", "site", "images");
    assert.match(res.stderr, /wrote package\.json, Pulumi\.yaml, Pulumi\.staging\.yaml/);
    assert.match(res.stderr, /settings for 1 build\(s\) \(fat\)/);
    assert.deepEqual(fs.readdirSync(site).sort(), [
      ".gitignore",
      "Pulumi.staging.yaml",
      "Pulumi.yaml",
      "package.json",
    ]);
    const version = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"))
      .version as string;
    assert.deepEqual(
      JSON.parse(fs.readFileSync(path.join(site, "package.json"), "utf8")).dependencies,
      { "slurm-image-builder": version },
    );
  });

  it("the site installs the package offline: compiled JavaScript, no tsx, no dev dependencies", () => {
    installIntoSite(site, tarball);
    const pkg = path.join(site, "node_modules", "slurm-image-builder");
    for (const file of [
      "dist/index.js",
      "dist/runner/main.js",
      "dist/runner/worker.js",
      "dist/cli/main.js",
    ])
      assert.ok(fs.existsSync(path.join(pkg, file)), `${file} is not in the package`);
    assert.ok(
      !fs.existsSync(path.join(pkg, "runner", "main.ts")),
      "the package ships TypeScript source",
    );
    for (const dev of ["tsx", "typescript", "mocha", "ts-node"])
      assert.ok(!fs.existsSync(path.join(site, "node_modules", dev)), `${dev} was installed`);
    // The site's files are committed with the fork; node_modules is ignored.
    execFileSync("git", ["-C", appliance, "add", "-A"]);
    execFileSync("git", [
      "-C",
      appliance,
      "-c",
      "user.email=s@example.org",
      "-c",
      "user.name=s",
      "commit",
      "-qm",
      "images",
    ]);
    const tracked = execFileSync("git", ["-C", appliance, "ls-files", "environments/site/images"], {
      encoding: "utf8",
    });
    assert.deepEqual(tracked.trim().split("\n").sort(), [
      "environments/site/images/.gitignore",
      "environments/site/images/Pulumi.staging.yaml",
      "environments/site/images/Pulumi.yaml",
      "environments/site/images/package-lock.json",
      "environments/site/images/package.json",
    ]);
  });

  it("pulumi preview in the site directory shows the build; up builds it from the compiled runner", async () => {
    await pulumi(["stack", "init", "staging"]);
    // Imported from the var file: flavor, networks, source image, groups. Only a setting Packer had fixed:
    await pulumi(["config", "set", "slurm-image-builder:sshTimeoutMinutes", "3"]);
    const preview = await pulumi(["preview", "--diff", "--stack", "staging"]);
    assert.match(
      preview.stdout,
      /\+ command:local:Command: \(create\)\n\s*\[urn=[^\]]*::fat-image\]/,
    );
    assert.match(
      preview.stdout,
      /interpreter: \[\n\s*\[0\]: "node"\n\s*\[1\]: "node_modules\/slurm-image-builder\/dist\/runner\/main\.js"/,
    );

    e2e.cloud.clearRequests();
    const up = await pulumi(["up", "--yes", "--skip-preview", "--stack", "staging"]);
    assert.match(up.stdout, /builder removed/);
    const outputs = JSON.parse((await pulumi(["stack", "output", "--json"])).stdout) as {
      images: Record<string, ImageOut>;
      cluster_image_id: string;
      cluster_image: Record<string, string>;
    };
    const image = await e2e.osc.json<{ id: string; status: string; name: string }>([
      "image",
      "show",
      outputs.images.fat.imageId,
    ]);
    assert.equal(image.status, "active");
    assert.equal(outputs.cluster_image_id, image.id);
    assert.deepEqual(outputs.cluster_image, { fat: image.name });
    assert.deepEqual(await e2e.cloudResources(), NO_BUILDER);

    // The runner ran from the package, in the site directory: its logs are there.
    const resources = await stateResources();
    const command = resources.find((r) => r.urn.endsWith("::fat-image"))!;
    assert.deepEqual(command.inputs?.interpreter, [
      "node",
      "node_modules/slurm-image-builder/dist/runner/main.js",
    ]);
    assert.equal(command.inputs?.dir, site);
    assert.ok(fs.readdirSync(path.join(site, ".build-state", "logs", "staging")).length > 0);
  });

  it("a setting changed in the site's stack file is an update, never a rebuild", async () => {
    await pulumi(["config", "set", "slurm-image-builder:sshTimeoutMinutes", "4"]);
    const preview = JSON.parse((await pulumi(["preview", "--json"])).stdout) as {
      steps: { op: string; urn: string }[];
    };
    const ops = preview.steps.filter((s) => s.urn.endsWith("::fat-image")).map((s) => s.op);
    assert.deepEqual(ops, ["update"]);
  });

  it("the package's plan and tfvars commands read the site's stack (plan: that setting is no rebuild)", async () => {
    const plan = await execa(bin(site), ["plan", "--stack", "staging"], {
      cwd: site,
      env,
      extendEnv: false,
    });
    assert.match(plan.stdout, /\| `fat` \| \*\*update properties\*\* \|/);
    const out = path.join(e2e.dir, "cluster_image.auto.tfvars.json");
    await execa(bin(site), ["tfvars", "--stack", "staging", "--out", out], {
      cwd: site,
      env,
      extendEnv: false,
    });
    const vars = JSON.parse(fs.readFileSync(out, "utf8")) as { cluster_image_id: string };
    assert.equal(
      vars.cluster_image_id,
      JSON.parse((await pulumi(["stack", "output", "cluster_image_id", "--json"])).stdout),
    );
  });

  it("a stack stored by a checkout (tsx runner) moves to the package with an update, never a rebuild", async () => {
    const state = JSON.parse((await pulumi(["stack", "export"])).stdout) as {
      deployment: { resources: StateResource[] };
    };
    // What a checkout of this repository stores for the same build.
    for (const r of state.deployment.resources) {
      if (r.type !== "command:local:Command") continue;
      const inputs = r.inputs!;
      if (r.urn.endsWith("::fat-image")) {
        inputs.interpreter = ["node", "--import", "tsx", "runner/main.ts"];
        inputs.dir = "/checkout/slurm-image-builder";
      } else if (r.urn.endsWith("::fat-builder")) {
        inputs.delete = "exec node --import tsx runner/main.ts clear";
        inputs.dir = "/checkout/slurm-image-builder";
      }
      (r as unknown as { outputs: Record<string, unknown> }).outputs = {
        ...(r as unknown as { outputs: Record<string, unknown> }).outputs,
        interpreter: inputs.interpreter,
        dir: inputs.dir,
        delete: inputs.delete,
      };
    }
    const file = path.join(e2e.dir, "state.json");
    fs.writeFileSync(file, JSON.stringify(state));
    await pulumi(["stack", "import", "--file", file]);
    const preview = JSON.parse((await pulumi(["preview", "--json"])).stdout) as {
      steps: { op: string; urn: string; diffReasons?: string[] }[];
    };
    const steps = preview.steps.filter((s) => /::fat-(image|builder)$/.test(s.urn));
    assert.deepEqual(steps.map((s) => [s.urn.split("::").pop(), s.op]).sort(), [
      ["fat-builder", "update"],
      ["fat-image", "update"],
    ]);
    e2e.cloud.clearRequests();
    await pulumi(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(
      e2e.mutatingRequests().filter((r) => !/^(PATCH|PUT) .*\/images\//.test(r)),
      [],
    );
  });
});
