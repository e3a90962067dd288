import { strict as assert } from "node:assert";
import {
  ensurePrerequisites,
  familyOf,
  packagesFor,
  planPrerequisites,
  type HostFacts,
} from "../../scripts/prerequisites";

const debian: HostFacts = {
  platform: "linux",
  root: true,
  os: { id: "debian", name: "Debian GNU/Linux 12 (bookworm)" },
  missingCommands: [],
  hasApt: true,
};

describe("npm run demo: what this machine needs first", () => {
  it("a ready Debian machine needs nothing", () => {
    assert.deepEqual(planPrerequisites(debian), { kind: "ok" });
  });

  it("as root with apt: installs the Debian packages of the missing commands, once each", () => {
    const plan = planPrerequisites({
      ...debian,
      missingCommands: ["debootstrap", "sshd", "ssh", "ssh-keygen", "ip"],
    });
    assert.deepEqual(plan, {
      kind: "install",
      packages: ["debootstrap", "openssh-server", "openssh-client", "iproute2"],
      command: [
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "debootstrap",
        "openssh-server",
        "openssh-client",
        "iproute2",
      ],
    });
  });

  it("Ubuntu is Debian's family; Rocky is RHEL's, with its own package names and EPEL", () => {
    assert.equal(familyOf({ id: "ubuntu", idLike: ["debian"] }), "debian");
    assert.equal(familyOf({ id: "rocky", idLike: ["rhel", "centos", "fedora"] }), "rhel");
    assert.equal(familyOf({ id: "arch" }), "other");
    assert.deepEqual(packagesFor(["ssh", "ip", "python3 -m venv"], "rhel"), [
      "openssh-clients",
      "iproute",
      "python3",
    ]);
    const plan = planPrerequisites({
      ...debian,
      os: { id: "rocky", idLike: ["rhel"], name: "Rocky Linux 9.4 (Blue Onyx)" },
      missingCommands: ["debootstrap", "ip"],
      hasApt: false,
    });
    assert.equal(plan.kind, "fail");
    assert.match(
      (plan as { message: string }).message,
      /needs debootstrap \(localcloud's base image\), ip \(localcloud's addresses\)\. On Rocky Linux 9\.4 \(Blue Onyx\) install them with: dnf install -y epel-release && dnf install -y debootstrap iproute/,
    );
  });

  it("not root, not Linux, or namespaces refused: says what to do instead, installs nothing", () => {
    const notRoot = planPrerequisites({ ...debian, root: false, missingCommands: ["debootstrap"] });
    assert.equal(notRoot.kind, "fail");
    assert.match(
      (notRoot as { message: string }).message,
      /needs root.*sudo -E npm run demo.*missing too: debootstrap/,
    );
    const mac = planPrerequisites({ ...debian, platform: "darwin" });
    assert.match((mac as { message: string }).message, /needs Linux.*this is darwin.*Debian VM/);
    const container = planPrerequisites({
      ...debian,
      namespaceError: "unshare failed: Operation not permitted",
    });
    assert.match(
      (container as { message: string }).message,
      /refuses them \(unshare: unshare failed: Operation not permitted\).*--privileged/,
    );
  });

  it("fails before anything else when a package can't be installed here", () => {
    const lines: string[] = [];
    assert.throws(
      () =>
        ensurePrerequisites(
          (l) => lines.push(l),
          () => ({ ...debian, root: false, missingCommands: ["tar"] }),
        ),
      /needs root/,
    );
    assert.deepEqual(lines, []);
  });
});
