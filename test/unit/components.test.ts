import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { ImageSet } from "../../components/ImageSet";
import { resolveStackConfig } from "../../lib/config/resolve";
import { ROLE_WORDS } from "../../lib/naming";
import { builderProgram } from "../../buildstack/program";
import { decodeBuildRequest, type BuildRequest } from "../../lib/protocol";
import { makeAppliance } from "../helpers/appliance";
import { installMocks, isSecretInput, settled, valueOf, type Recorded } from "../helpers/mocks";

const NS = "slurm-image-builder";

describe("components (Pulumi mocks)", () => {
  let appliance: ReturnType<typeof makeAppliance>;
  let recorded: Recorded[];
  before(() => (appliance = makeAppliance()));
  after(() => appliance.cleanup());
  beforeEach(() => (recorded = installMocks()));

  const settingsFor = (builds: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    resolveStackConfig(
      { flavor: "general.v1.small", networks: ["net"], builds, ...extra },
      {
        env: {
          APPLIANCES_REPO_ROOT: appliance.repoRoot,
          APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
        },
        cwd: appliance.repoRoot,
        namespace: NS,
      },
    );
  const requestOf = (r: Recorded): BuildRequest =>
    decodeBuildRequest(r.inputs.environment as Record<string, string>);
  /** The per-image commands (not the builder guards). */
  const commands = () =>
    recorded.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-image"));
  const guards = () =>
    recorded.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-builder"));

  it("a fat build: one ImageBuild with one command, source resolved by name, outputs from the build", async () => {
    const set = new ImageSet("images", {
      settings: settingsFor({ RL9: { sourceImageName: "Rocky-9", inventoryGroups: "fatimage" } }),
      project: NS,
      stack: "staging",
    });
    const out = set.outputs().RL9;
    assert.equal(await valueOf(out.imageId), "img-RL9");
    assert.equal(await valueOf(out.imageName), "openhpc-RL9-260105-0907-01234567");
    assert.equal(await valueOf(out.sourceImageId), "cloud-Rocky-9");
    assert.match(await valueOf(out.fingerprint), /^[0-9a-f]{32}$/);
    assert.deepEqual(out.inventoryGroups, ["fatimage"]);

    const types = recorded.map((r) => r.type);
    assert.deepEqual(
      types.sort(),
      [
        "command:local:Command",
        "command:local:Command",
        "slurm-image:index:ImageBuild",
        "slurm-image:index:ImageSet",
      ].sort(),
    );
    await settled();
    assert.match(
      await valueOf(set.builds.RL9.urn),
      /::slurm-image:index:ImageSet\$slurm-image:index:ImageBuild::RL9$/,
    );
    assert.match(
      await valueOf(set.builds.RL9.command.urn),
      /::slurm-image:index:ImageBuild\$command:local:Command::RL9-image$/,
    );

    const [cmd] = commands();
    assert.deepEqual(cmd.inputs.interpreter, ["node", "--import", "tsx", "runner/main.ts"]);
    assert.equal(cmd.inputs.dir, path.resolve(__dirname, "../.."));
    assert.equal(cmd.inputs.create, "build");
    assert.equal(cmd.inputs.update, "update");
    assert.equal(cmd.inputs.delete, "delete");
    const trigger = (cmd.inputs.triggers as Record<string, unknown>[])[0];
    assert.equal(trigger.sourceImageId, "cloud-Rocky-9");
    assert.deepEqual(trigger.inventoryGroups, ["fatimage"]);
    assert.equal(trigger.volumeSize, 20);
    assert.equal(trigger.diskFormat, "raw");
    assert.deepEqual(Object.keys(trigger.applianceFiles as object), [
      "ansible",
      "environments/common",
      "environments/site",
      "requirements.yml",
    ]);
    assert.equal(trigger.fingerprint, await valueOf(out.fingerprint));
    const request = requestOf(cmd);
    assert.equal(request.stack, "staging");
    assert.equal(request.sourceImageId, "cloud-Rocky-9");
    assert.equal(request.spec.flavor, "general.v1.small");
  });

  it("an extra build on the fat build takes the fat image as its source", async () => {
    const set = new ImageSet("images", {
      settings: settingsFor({
        "RL9-cuda": { sourceBuild: "RL9", inventoryGroups: "doca,cuda", volumeSize: 35 },
        RL9: { sourceImageName: "Rocky-9", inventoryGroups: "fatimage" },
      }),
      project: NS,
      stack: "staging",
    });
    assert.equal(await valueOf(set.outputs()["RL9-cuda"].sourceImageId), "img-RL9");
    await settled();
    const cuda = commands().find((c) => c.name === "RL9-cuda-image")!;
    assert.equal(requestOf(cuda).sourceImageId, "img-RL9");
    assert.equal((cuda.inputs.triggers as Record<string, unknown>[])[0].volumeSize, 35);
    // Registered after its source: the engine can only start it once RL9's image exists.
    const names = commands().map((c) => c.name);
    assert.ok(names.indexOf("RL9-image") < names.indexOf("RL9-cuda-image"));
  });

  it("a chain of three: each starts from the previous image, fingerprints differ", async () => {
    const set = new ImageSet("images", {
      settings: settingsFor({
        gpu: { sourceBuild: "lustre", inventoryGroups: "cuda" },
        lustre: { sourceBuild: "fat", inventoryGroups: "lustre" },
        fat: { sourceImage: "rocky-id", inventoryGroups: "fatimage" },
      }),
      project: NS,
      stack: "staging",
    });
    const o = set.outputs();
    assert.equal(await valueOf(o.fat.sourceImageId), "rocky-id");
    assert.equal(await valueOf(o.lustre.sourceImageId), "img-fat");
    assert.equal(await valueOf(o.gpu.sourceImageId), "img-lustre");
    const fps = await Promise.all([o.fat, o.lustre, o.gpu].map((b) => valueOf(b.fingerprint)));
    assert.equal(new Set(fps).size, 3);
  });

  it("each build has a builder guard, made before the build, whose delete clears the build stack", async () => {
    new ImageSet("images", {
      settings: settingsFor({ RL9: { sourceImageName: "Rocky-9", volumeName: "rl9-vol" } }),
      project: NS,
      stack: "staging",
    });
    await settled();
    const [guard] = guards();
    assert.ok(guard, "no builder guard");
    assert.ok(
      recorded.indexOf(guard) < recorded.indexOf(commands()[0]),
      "the guard must exist before the build starts",
    );
    assert.equal(guard.inputs.create, "true");
    assert.equal(guard.inputs.delete, "exec node --import tsx runner/main.ts clear");
    assert.equal(guard.inputs.triggers, undefined, "a guard is never replaced");
    const env = guard.inputs.environment as Record<string, string>;
    // Only what finds the builder: no setting that changes nothing of it.
    assert.deepEqual(JSON.parse(env.IMAGE_BUILDER_REF), {
      project: NS,
      stack: "staging",
      key: "RL9",
      volumeName: "rl9-vol",
      buildState: {},
    });
    assert.equal(env.IMAGE_BUILD_REQUEST, undefined);
  });

  it("two independent builds share nothing", async () => {
    const set = new ImageSet("images", {
      settings: settingsFor({
        RL8: { sourceImageName: "Rocky-8" },
        RL9: { sourceImageName: "Rocky-9" },
      }),
      project: NS,
      stack: "staging",
    });
    const o = set.outputs();
    assert.equal(await valueOf(o.RL8.sourceImageId), "cloud-Rocky-8");
    assert.equal(await valueOf(o.RL9.sourceImageId), "cloud-Rocky-9");
    for (const c of commands()) assert.ok(!requestOf(c).sourceImageId.startsWith("img-"));
  });

  it("the vault password is a secret input, in no command line and no stdout", async () => {
    const password = "vault-hunter2-password";
    const set = new ImageSet("images", {
      settings: settingsFor({ RL9: { sourceImageName: "Rocky-9" } }, { vaultPassword: password }),
      project: NS,
      stack: "staging",
    });
    await settled();
    const [cmd] = commands();
    assert.ok(isSecretInput(cmd.inputs.stdin), "vault password (stdin) is not a secret");
    assert.equal(
      JSON.parse(String((cmd.inputs.stdin as { value: unknown }).value)).vaultPassword,
      password,
    );
    // The environment stays readable for preview diffs, and holds no secret.
    assert.ok(!isSecretInput(cmd.inputs.environment));
    const { stdin: _s, ...rest } = cmd.inputs;
    void _s;
    assert.ok(!JSON.stringify(rest).includes(password));
    assert.ok(!(await valueOf(set.builds.RL9.command.stdout)).includes(password));
    assert.ok(pulumi.Output.isInstance(set.builds.RL9.imageId));
  });

  it("a secret extraVars entry is a secret input (stdin) only: not in the request, triggers or stdout", async () => {
    const secret = "ark-password-7c1e9";
    const settings = resolveStackConfig(
      {
        flavor: "general.v1.small",
        networks: ["net"],
        extraVars: { dnf_repos_password: secret, dnf_repos_username: "site" },
        builds: { RL9: { sourceImageName: "Rocky-9" } },
      },
      {
        env: {
          APPLIANCES_REPO_ROOT: appliance.repoRoot,
          APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
        },
        cwd: appliance.repoRoot,
        namespace: NS,
        secretPaths: [["extraVars", "dnf_repos_password"]],
      },
    );
    const set = new ImageSet("images", { settings, project: NS, stack: "staging" });
    await settled();
    const [cmd] = commands();
    assert.ok(isSecretInput(cmd.inputs.stdin));
    assert.deepEqual(
      JSON.parse(String((cmd.inputs.stdin as { value: unknown }).value)).secretExtraVars,
      { dnf_repos_password: secret },
    );
    const { stdin: _s, ...rest } = cmd.inputs;
    void _s;
    assert.ok(!JSON.stringify(rest).includes(secret), "the secret is in a plain input");
    const spec = requestOf(cmd).spec;
    assert.deepEqual(spec.ansible.extraVars, { dnf_repos_username: "site" });
    assert.deepEqual(spec.ansible.secretExtraVarNames, ["dnf_repos_password"]);
    // The preview can say that it changed: a slow salted digest per name.
    const triggers = (cmd.inputs.triggers as Record<string, unknown>[])[0];
    assert.match(
      String((triggers.secretExtraVars as Record<string, string>).dnf_repos_password),
      /^[0-9a-f]{32}$/,
    );
    assert.ok(!(await valueOf(set.builds.RL9.command.stdout)).includes(secret));
  });

  describe("the build stack program", () => {
    const request = (overrides: Partial<BuildRequest["spec"]> = {}): BuildRequest => {
      const settings = settingsFor(
        { compute: { sourceImageName: "Rocky-9", inventoryGroups: "fatimage" } },
        { sshDebugPublicKey: "ssh-ed25519 AAAAdebug me" },
      );
      return {
        project: NS,
        stack: "staging",
        spec: { ...settings.builds[0], ...overrides },
        sourceImageId: "src-id",
        fingerprint: "0123456789abcdef0123456789abcdef",
        appliance: { repoRoot: appliance.repoRoot, environmentRoot: appliance.environmentRoot },
        buildState: {},
      };
    };
    const opts = {
      projectRoot: "/project",
      logFile: "/tmp/build.log",
      workDir: "/tmp/work",
      vaultPassword: "vault-secret-xyz",
    };
    const byType = (t: string) => recorded.filter((r) => r.type === t);

    it("provision: key, keypair, volume from the source, server booted from it, then Ansible", async () => {
      const outputs = await builderProgram(request(), opts)();
      await settled();
      const [volume] = byType("openstack:blockstorage/volume:Volume");
      assert.equal(volume.inputs.imageId, "src-id");
      assert.equal(volume.inputs.size, 20);
      const [server] = byType("openstack:compute/instance:Instance");
      const name = String(server.inputs.name);
      for (const word of ROLE_WORDS) assert.ok(!name.includes(word), `${name} has ${word}`);
      assert.deepEqual(server.inputs.metadata, { ansible_init_disable: "true" });
      assert.equal(server.inputs.flavorName, "general.v1.small");
      // The network (by name) is a port made ahead of the server, whose
      // address the SSH wait uses before the server is ACTIVE.
      const [port] = byType("openstack:networking/port:Port");
      assert.equal(port.inputs.networkId, "net-id-net");
      assert.equal(port.inputs.name, name);
      assert.deepEqual(server.inputs.networks, [{ port: "builder-port-0-id" }]);
      assert.equal(server.inputs.securityGroups, undefined);
      assert.match(
        String(server.inputs.userData),
        /^#cloud-config\nssh_authorized_keys:\n {2}- "ssh-ed25519 AAAAdebug me"/,
      );
      const [device] = server.inputs.blockDevices as Record<string, unknown>[];
      assert.deepEqual(
        {
          uuid: device.uuid,
          sourceType: device.sourceType,
          destinationType: device.destinationType,
          bootIndex: device.bootIndex,
          deleteOnTermination: device.deleteOnTermination,
        },
        {
          uuid: "builder-volume-id",
          sourceType: "volume",
          destinationType: "volume",
          bootIndex: 0,
          deleteOnTermination: false,
        },
      );
      const [keypair] = byType("openstack:compute/keypair:Keypair");
      assert.equal(keypair.inputs.publicKey, "ssh-rsa AAAAmock");
      assert.equal(server.inputs.keyPair, keypair.inputs.name);

      const [ansible] = byType("command:local:Command");
      // The private key makes the whole environment secret (and it is: it holds the key).
      assert.ok(
        isSecretInput(ansible.inputs.environment),
        "environment with the private key is not secret",
      );
      const env = (ansible.inputs.environment as { value: Record<string, string> }).value;
      const spec = JSON.parse(env.PROVISION_SPEC);
      assert.match(spec.address, /^10\.0\.0\.\d+$/);
      assert.equal(spec.builderFailedFile, undefined);
      assert.deepEqual(spec.inventoryGroups, ["fatimage"]);
      assert.equal(spec.sshUser, "rocky");
      assert.equal(env.BUILDER_SSH_PRIVATE_KEY, "mock-openssh-private-key\n");
      assert.equal(env.ANSIBLE_VAULT_PASSWORD, "vault-secret-xyz");
      const { environment: _e, ...rest } = ansible.inputs;
      void _e;
      assert.ok(!JSON.stringify(rest).includes("mock-openssh-private-key"));
      assert.ok(!JSON.stringify(rest).includes("vault-secret-xyz"));
      assert.ok(
        await pulumi.isSecret(outputs.privateKey as pulumi.Output<string>),
        "private key output is not secret",
      );
      // Order: the Ansible step is registered after the server it configures.
      const order = recorded.map((r) => r.type);
      assert.ok(
        order.indexOf("openstack:compute/instance:Instance") <
          order.indexOf("command:local:Command"),
      );
    });

    it("the server is stopped before the engine deletes it; the outputs are what resolves before Ansible (onError: keep)", async () => {
      const outputs = await builderProgram(request(), opts)();
      await settled();
      assert.equal(byType("openstack:compute/instance:Instance")[0].inputs.stopBeforeDestroy, true);
      assert.equal(await valueOf(outputs.volumeId as pulumi.Output<string>), "builder-volume-id");
      assert.deepEqual(Object.keys(outputs).sort(), [
        "address",
        "hostName",
        "privateKey",
        "volumeId",
      ]);
    });

    it("security groups by name are looked up in the build's project, ids are used as they are; both go on the port", async () => {
      const sgId = "0b7d8a0c-1e2f-4a5b-8c9d-0e1f2a3b4c5d";
      await builderProgram(request({ securityGroups: ["ssh", sgId] }), opts)();
      await settled();
      const [port] = byType("openstack:networking/port:Port");
      assert.deepEqual(port.inputs.securityGroupIds, ["sg-id-ssh", sgId]);
    });

    it("a floating IP from a network is allocated, associated and used for SSH", async () => {
      await builderProgram(request({ floatingIp: { network: "public" } }), opts)();
      await settled();
      assert.equal(byType("openstack:networking/floatingIp:FloatingIp")[0].inputs.pool, "public");
      const [assoc] = byType("openstack:networking/floatingIpAssociate:FloatingIpAssociate");
      assert.equal(assoc.inputs.floatingIp, "192.0.2.50");
      assert.equal(assoc.inputs.portId, "builder-port-0-id");
      const env = (
        byType("command:local:Command")[0].inputs.environment as { value: Record<string, string> }
      ).value;
      const spec = JSON.parse(env.PROVISION_SPEC);
      assert.equal(spec.address, "192.0.2.50");
    });

    it("an existing keypair is used as is: no temporary key", async () => {
      const keyFile = `${appliance.repoRoot}/ansible/fatimage.yml`;
      await builderProgram(
        request({ existingKeypair: { name: "site-key", privateKeyFile: keyFile } }),
        opts,
      )();
      await settled();
      assert.equal(byType("tls:index/privateKey:PrivateKey").length, 0);
      assert.equal(byType("openstack:compute/keypair:Keypair").length, 0);
      assert.equal(byType("openstack:compute/instance:Instance")[0].inputs.keyPair, "site-key");
    });
  });
});
