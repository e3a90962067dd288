import { strict as assert } from "node:assert";
import * as path from "node:path";
import { parse } from "yaml";
import { environmentInventories, inventoriesFromAnsibleCfg } from "../../lib/ansible/ansibleCfg";
import {
  builderInventory,
  playbookArgv,
  playbookEnv,
  proxyCommand,
  sshArgv,
} from "../../lib/ansible/command";
import { isProgressLine } from "../../lib/ansible/output";
import { makeAppliance } from "../helpers/appliance";

describe("Ansible invocation", () => {
  const bastion = {
    host: "bastion.example.org",
    port: 2222,
    username: "jump",
    privateKeyFile: "/keys/bastion",
  };

  it("reads the inventory list of ansible.cfg relative to its directory", () => {
    const cfg =
      "# comment\n[defaults]\nforks = 30\ninventory = ../common/inventory, ../site/inventory,inventory\n[ssh_connection]\ninventory = nope\n";
    assert.deepEqual(inventoriesFromAnsibleCfg(cfg, "/r/environments/prod"), [
      "/r/environments/common/inventory",
      "/r/environments/site/inventory",
      "/r/environments/prod/inventory",
    ]);
  });

  it("uses the environment's inventories, like ansible-inventory with its ANSIBLE_CONFIG", () => {
    const a = makeAppliance();
    try {
      assert.deepEqual(environmentInventories(a.repoRoot, a.environmentRoot), [
        path.join(a.repoRoot, "environments/common/inventory"),
        path.join(a.repoRoot, "environments/site/inventory"),
      ]);
      const env = playbookEnv(a.repoRoot, a.environmentRoot);
      assert.equal(env.ANSIBLE_CONFIG, path.join(a.environmentRoot, "ansible.cfg"));
      assert.equal(env.APPLIANCES_REPO_ROOT, a.repoRoot);
      assert.equal(env.APPLIANCES_ENVIRONMENT_ROOT, a.environmentRoot);
    } finally {
      a.cleanup();
    }
  });

  it("runs fatimage.yml limited to builder, with every inventory, extra vars, vault and verbosity", () => {
    const argv = playbookArgv({
      repoRoot: "/r",
      environmentRoot: "/r/environments/site",
      environmentInventories: [
        "/r/environments/common/inventory",
        "/r/environments/site/inventory",
      ],
      builderInventoryFile: "/tmp/b.yml",
      extraVarsFile: "/r/packer/openhpc_extravars.yml",
      generatedExtraVarsFile: "/tmp/x.yml",
      verbosity: 2,
      vaultPasswordFile: "/tmp/v",
    });
    assert.deepEqual(argv, [
      "ansible-playbook",
      "/r/ansible/fatimage.yml",
      "--limit",
      "builder",
      "-i",
      "/r/environments/common/inventory",
      "-i",
      "/r/environments/site/inventory",
      "-i",
      "/tmp/b.yml",
      "-e",
      "@/r/packer/openhpc_extravars.yml",
      "-e",
      "@/tmp/x.yml",
      "--vault-password-file",
      "/tmp/v",
      "-vv",
    ]);
    const quiet = playbookArgv({
      repoRoot: "/r",
      environmentRoot: "/e",
      environmentInventories: [],
      builderInventoryFile: "/b",
      verbosity: 0,
    });
    assert.deepEqual(quiet, [
      "ansible-playbook",
      "/r/ansible/fatimage.yml",
      "--limit",
      "builder",
      "-i",
      "/b",
    ]);
  });

  it("puts the builder in builder + its groups, with connection host vars", () => {
    const conn = {
      host: "staging-rl9-builder",
      address: "10.0.0.5",
      user: "rocky",
      privateKeyFile: "/tmp/k",
    };
    const inv = parse(builderInventory(conn, ["fatimage", "cuda", "builder"]));
    const children = inv.all.children;
    assert.deepEqual(Object.keys(children), ["builder", "fatimage", "cuda"]);
    assert.deepEqual(children.builder.hosts["staging-rl9-builder"], {
      ansible_host: "10.0.0.5",
      ansible_port: 22,
      ansible_user: "rocky",
      ansible_ssh_private_key_file: "/tmp/k",
    });
    assert.deepEqual(children.cuda.hosts, { "staging-rl9-builder": {} });
  });

  it("reaches the builder through a bastion with a ProxyCommand, only when one is set", () => {
    const conn = {
      host: "h",
      address: "10.0.0.5",
      user: "rocky",
      privateKeyFile: "/tmp/k",
      bastion,
    };
    const inv = parse(builderInventory(conn, []));
    const args = inv.all.children.builder.hosts.h.ansible_ssh_common_args as string;
    assert.match(
      args,
      /^-o ProxyCommand="ssh -W %h:%p -q .* -p 2222 -i \/keys\/bastion jump@bastion.example.org"$/,
    );
    assert.ok(sshArgv(conn, "true").includes(`ProxyCommand=${proxyCommand(bastion)}`));
    assert.deepEqual(sshArgv({ ...conn, bastion: undefined }).slice(-3), [
      "-i",
      "/tmp/k",
      "rocky@10.0.0.5",
    ]);
  });

  it("shows plays, tasks, failures and the recap as progress", () => {
    assert.ok(isProgressLine("TASK [fatimage : install packages] ****"));
    assert.ok(isProgressLine("fatal: [h]: FAILED! => {}"));
    assert.ok(isProgressLine("staging-rl9-builder : ok=3 changed=1 unreachable=0 failed=0"));
    assert.ok(!isProgressLine('ok: [h] => {"changed": false}'));
  });
});
