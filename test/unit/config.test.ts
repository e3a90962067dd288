import { strict as assert } from "node:assert";
import * as path from "node:path";
import { ConfigError } from "../../lib/config/errors";
import { decodeConfig, resolveStackConfig } from "../../lib/config/resolve";
import { makeAppliance } from "../helpers/appliance";

const NS = "slurm-image-builder";

describe("stack config", () => {
  let appliance: ReturnType<typeof makeAppliance>;
  before(() => (appliance = makeAppliance()));
  after(() => appliance.cleanup());

  const env = () => ({
    APPLIANCES_REPO_ROOT: appliance.repoRoot,
    APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
  });
  const base = (): Record<string, unknown> => ({
    flavor: "general.v1.small",
    networks: ["26023e3d-bc8e-459c-8def-dbd47ab01756"],
    builds: {
      RL9: { sourceImageName: "Rocky-9-GenericCloud-Base-9.4", inventoryGroups: "fatimage" },
      "RL9-cuda": { sourceBuild: "RL9", inventoryGroups: "doca,cuda", volumeSize: 35 },
    },
  });
  const resolve = (
    values: Record<string, unknown>,
    e: Record<string, string | undefined> = env(),
  ) => resolveStackConfig(values, { env: e, cwd: appliance.repoRoot, namespace: NS });
  const problemsOf = (values: Record<string, unknown>, e?: Record<string, string | undefined>) => {
    try {
      resolve(values, e);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err;
    }
    assert.fail("expected a ConfigError");
  };
  const expectProblem = (err: ConfigError, key: string, pattern: RegExp) => {
    const found = err.problems.find((p) => p.key === key && pattern.test(p.message));
    assert.ok(found, `no problem at ${key} matching ${pattern}; got:\n${err.message}`);
    assert.match(err.message, new RegExp(`${NS}:${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    return found;
  };

  it("applies Packer's defaults and orders chained builds after their source", () => {
    const s = resolve(base());
    assert.deepEqual(
      s.builds.map((b) => b.key),
      ["RL9", "RL9-cuda"],
    );
    const [fat, cuda] = s.builds;
    assert.equal(fat.sshUsername, "rocky");
    assert.equal(fat.volume.size, 20);
    assert.equal(cuda.volume.size, 35);
    assert.equal(fat.image.diskFormat, "raw");
    assert.equal(fat.image.visibility, "private");
    assert.equal(fat.image.nameVersion, "auto");
    assert.equal(fat.image.namePrefix, "openhpc-RL9");
    assert.equal(fat.sshTimeoutMinutes, 20);
    assert.equal(fat.ansible.verbosity, 2);
    assert.equal(fat.onError, "cleanup");
    assert.deepEqual(fat.securityGroups, []);
    assert.deepEqual(fat.inventoryGroups, ["fatimage"]);
    assert.deepEqual(cuda.inventoryGroups, ["doca", "cuda"]);
    assert.deepEqual(cuda.source, { kind: "build", key: "RL9" });
    assert.deepEqual(fat.source, { kind: "imageName", name: "Rocky-9-GenericCloud-Base-9.4" });
    assert.equal(s.defaultBuild, "RL9");
    assert.equal(s.appliance.repoRoot, appliance.repoRoot);
  });

  it("takes appliance paths from APPLIANCES_* and lets config override them", () => {
    const other = makeAppliance();
    try {
      const s = resolve({
        ...base(),
        repoRoot: other.repoRoot,
        environmentRoot: other.environmentRoot,
      });
      assert.equal(s.appliance.repoRoot, other.repoRoot);
      assert.equal(s.appliance.environmentRoot, other.environmentRoot);
    } finally {
      other.cleanup();
    }
  });

  it("fingerprints the playbooks and the environments that ansible.cfg names, not other environments", () => {
    const s = resolve(base());
    const rel = s.appliance.fingerprintPaths.map((p) => path.relative(appliance.repoRoot, p));
    assert.deepEqual(rel.sort(), [
      "ansible",
      "environments/common",
      "environments/site",
      "requirements.yml",
    ]);
  });

  it("decodes Pulumi's string-encoded config values", () => {
    const values = decodeConfig(
      {
        [`${NS}:flavor`]: "m1",
        [`${NS}:volumeSize`]: "35",
        [`${NS}:builds`]: JSON.stringify({ a: { sourceImage: "x" } }),
        "openstack:cloud": "mycloud",
      },
      NS,
    );
    assert.deepEqual(values, {
      flavor: "m1",
      volumeSize: "35",
      builds: { a: { sourceImage: "x" } },
    });
    const s = resolve({ ...values, networks: ["net"] });
    assert.equal(s.builds[0].volume.size, 35);
  });

  it("reports every problem at once, each with key, value and what is expected", () => {
    const err = problemsOf({
      networks: [],
      imageDiskFormat: "qcow3",
      imageVisibility: "secret",
      volumeSize: -3,
      floatingIpNetwork: "public",
      floatingIp: "192.0.2.10",
      sshBastionHost: "bastion.example.org",
      flavour: "typo",
      builds: {
        both: { sourceImageName: "a", sourceImage: "b" },
        neither: { inventoryGroups: "cuda" },
        orphan: { sourceBuild: "missing" },
        loopA: { sourceBuild: "loopB" },
        loopB: { sourceBuild: "loopA" },
        badGroups: { sourceImage: "x", inventoryGroups: "cuda,,lus-tre" },
        fractional: { sourceImage: "x", volumeSize: 2.5 },
      },
    });
    expectProblem(err, "builds.both", /exactly one of sourceImageName, sourceImage or sourceBuild/);
    expectProblem(err, "builds.neither", /no source/);
    const unknown = expectProblem(err, "builds.orphan.sourceBuild", /unknown build/);
    assert.equal(unknown.value, "missing");
    expectProblem(err, "builds.loopA.sourceBuild", /cycle: loopA → loopB → loopA/);
    expectProblem(err, "builds.badGroups.inventoryGroups.1", /empty inventory group name/);
    expectProblem(err, "builds.badGroups.inventoryGroups.2", /malformed inventory group name/);
    expectProblem(err, "builds.fractional.volumeSize", /whole number/);
    const size = expectProblem(err, "volumeSize", /greater than 0/);
    assert.equal(size.value, -3);
    const format = expectProblem(err, "imageDiskFormat", /one of raw, qcow2/);
    assert.equal(format.value, "qcow3");
    expectProblem(err, "imageVisibility", /one of private, shared, community, public/);
    expectProblem(err, "flavour", /unknown setting/);
    assert.match(err.message, /given: "qcow3"/);
    assert.match(err.message, /nothing was created/);
  });

  it("requires flavor and networks, per build or for all", () => {
    const err = problemsOf({ builds: { RL9: { sourceImage: "id" } } });
    expectProblem(err, "builds.RL9.flavor", /required/);
    expectProblem(err, "builds.RL9.networks", /required/);
    const s = resolve({ builds: { RL9: { sourceImage: "id", flavor: "f", networks: "net1" } } });
    assert.deepEqual(s.builds[0].networks, ["net1"]);
  });

  it("rejects incomplete bastion settings and both floating IP settings", () => {
    const err = problemsOf({
      ...base(),
      sshBastionHost: "bastion",
      sshBastionUsername: "rocky",
      floatingIpNetwork: "public",
      floatingIp: "192.0.2.4",
    });
    expectProblem(err, "sshBastionHost", /incomplete: also set sshBastionPrivateKeyFile/);
    expectProblem(err, "floatingIp", /both set/);
  });

  it("rejects an existing keypair without its key file", () => {
    const err = problemsOf({ ...base(), sshKeypairName: "mykey" });
    expectProblem(err, "sshKeypairName", /go together/);
  });

  it("rejects appliance paths that do not exist or lack ansible/fatimage.yml", () => {
    const missing = problemsOf(base(), {});
    expectProblem(missing, "repoRoot", /required.*APPLIANCES_REPO_ROOT/);
    expectProblem(missing, "environmentRoot", /required.*APPLIANCES_ENVIRONMENT_ROOT/);
    const wrong = problemsOf(base(), {
      APPLIANCES_REPO_ROOT: "/nonexistent/x",
      APPLIANCES_ENVIRONMENT_ROOT: "/nonexistent/y",
    });
    const repo = expectProblem(wrong, "repoRoot", /not a directory \(from APPLIANCES_REPO_ROOT\)/);
    assert.equal(repo.value, "/nonexistent/x");
    expectProblem(wrong, "environmentRoot", /not a directory/);
    const notAppliance = problemsOf({
      ...base(),
      repoRoot: path.join(appliance.repoRoot, "environments"),
    });
    expectProblem(notAppliance, "repoRoot", /has no ansible\/fatimage.yml/);
  });

  it("rejects key files that do not exist", () => {
    const err = problemsOf({ ...base(), vaultPasswordFile: "no-such-file" });
    expectProblem(err, "vaultPasswordFile", /does not exist/);
  });

  it("rejects builds whose image names would clash, and an unknown defaultBuild", () => {
    const err = problemsOf({
      ...base(),
      defaultBuild: "RL8",
      builds: {
        a: { sourceImage: "x", imageName: "same" },
        b: { sourceImage: "y", imageName: "same" },
      },
    });
    expectProblem(err, "builds.b.imageName", /same image names as build a/);
    expectProblem(err, "defaultBuild", /unknown build/);
  });

  it("never echoes the vault password", () => {
    const err = problemsOf({ ...base(), vaultPassword: ["hunter2-top-secret"] });
    expectProblem(err, "vaultPassword", /string/);
    assert.doesNotMatch(err.message, /hunter2/);
  });

  it("only supports volume-backed builds", () => {
    const err = problemsOf({ ...base(), useBlockstorageVolume: "false" });
    expectProblem(err, "useBlockstorageVolume", /only volume-backed/);
  });
});

describe("stack config: image metadata", () => {
  it("refuses metadata keys that Glance or the build own", () => {
    const appliance = makeAppliance();
    try {
      assert.throws(
        () =>
          resolveStackConfig(
            {
              flavor: "f",
              networks: ["n"],
              metadata: { status: "x", image_build_fingerprint: "forged", site: "ok" },
              builds: { a: { sourceImage: "x" } },
            },
            {
              env: {
                APPLIANCES_REPO_ROOT: appliance.repoRoot,
                APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
              },
              cwd: "/",
              namespace: NS,
            },
          ),
        /slurm-image-builder:metadata: these keys are set by Glance or by the build itself and can't be given: status, image_build_fingerprint/,
      );
    } finally {
      appliance.cleanup();
    }
  });
});
