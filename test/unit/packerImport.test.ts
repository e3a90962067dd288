import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { decodeConfig, resolveStackConfig } from "../../lib/config/resolve";
import type { StackSettings } from "../../lib/config/types";
import {
  asPulumiConfig,
  checkImportedConfig,
  importPackerVarFiles,
  parseImportArgs,
  renderStackFile,
  runImportPacker,
  VarFileError,
  PACKER_VARIABLES,
  type PackerImport,
  type VarFile,
} from "../../lib/packer";
import { parseHcl } from "../../lib/packer/hcl";
import { KNOWN_OTHER_VARIABLES } from "../../lib/packer/variables";

const ROOT = path.resolve(__dirname, "../..");
const APPLIANCE = path.join(ROOT, "test/fixtures/appliance");
const NS = "slurm-image-builder";

const hcl = (p: string, text: string): VarFile => ({ path: p, text });
const fixture = (p: string): VarFile => ({
  path: p,
  text: fs.readFileSync(path.join(APPLIANCE, p), "utf8"),
});
const SITE = "environments/site/builder.pkrvars.hcl";
const LEAFCLOUD = "environments/.stackhpc/LEAFCLOUD.pkrvars.hcl";
const ARCUS = "environments/.stackhpc/ARCUS.pkrvars.hcl";
const LOCALCLOUD = "environments/.stackhpc/LOCALCLOUD.pkrvars.hcl";
const RL9 = "environments/site/builds/RL9.pkrvars.hcl";
const RL9_CUDA = "environments/site/builds/RL9-cuda.pkrvars.hcl";

const unsupported = (r: PackerImport, variable: string) =>
  r.unsupported.filter((u) => u.variable === variable);

/** A var file that sets every variable of the template, as a site would write it. */
const EVERY_VARIABLE = `# every variable of packer/openstack.pkr.hcl
repo_root                    = "/srv/appliance"
environment_root             = "/srv/appliance/environments/site"
networks                     = ["site-net", "3c4e2a1b-5d6f-4a8b-9c0d-1e2f3a4b5c6d"]
source_image_name            = "Rocky-9-GenericCloud-Base-9.4"
source_image                 = "0b0e6f32-1111-4a4a-8c8c-222233334444"
flavor                       = "general.v1.medium"
ssh_username                 = "cloud-user"
ssh_keypair_name             = "ci-key"
ssh_private_key_file         = "/home/ci/.ssh/id_ed25519"
security_groups              = ["default", "SSH"]
image_visibility             = "community"
ssh_bastion_host             = "bastion.example.org"
ssh_bastion_username         = "jump"
ssh_bastion_private_key_file = "/home/ci/.ssh/bastion"
ssh_debug_public_key         = "ssh-ed25519 AAAAC3Nza debug@site"
floating_ip_network          = "external"
floating_ip                  = "192.0.2.10"
manifest_output_path         = "/srv/out/manifest.json"
use_blockstorage_volume      = true
volume_type                  = "ssd"
volume_size                  = 35
volume_name                  = "builder-volume"
image_disk_format            = "qcow2"
metadata                     = { hw_rng_model = "virtio", os_distro = "rocky" }
inventory_groups             = "doca,cuda"
image_name                   = "openhpc-site"
image_name_version           = "-v1"
`;

