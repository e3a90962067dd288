import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A minimal appliance checkout in a temp dir: enough for config checks and fingerprints. */
export function makeAppliance(): {
  repoRoot: string;
  environmentRoot: string;
  cleanup: () => void;
} {
  const repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "appliance-"));
  const files: Record<string, string> = {
    "ansible/fatimage.yml": "- hosts: builder\n  tasks: []\n",
    "ansible/roles/example/tasks/main.yml": "- debug: msg=hi\n",
    "requirements.yml": "collections: []\n",
    "environments/common/inventory/groups": "[builder]\n[fatimage]\n[cuda]\n",
    "environments/site/inventory/groups": "[login]\n",
    "environments/site/inventory/group_vars/builder/defaults.yml": "marker: site\n",
    "environments/site/ansible.cfg": "[defaults]\ninventory = ../common/inventory,inventory\n",
    "environments/site/activate": "export APPLIANCES_ENVIRONMENT_ROOT=...\n",
    "environments/production/inventory/groups": "[login]\n",
    "docs/README.md": "docs\n",
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repoRoot, file)), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, file), content);
  }
  return {
    repoRoot,
    environmentRoot: path.join(repoRoot, "environments", "site"),
    cleanup: () => fs.rmSync(repoRoot, { recursive: true, force: true }),
  };
}

/** The fingerprinted paths of a `makeAppliance()` tree: its three areas. */
export function applianceAreaPaths(repoRoot: string): string[] {
  return ["ansible", "environments/common", "environments/site"].map((p) => path.join(repoRoot, p));
}
