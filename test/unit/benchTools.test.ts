import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  installedPackerPlugin,
  packerEnv,
  packerToolsKey,
  packerToolsRoot,
  packerToolVersions,
  repoRoot,
  toolPath,
  toolsKey,
} from "../../tools/paths";

describe("bench: the Packer tools set (tools/paths.ts)", () => {
  it("versions come from the go.mod files under tools/go", () => {
    assert.deepEqual(packerToolVersions(), {
      packer: "1.11.2",
      "packer-plugin-openstack": "1.1.2",
      "packer-plugin-ansible": "1.1.2",
    });
  });

  it("has a cache key of its own: a change to its modules never changes the Pulumi set's key", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tools-"));
    try {
      fs.cpSync(path.join(repoRoot, "tools"), path.join(root, "tools"), { recursive: true });
      fs.copyFileSync(
        path.join(repoRoot, "package-lock.json"),
        path.join(root, "package-lock.json"),
      );
      const pulumi = toolsKey(root);
      const packer = packerToolsKey(root);
      assert.match(packer, /^packer-1\.11\.2-[0-9a-f]{12}$/);
      // Another root (same content, other path) is keyed afresh: edit one Packer module there.
      const other = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tools-"));
      try {
        fs.cpSync(root, other, { recursive: true });
        fs.appendFileSync(path.join(other, "tools", "go", "packer", "go.mod"), "// changed\n");
        assert.equal(toolsKey(other), pulumi);
        assert.notEqual(packerToolsKey(other), packer);
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("lives in $SLURM_IMAGE_BUILDER_TOOLS_DIR/packer when that is set; packer is in its bin/", () => {
    const env = { SLURM_IMAGE_BUILDER_TOOLS_DIR: "/cache/tools" };
    assert.equal(packerToolsRoot(repoRoot, env), "/cache/tools/packer");
    assert.equal(toolPath("packer", repoRoot, env), "/cache/tools/packer/bin/packer");
    assert.deepEqual(packerEnv(env), {
      PACKER_PLUGIN_PATH: "/cache/tools/packer/plugins",
      CHECKPOINT_DISABLE: "1",
    });
  });

  it("finds an installed plugin by Packer's file name, never its checksum file", () => {
    const names = [
      "packer-plugin-openstack_v1.1.2_x5.0_linux_amd64_SHA256SUM",
      "packer-plugin-openstack_v1.1.1_x5.0_linux_amd64",
      "packer-plugin-openstack_v1.1.2_x5.0_linux_amd64",
    ];
    assert.equal(
      installedPackerPlugin(names, "openstack", "1.1.2"),
      "packer-plugin-openstack_v1.1.2_x5.0_linux_amd64",
    );
    assert.equal(installedPackerPlugin(names, "openstack", "1.1.3"), undefined);
    assert.equal(installedPackerPlugin(names.slice(0, 1), "openstack", "1.1.2"), undefined);
    assert.equal(installedPackerPlugin(names, "ansible", "1.1.2"), undefined);
  });
});