/** Where each variable of EVERY_VARIABLE must land, value as Packer used it. */
const EXPECTED_EVERY: Record<string, [string, unknown]> = {
  repo_root: ["repoRoot", "/srv/appliance"],
  environment_root: ["environmentRoot", "/srv/appliance/environments/site"],
  networks: ["networks", ["site-net", "3c4e2a1b-5d6f-4a8b-9c0d-1e2f3a4b5c6d"]],
  source_image_name: ["builds.openhpc.sourceImageName", "Rocky-9-GenericCloud-Base-9.4"],
  source_image: ["builds.openhpc.sourceImage", "0b0e6f32-1111-4a4a-8c8c-222233334444"],
  flavor: ["flavor", "general.v1.medium"],
  ssh_username: ["sshUsername", "cloud-user"],
  ssh_keypair_name: ["sshKeypairName", "ci-key"],
  ssh_private_key_file: ["sshPrivateKeyFile", "/home/ci/.ssh/id_ed25519"],
  security_groups: ["securityGroups", ["default", "SSH"]],
  image_visibility: ["imageVisibility", "community"],
  ssh_bastion_host: ["sshBastionHost", "bastion.example.org"],
  ssh_bastion_username: ["sshBastionUsername", "jump"],
  ssh_bastion_private_key_file: ["sshBastionPrivateKeyFile", "/home/ci/.ssh/bastion"],
  ssh_debug_public_key: ["sshDebugPublicKey", "ssh-ed25519 AAAAC3Nza debug@site"],
  floating_ip_network: ["floatingIpNetwork", "external"],
  floating_ip: ["floatingIp", "192.0.2.10"],
  manifest_output_path: ["manifestOutputPath", "/srv/out/manifest.json"],
  use_blockstorage_volume: ["useBlockstorageVolume", true],
  volume_type: ["volumeType", "ssd"],
  volume_size: ["volumeSize", 35],
  volume_name: ["volumeName", "builder-volume"],
  image_disk_format: ["imageDiskFormat", "qcow2"],
  metadata: ["metadata", { hw_rng_model: "virtio", os_distro: "rocky" }],
  inventory_groups: ["inventoryGroups", "doca,cuda"],
  image_name: ["imageName", "openhpc-site"],
  image_name_version: ["imageNameVersion", "-v1"],
};

function at(config: Record<string, unknown>, keyPath: string): unknown {
  return keyPath
    .split(".")
    .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], config);
}

/** The stack file as Pulumi hands it to the program, resolved by the program's own code. */
function resolveRendered(
  text: string,
  env: Record<string, string | undefined>,
  cwd: string,
): StackSettings {
  const file = parseYaml(text) as { config: Record<string, unknown> };
  const values = Object.fromEntries(
    Object.entries(file.config)
      .filter(([k]) => k.startsWith(`${NS}:`))
      .map(([k, v]) => [k.slice(NS.length + 1), v]),
  );
  return resolveStackConfig(decodeConfig(asPulumiConfig(values), NS), {
    env,
    cwd,
    namespace: NS,
  });
}

