// Ansible (from `npm run tools`) really runs over SSH on a localcloud server,
// with become, and the image uploaded from its volume contains the changes.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { toolPath } from "./repoTools";
import { LocalCloud, startLocalCloud } from "../src";
import {
  leftovers,
  listeners,
  makeKey,
  missingPrerequisites,
  Rest,
  ssh,
  type TestKey,
  waitFor,
} from "../src/testing";

const run = promisify(execFile);

const PLAYBOOK = `
- hosts: builder
  become: true
  tasks:
    - ansible.builtin.copy:
        dest: /etc/slurm-image-builder-test
        content: "provisioned by ansible\\n"
    - ansible.builtin.user:
        name: slurm
        system: true
    - ansible.builtin.command: hostname
      register: host
    - ansible.builtin.assert:
        that: host.stdout == "ansible-builder"
`;

describe("localcloud with Ansible", function () {
  this.timeout(300_000);
  let cloud: LocalCloud;
  let key: TestKey;
  let stateDir: string;
  const playbookBin = () => toolPath("ansible-playbook");

  before(async function () {
    const missing =
      missingPrerequisites() ??
      (existsSync(playbookBin()) ? undefined : `no ${playbookBin()} (run npm run tools)`);
    if (missing) {
      console.warn(`skipping the Ansible test on localcloud: ${missing}`);
      this.skip();
    }
    stateDir = mkdtempSync(join(tmpdir(), "localcloud-ansible-"));
    cloud = await startLocalCloud({
      stateDir: join(stateDir, "cloud"),
      port: 0,
      transitionMs: 100,
      log: () => {},
    });
    key = makeKey();
  });

  after(async function () {
    if (!cloud) return;
    await cloud.stop();
    key?.cleanup();
    const left = [...leftovers(join(stateDir, "cloud")), ...listeners(cloud.octet)];
    rmSync(stateDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  it("provisions a server with become; the uploaded image has the changes", async () => {
    const api = await Rest.login(cloud);
    const vol = (
      await api.call("POST", api.vol("/volumes"), {
        volume: { size: 2, imageRef: cloud.baseImageId, name: "ansible-vol" },
      })
    ).json.volume as { id: string };
    await waitFor(
      "volume available",
      async () =>
        ((await api.call("GET", api.vol(`/volumes/${vol.id}`))).json.volume as { status: string })
          .status === "available",
    );
    await api.call("POST", "/compute/v2.1/os-keypairs", {
      keypair: { name: "ansible", public_key: key.publicKey },
    });
    const net = (
      (await api.call("GET", "/network/v2.0/networks?name=localcloud-net")).json.networks as {
        id: string;
      }[]
    )[0];
    const created = await api.call("POST", "/compute/v2.1/servers", {
      server: {
        name: "ansible-builder",
        flavorRef: "2",
        key_name: "ansible",
        networks: [{ uuid: net.id }],
        block_device_mapping_v2: [
          { uuid: vol.id, source_type: "volume", destination_type: "volume", boot_index: 0 },
        ],
      },
    });
    const id = (created.json.server as { id: string }).id;
    const server = async () =>
      (await api.call("GET", `/compute/v2.1/servers/${id}`)).json.server as {
        status: string;
        addresses: Record<string, { addr: string }[]>;
      };
    await waitFor("ACTIVE", async () => (await server()).status === "ACTIVE");
    const ip = (await server()).addresses["localcloud-net"][0].addr;
    await waitFor("ssh", () => ssh(key, "rocky", ip, "true").then(() => true), 60_000);

    const playbook = join(stateDir, "site.yml");
    writeFileSync(playbook, PLAYBOOK);
    const inventory = join(stateDir, "inventory");
    writeFileSync(
      inventory,
      `[builder]\n${ip} ansible_user=rocky ansible_ssh_private_key_file=${key.privateKey} ansible_python_interpreter=/usr/bin/python3\n`,
    );
    const { stdout } = await run(playbookBin(), ["-i", inventory, playbook], {
      env: {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: "False",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_LOCAL_TEMP: join(stateDir, "ansible-tmp"),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.match(stdout, /failed=0/);
    assert.match(stdout, /changed=[1-9]/);

    await api.call("POST", `/compute/v2.1/servers/${id}/action`, { "os-stop": null });
    await waitFor("SHUTOFF", async () => (await server()).status === "SHUTOFF");
    await api.call("DELETE", `/compute/v2.1/servers/${id}`);
    await waitFor(
      "volume available",
      async () =>
        ((await api.call("GET", api.vol(`/volumes/${vol.id}`))).json.volume as { status: string })
          .status === "available",
    );
    const up = await api.call("POST", api.vol(`/volumes/${vol.id}/action`), {
      "os-volume_upload_image": { image_name: "provisioned" },
    });
    const imageId = (up.json["os-volume_upload_image"] as { image_id: string }).image_id;
    await waitFor(
      "image active",
      async () => (await api.call("GET", `/image/v2/images/${imageId}`)).json.status === "active",
    );
    const res = await fetch(`${cloud.url}/image/v2/images/${imageId}/file`, {
      headers: { "X-Auth-Token": api.token },
    });
    const archive = join(stateDir, "provisioned.tar");
    writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
    const content = execFileSync("tar", ["-xOf", archive, "./etc/slurm-image-builder-test"], {
      encoding: "utf8",
    });
    assert.equal(content, "provisioned by ansible\n");
    const passwd = execFileSync("tar", ["-xOf", archive, "./etc/passwd"], { encoding: "utf8" });
    assert.match(passwd, /^slurm:/m);
  });
});