describe("Packer var files → stack config (lib/packer)", () => {
  describe("the contract: the README table and the template", () => {
    it("maps exactly the variables of the README's table, each to the key the table names", () => {
      const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
      const section = readme.split("### Packer variable → config key")[1].split("\n### ")[0];
      const rows = new Map<string, string>();
      for (const line of section.split("\n")) {
        const m = /^\| `([a-z_]+)` \| `(?:builds\.<key>\.)?([A-Za-z]+)`/.exec(line);
        if (m) rows.set(m[1], m[2]);
      }
      assert.ok(rows.size >= 27, `README table rows found: ${rows.size}`);
      const mapped = new Map(PACKER_VARIABLES.map((v) => [v.name, v.key]));
      assert.deepEqual([...mapped.entries()].sort(), [...rows.entries()].sort());
    });

    it("knows every variable the template declares, with the template's type", async () => {
      const template = fs.readFileSync(path.join(ROOT, "bench/packer/openstack.pkr.hcl"), "utf8");
      const parsed = await parseHcl({ path: "openstack.pkr.hcl", text: template });
      const declared = parsed.variable as Record<string, { type: string }[]>;
      const types = new Map(PACKER_VARIABLES.map((v) => [v.name, v.type]));
      for (const [name, [decl]] of Object.entries(declared)) {
        if (name in KNOWN_OTHER_VARIABLES) continue;
        // hcl2json gives a type expression as its source: "${list(string)}".
        assert.equal(types.get(name), decl.type.replace(/^\$\{(.*)\}$/, "$1"), name);
      }
      // The other way round, the README table is the contract: this project's template
      // names the volume after the image (volume_name is not a variable there).
      assert.ok(Object.keys(declared).length >= 26, "the template's variable blocks were read");
    });
  });

  describe("every variable", () => {
    it("lands at its config key with the value given, and nothing is left over", async () => {
      const r = await importPackerVarFiles([hcl("every.pkrvars.hcl", EVERY_VARIABLE)]);
      assert.deepEqual(
        Object.keys(EXPECTED_EVERY).sort(),
        PACKER_VARIABLES.map((v) => v.name).sort(),
        "the test names every variable",
      );
      for (const [variable, [key, value]] of Object.entries(EXPECTED_EVERY)) {
        assert.deepEqual(at(r.config, key), value, `${variable} → ${key}`);
        assert.deepEqual(r.origins[key], { variable, files: ["every.pkrvars.hcl"] }, key);
      }
      assert.deepEqual(r.unsupported, []);
      assert.deepEqual(r.builds, [{ key: "openhpc", files: [] }]);
    });

    it("writes a stack file whose every value reads back the same", async () => {
      const r = await importPackerVarFiles([hcl("every.pkrvars.hcl", EVERY_VARIABLE)]);
      const text = renderStackFile(r);
      const file = parseYaml(text) as { config: Record<string, unknown> };
      const back: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(file.config)) back[k.slice(NS.length + 1)] = v;
      assert.deepEqual(back, r.config);
      // Each value says where it came from.
      assert.match(
        text,
        /# flavor \(every\.pkrvars\.hcl\)\n {2}slurm-image-builder:flavor: general\.v1\.medium/,
      );
      assert.match(text, /slurm-image-builder:networks: \[site-net, 3c4e2a1b-/);
      assert.match(text, /Every variable in the files is imported\./);
    });
  });

  describe("types, as Packer converts them", () => {
    it("converts to the declared type: strings to numbers and bools, numbers to strings", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "t.pkrvars.hcl",
          `volume_size = "30"
flavor = 8
use_blockstorage_volume = "true"
image_name_version = 2
metadata = { hw_cpu_cores = 4, secure = true, owner_tag = "x" }
networks = ["net", 42]
`,
        ),
      ]);
      assert.equal(r.config.volumeSize, 30);
      assert.equal(r.config.flavor, "8");
      assert.equal(r.config.useBlockstorageVolume, true);
      assert.equal(r.config.imageNameVersion, "2");
      assert.deepEqual(r.config.metadata, { hw_cpu_cores: "4", secure: "true", owner_tag: "x" });
      assert.deepEqual(r.config.networks, ["net", "42"]);
      assert.deepEqual(r.unsupported, []);
    });

    it("reports a value Packer would refuse, or that the program does not accept, with the reason", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "bad.pkrvars.hcl",
          `networks = "just-one-net"
volume_size = "big"
security_groups = [["nested"]]
metadata = ["a"]
image_disk_format = "vhd2"
image_visibility = "hidden"
inventory_groups = "doca,cu da"
use_blockstorage_volume = false
flavor = "ok.flavor"
`,
        ),
      ]);
      const reason = (v: string) =>
        unsupported(r, v)
          .map((u) => u.reason)
          .join(" | ");
      assert.match(
        reason("networks"),
        /declares list\(string\); the string "just-one-net" is not a list/,
      );
      assert.match(reason("volume_size"), /declares number; the string "big" is not a number/);
      assert.match(reason("security_groups"), /not a list of strings/);
      assert.match(reason("metadata"), /declares map\(string\); a list is not a map/);
      assert.match(reason("image_disk_format"), /imageDiskFormat must be one of raw, qcow2/);
      assert.match(reason("image_visibility"), /must be one of private, shared, community, public/);
      assert.match(reason("inventory_groups"), /malformed inventory group name/);
      assert.match(reason("use_blockstorage_volume"), /only volume-backed builds are supported/);
      for (const u of r.unsupported) assert.equal(u.file, "bad.pkrvars.hcl");
      assert.deepEqual(unsupported(r, "volume_size")[0].value, "big");
      // Refused values are not in the config; the rest is.
      assert.deepEqual(Object.keys(r.config).sort(), ["builds", "flavor", "imageName"]);
      assert.equal(r.config.flavor, "ok.flavor");
    });

    it("takes reserved image properties out of metadata, each reported, and keeps the rest", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "m.pkrvars.hcl",
          'metadata = { image_build_fingerprint = "x", hw_rng_model = "virtio" }\n',
        ),
      ]);
      assert.deepEqual(r.config.metadata, { hw_rng_model: "virtio" });
      assert.deepEqual(
        r.unsupported.map((u) => u.variable),
        ["metadata.image_build_fingerprint"],
      );
    });
  });

  describe("what is not a variable, or not a value", () => {
    it("reports unknown variables by name and file, with a hint, and never their values", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "site.pkrvars.hcl",
          `flavour = "typo"
os_version = "RL9"
dnf_repos_password = "s3cret-value"
flavor = "f"
`,
        ),
      ]);
      assert.deepEqual(r.unsupported.map((u) => [u.variable, u.file]).sort(), [
        ["dnf_repos_password", "site.pkrvars.hcl"],
        ["flavour", "site.pkrvars.hcl"],
        ["os_version", "site.pkrvars.hcl"],
      ]);
      assert.match(
        unsupported(r, "flavour")[0].reason,
        /not a variable of the appliance's packer\/openstack\.pkr\.hcl \(did you mean flavor\?\)/,
      );
      assert.match(unsupported(r, "os_version")[0].reason, /older appliance template/);
      assert.match(unsupported(r, "dnf_repos_password")[0].reason, /not a variable/);
      for (const u of r.unsupported) assert.equal(u.value, undefined);
      const text = renderStackFile(r);
      assert.doesNotMatch(text, /s3cret-value/);
      assert.match(
        text,
        /NOT IMPORTED:\n# - dnf_repos_password \(site\.pkrvars\.hcl\): not a variable/,
      );
    });

    it("points a var file of an older template (maps per OS, groups per build) to --build", async () => {
      // Shaped like a site's file for the template that built RL8 and RL9 in one run.
      const r = await importPackerVarFiles([
        hcl(
          "older.pkrvars.hcl",
          `flavor = "general.v1.4cpu.8gb"
source_image = {
    RL9 = "8b4482a0-208f-4889-abac-46656fd5fb62" # by id
}
source_image_name = {
    RL8 = null
    RL9 = null
}
groups = {
    openhpc-extra = ["cuda"]
}
`,
        ),
      ]);
      assert.deepEqual(r.unsupported.map((u) => u.variable).sort(), [
        "groups",
        "source_image",
        "source_image_name",
      ]);
      for (const u of r.unsupported) assert.match(u.reason, /--build <key>=<file>/, u.variable);
      assert.match(
        unsupported(r, "source_image")[0].reason,
        /declares string; a map is not a string/,
      );
      assert.equal(r.config.flavor, "general.v1.4cpu.8gb");
    });

    it("reports references, functions and interpolations; keeps escaped template markers as text", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "e.pkrvars.hcl",
          `flavor = var.flavor
image_name = "openhpc-\${local.suffix}"
networks = [upper("net")]
volume_size = 10 + 5
ssh_debug_public_key = "literal $\${not-a-template} and %%{not-a-directive}"
`,
        ),
      ]);
      for (const v of ["flavor", "image_name", "networks", "volume_size"]) {
        assert.match(unsupported(r, v)[0]?.reason ?? "missing", /not a constant/, v);
      }
      assert.equal(r.config.sshDebugPublicKey, "literal ${not-a-template} and %{not-a-directive}");
    });

    it("refuses a file Packer could not read, naming the file and the line", async () => {
      await assert.rejects(
        importPackerVarFiles([hcl("broken.pkrvars.hcl", 'flavor = "a"\nflavor = "b"\n')]),
        (err: Error) =>
          err instanceof VarFileError &&
          /^broken\.pkrvars\.hcl: not a valid Packer variable file: broken\.pkrvars\.hcl:2,1-7: Attribute redefined/.test(
            err.message,
          ),
      );
      await assert.rejects(
        importPackerVarFiles([hcl("open.pkrvars.hcl", 'flavor = "unterminated\n')]),
        /open\.pkrvars\.hcl: not a valid Packer variable file: .*Unterminated template string/s,
      );
    });

    it("reads .pkrvars.json files as Packer does", async () => {
      const r = await importPackerVarFiles([
        hcl(
          "ci.pkrvars.json",
          JSON.stringify({ flavor: "m1", volume_size: "40", networks: ["n"] }),
        ),
      ]);
      assert.equal(r.config.flavor, "m1");
      assert.equal(r.config.volumeSize, 40);
      assert.deepEqual(r.config.networks, ["n"]);
    });
  });

  describe("several files", () => {
    it("applies them in order, later over earlier, a null unsetting (site file, then a cloud's)", async () => {
      const leaf = await importPackerVarFiles([fixture(SITE), fixture(LEAFCLOUD)]);
      assert.equal(leaf.config.flavor, "en1.medium");
      assert.equal(leaf.config.volumeSize, 20, "LEAFCLOUD's 20 over the site's \"25\"");
      assert.equal(leaf.config.volumeType, "unencrypted");
      assert.equal(leaf.config.imageDiskFormat, "qcow2");
      assert.deepEqual(leaf.config.networks, ["909e49e8-6911-473a-bf88-0495ca63853c"]);
      assert.deepEqual(leaf.origins.flavor.files, [LEAFCLOUD]);
      assert.deepEqual(leaf.origins.inventoryGroups.files, [SITE]);
      // A map replaces the earlier one whole, as a Packer variable does.
      assert.deepEqual(leaf.config.metadata, {
        hw_rng_model: "virtio",
        os_distro: "rocky",
        os_version: "9.4",
      });

      const both = await importPackerVarFiles([fixture(SITE), fixture(LEAFCLOUD), fixture(ARCUS)]);
      assert.equal(both.config.volumeType, undefined, "ARCUS's null unsets LEAFCLOUD's type");
      assert.ok(both.notes.some((n) => n.startsWith(`volume_type = null in ${ARCUS}: unset`)));
      assert.deepEqual(both.config.metadata, { hw_rng_model: "virtio", site_tag: "ci" });
      assert.deepEqual(both.config.networks, ["portal-internal"]);
    });

    it("keeps Packer's image name for one build, and says so", async () => {
      const r = await importPackerVarFiles([fixture(SITE)]);
      assert.equal(r.config.imageName, "openhpc");
      assert.deepEqual(r.origins.imageName, {
        variable: "image_name",
        files: [],
        packerDefault: true,
      });
      assert.ok(
        r.notes.some((n) => /image_name is not set: imageName is Packer's default/.test(n)),
      );
      const keyed = await importPackerVarFiles([fixture(SITE)], { buildKey: "RL9" });
      assert.deepEqual(Object.keys(keyed.config.builds), ["RL9"]);
    });
  });

  describe("builds (the CI matrix: one var file per image over the common ones)", () => {
    const matrix = () =>
      importPackerVarFiles([fixture(SITE), fixture(LEAFCLOUD)], {
        builds: [
          { key: "RL9", files: [fixture(RL9)] },
          { key: "RL9-cuda", files: [fixture(RL9_CUDA)] },
        ],
      });

    it("puts what every build shares at the top and what differs under builds.<key>", async () => {
      const r = await matrix();
      assert.equal(r.config.flavor, "en1.medium");
      assert.deepEqual(r.config.securityGroups, ["default", "SSH"]);
      assert.equal(r.config.volumeSize, undefined);
      assert.deepEqual(r.config.builds, {
        RL9: {
          sourceImageName: "Rocky-9-GenericCloud-Base-9.4-20240609.0.x86_64.qcow2",
          volumeSize: 20,
          inventoryGroups: "fatimage",
          imageName: "openhpc-RL9",
        },
        "RL9-cuda": {
          sourceImageName: "openhpc-RL9-251126-1412-1a2b3c4d",
          volumeSize: 35,
          inventoryGroups: "doca,cuda",
          imageName: "openhpc-RL9-cuda",
        },
      });
      assert.deepEqual(r.origins["builds.RL9.volumeSize"].files, [LEAFCLOUD]);
      assert.deepEqual(r.origins["builds.RL9-cuda.volumeSize"].files, [RL9_CUDA]);
      assert.deepEqual(r.builds, [
        { key: "RL9", files: [RL9] },
        { key: "RL9-cuda", files: [RL9_CUDA] },
      ]);
      assert.ok(r.notes.some((n) => /build RL9-cuda starts from .* `sourceBuild: RL9`/.test(n)));
    });

    it("gives each build what Packer gave it: the program resolves the same settings", async () => {
      const r = await matrix();
      const home = fs.mkdtempSync(path.join(os.tmpdir(), "packer-import-home-"));
      try {
        fs.mkdirSync(path.join(home, ".ssh"));
        fs.writeFileSync(path.join(home, ".ssh/id_rsa"), "key\n");
        const settings = resolveRendered(
          renderStackFile(r),
          {
            APPLIANCES_REPO_ROOT: APPLIANCE,
            APPLIANCES_ENVIRONMENT_ROOT: path.join(APPLIANCE, "environments/site"),
            HOME: home,
          },
          APPLIANCE,
        );
        const byKey = Object.fromEntries(settings.builds.map((b) => [b.key, b]));
        for (const key of ["RL9", "RL9-cuda"]) {
          const b = byKey[key];
          assert.equal(b.flavor, "en1.medium");
          assert.deepEqual(b.networks, ["909e49e8-6911-473a-bf88-0495ca63853c"]);
          assert.deepEqual(b.securityGroups, ["default", "SSH"]);
          assert.deepEqual(b.floatingIp, { network: "external" });
          assert.equal(b.volume.type, "unencrypted");
          assert.equal(b.image.diskFormat, "qcow2");
          assert.equal(b.image.visibility, "private");
          assert.deepEqual(b.image.metadata, {
            hw_rng_model: "virtio",
            os_distro: "rocky",
            os_version: "9.4",
          });
          // "~/.ssh/id_rsa" is the home directory's, as Packer read it.
          assert.deepEqual(b.existingKeypair, {
            name: "slurm-app-ci",
            privateKeyFile: path.join(home, ".ssh/id_rsa"),
          });
        }
        assert.deepEqual(byKey.RL9.source, {
          kind: "imageName",
          name: "Rocky-9-GenericCloud-Base-9.4-20240609.0.x86_64.qcow2",
        });
        assert.equal(byKey.RL9.volume.size, 20);
        assert.deepEqual(byKey.RL9.inventoryGroups, ["fatimage"]);
        assert.equal(byKey.RL9.image.namePrefix, "openhpc-RL9");
        assert.equal(byKey["RL9-cuda"].volume.size, 35);
        assert.deepEqual(byKey["RL9-cuda"].inventoryGroups, ["doca", "cuda"]);
        assert.equal(byKey["RL9-cuda"].image.namePrefix, "openhpc-RL9-cuda");
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });

    it("gives a build's metadata whole, as Packer did, not merged with the common map", async () => {
      const r = await importPackerVarFiles(
        [
          hcl(
            "common.pkrvars.hcl",
            'flavor = "f"\nnetworks = ["n"]\nsource_image_name = "base"\nmetadata = { a = "1", b = "2" }\n',
          ),
        ],
        {
          builds: [
            { key: "plain", files: [] },
            { key: "tagged", files: [hcl("tagged.pkrvars.hcl", 'metadata = { b = "3" }\n')] },
          ],
        },
      );
      const settings = resolveRendered(
        renderStackFile(r),
        {
          APPLIANCES_REPO_ROOT: APPLIANCE,
          APPLIANCES_ENVIRONMENT_ROOT: path.join(APPLIANCE, "environments/site"),
        },
        APPLIANCE,
      );
      const metadata = Object.fromEntries(settings.builds.map((b) => [b.key, b.image.metadata]));
      assert.deepEqual(metadata, { plain: { a: "1", b: "2" }, tagged: { b: "3" } });
      assert.deepEqual(Object.fromEntries(settings.builds.map((b) => [b.key, b.source])), {
        plain: { kind: "imageName", name: "base" },
        tagged: { kind: "imageName", name: "base" },
      });
    });

    it("lets a build's own source replace the common one, whichever variable each uses", async () => {
      const r = await importPackerVarFiles(
        [hcl("common.pkrvars.hcl", 'source_image_name = "Rocky-9"\n')],
        {
          builds: [
            { key: "by-id", files: [hcl("id.pkrvars.hcl", 'source_image = "1111-2222"\n')] },
            { key: "inherits", files: [hcl("none.pkrvars.hcl", "volume_size = 30\n")] },
          ],
        },
      );
      assert.deepEqual(r.config.builds["by-id"], { sourceImage: "1111-2222" });
      assert.deepEqual(r.config.builds.inherits, { sourceImageName: "Rocky-9", volumeSize: 30 });
      assert.ok(r.notes.some((n) => /image_name is not set for by-id, inherits/.test(n)));
    });

    it("reports one-per-stack variables that a build's file changes", async () => {
      const r = await importPackerVarFiles(
        [hcl("common.pkrvars.hcl", 'repo_root = "/srv/a"\nmanifest_output_path = "m.json"\n')],
        {
          builds: [
            { key: "A", files: [hcl("a.pkrvars.hcl", 'repo_root = "/srv/a"\n')] },
            { key: "B", files: [hcl("b.pkrvars.hcl", 'repo_root = "/srv/b"\n')] },
          ],
        },
      );
      assert.equal(r.config.repoRoot, "/srv/a");
      assert.equal(r.config.manifestOutputPath, "m.json");
      assert.deepEqual(
        r.unsupported.map((u) => [u.variable, u.file, u.value]),
        [["repo_root", "b.pkrvars.hcl", "/srv/b"]],
      );
      assert.match(r.unsupported[0].reason, /one per stack, not per build \(build B\)/);
      assert.ok(r.notes.some((n) => /manifest_output_path = "m\.json" is a relative path/.test(n)));
    });

    it("applies two files given for the same key in order; refuses a key that can't name images", async () => {
      const r = await importPackerVarFiles([], {
        builds: [
          { key: "X", files: [hcl("x1.pkrvars.hcl", 'source_image = "a"\nvolume_size = 30\n')] },
          { key: "X", files: [hcl("x2.pkrvars.hcl", "volume_size = 40\n")] },
        ],
      });
      assert.deepEqual(r.builds, [{ key: "X", files: ["x1.pkrvars.hcl", "x2.pkrvars.hcl"] }]);
      assert.equal(r.config.volumeSize, 40);
      await assert.rejects(
        importPackerVarFiles([], { builds: [{ key: "a b", files: [] }] }),
        /build key "a b": use letters, digits/,
      );
    });
  });

  describe("checked by the program", () => {
    it("a complete import is accepted as it is; an incomplete one names what is missing", async () => {
      const env = {
        APPLIANCES_REPO_ROOT: APPLIANCE,
        APPLIANCES_ENVIRONMENT_ROOT: path.join(APPLIANCE, "environments/site"),
      };
      const complete = await importPackerVarFiles([fixture(SITE)]);
      assert.deepEqual(checkImportedConfig(complete.config, { cwd: APPLIANCE, env }), []);

      const partial = await importPackerVarFiles([hcl("p.pkrvars.hcl", 'flavor = "f"\n')]);
      const problems = checkImportedConfig(partial.config, { cwd: APPLIANCE, env });
      assert.deepEqual(
        problems.map((p) => [p.key, p.message.split(":")[0]]),
        [["builds.openhpc", "no source"]],
      );
      const sourced = await importPackerVarFiles([
        hcl("p.pkrvars.hcl", 'flavor = "f"\nsource_image = "1111"\n'),
      ]);
      assert.deepEqual(
        checkImportedConfig(sourced.config, { cwd: APPLIANCE, env }).map((p) => p.key),
        ["builds.openhpc.networks"],
      );
      assert.ok(
        partial.notes.some((n) => /build openhpc has no source_image_name or source_image/.test(n)),
      );
    });
  });

  describe("the localcloud var file", () => {
    it("alone makes the fat build of the local stack (Pulumi.local.yaml)", async () => {
      const env = {
        APPLIANCES_REPO_ROOT: APPLIANCE,
        APPLIANCES_ENVIRONMENT_ROOT: path.join(APPLIANCE, "environments/site"),
      };
      const r = await importPackerVarFiles([fixture(LOCALCLOUD)], { buildKey: "fat" });
      assert.deepEqual(r.unsupported, []);
      const imported = resolveRendered(renderStackFile(r), env, APPLIANCE).builds[0];
      const local = resolveRendered(
        fs.readFileSync(path.join(ROOT, "Pulumi.local.yaml"), "utf8"),
        env,
        APPLIANCE,
      ).builds.find((b) => b.key === "fat")!;
      const pick = (b: typeof local) => ({
        source: b.source,
        flavor: b.flavor,
        networks: b.networks,
        securityGroups: b.securityGroups,
        inventoryGroups: b.inventoryGroups,
        volume: b.volume,
        sshUsername: b.sshUsername,
        diskFormat: b.image.diskFormat,
      });
      assert.deepEqual(pick(imported), pick(local));
      // Packer's image name, not the local stack's openhpc-fat.
      assert.equal(imported.image.namePrefix, "openhpc");
    });
  });

  describe("the command (npm run import-packer, init --from-packer)", () => {
    it("parses files, --build key=file, --stack and refuses what it does not know", () => {
      assert.deepEqual(
        parseImportArgs([
          "a.hcl",
          "b.hcl",
          "--build",
          "RL9=r.hcl",
          "--build=X=x.hcl",
          "--stack",
          "staging",
        ]),
        {
          files: ["a.hcl", "b.hcl"],
          builds: [
            { key: "RL9", file: "r.hcl" },
            { key: "X", file: "x.hcl" },
          ],
          stack: "staging",
          force: false,
        },
      );
      assert.throws(() => parseImportArgs([]), /no Packer var files given/);
      assert.throws(
        () => parseImportArgs(["a", "--build", "RL9"]),
        /--build RL9: expected <key>=<file>/,
      );
      assert.throws(() => parseImportArgs(["a", "--bogus", "x"]), /unknown option --bogus/);
      assert.throws(() => parseImportArgs(["a", "--stack", "s", "--out", "o"]), /give one/);
    });

    it("writes Pulumi.<stack>.yaml under the project's namespace, reports, and won't overwrite", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "packer-import-"));
      try {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: site-images\nruntime: nodejs\n");
        const out: string[] = [];
        const err: string[] = [];
        const io = {
          cwd: APPLIANCE,
          env: {
            APPLIANCES_REPO_ROOT: APPLIANCE,
            APPLIANCES_ENVIRONMENT_ROOT: path.join(APPLIANCE, "environments/site"),
          },
          stdout: (t: string) => out.push(t),
          stderr: (t: string) => err.push(t),
        };
        const argv = [SITE, ARCUS, "--stack", "staging", "--dir", dir];
        assert.equal(await runImportPacker(argv, io), 0, err.join(""));
        const written = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
        assert.match(written, /^# Written by `npm run import-packer` from Packer variable files/);
        const config = (parseYaml(written) as { config: Record<string, unknown> }).config;
        assert.equal(config["site-images:flavor"], "vm.ska.cpu.general.eighth");
        assert.deepEqual(config["site-images:builds"], {
          openhpc: { sourceImageName: "Rocky-9-GenericCloud-Base-9.4-20240609.0.x86_64.qcow2" },
        });
        assert.deepEqual(out, []);
        const report = err.join("");
        assert.match(
          report,
          /wrote .*Pulumi\.staging\.yaml: \d+ settings for 1 build\(s\) \(openhpc\)/,
        );
        assert.match(report, /not imported \(1\):\n {2}- os_version/);
        // The bastion key file of the ARCUS CI runner is not on this machine: said now, not at preview.
        assert.match(report, /site-images:sshBastionPrivateKeyFile: file does not exist/);

        assert.equal(await runImportPacker(argv, io), 1);
        assert.match(err.at(-1)!, /Pulumi\.staging\.yaml exists: --force to replace it/);
        assert.equal(await runImportPacker([...argv, "--force"], io), 0);

        assert.equal(await runImportPacker(["missing.pkrvars.hcl"], io), 1);
        assert.match(err.at(-1)!, /missing\.pkrvars\.hcl: can't read the var file \(ENOENT\)/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
