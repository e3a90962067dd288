import { strict as assert } from "node:assert";
import {
  engineFailureSummary,
  heldResources,
  provisionedFrom,
  removableAhead,
} from "../../runner/buildStack";
import { formatResult, parseResult, type BuildResult } from "../../lib/protocol";

describe("build runner results", () => {
  const result: BuildResult = {
    imageId: "img",
    imageName: "openhpc-RL9-260105-0907-01234567",
    fingerprint: "f",
    sourceImageId: "src",
    inventoryGroups: ["fatimage"],
    gitCommit: "0123",
    builtAt: "2026-01-05T09:07:00.000Z",
    timings: { provision: 12.5 },
  };
  it("the main stack reads the last result line of the runner's output", () => {
    const stdout = `[10:00:00] step\n${formatResult({ ...result, imageId: "old" })}\n[10:00:01] more\n${formatResult(result)}\n`;
    assert.deepEqual(parseResult(stdout), result);
    assert.equal(parseResult("[10:00:00] no result\n"), undefined);
  });
});

describe("engine failure summary", () => {
  it("keeps the engine's diagnostics and drops the transcript and provider warnings", () => {
    const message = [
      "code: 255",
      " stdout: Updating (proto-fat):",
      " +  openstack:compute:Instance builder-server creating (0s)",
      " stderr: Command failed",
      "Diagnostics:",
      "  command:local:Command (ansible-playbook):",
      "    error: exit status 2",
      "    fatal: [builder]: FAILED! => {msg: boom}",
      "  pulumi:pulumi:Stack (x):",
      "    warning: provider config warning: neutron-lbaas ...",
      "Outputs:",
      "    address: 127.0.0.1",
      "err?: Error: Command failed ... Diagnostics: again",
    ].join("\n");
    const summary = engineFailureSummary(new Error(message));
    assert.equal(
      summary,
      [
        "Diagnostics:",
        "  command:local:Command (ansible-playbook):",
        "    error: exit status 2",
        "    fatal: [builder]: FAILED! => {msg: boom}",
        "  pulumi:pulumi:Stack (x):",
      ].join("\n"),
    );
    assert.equal(engineFailureSummary("plain\nfailure"), "plain\nfailure");
  });
});

describe("what the runner deletes ahead of the engine's destroy", () => {
  const state = [
    { type: "pulumi:pulumi:Stack", id: "" },
    { type: "pulumi:providers:openstack", id: "prov" },
    { type: "tls:index/privateKey:PrivateKey", id: "k" },
    { type: "openstack:compute/keypair:Keypair", id: "kp" },
    { type: "openstack:blockstorage/volume:Volume", id: "vol-1" },
    { type: "openstack:compute/instance:Instance", id: "srv-1" },
    { type: "command:local:Command", id: "ansible" },
    { type: "openstack:networking/port:Port", id: "port-1" },
    { type: "openstack:networking/floatingIp:FloatingIp", id: "fip-1" },
    { type: "openstack:compute/instance:Instance" },
  ];

  it("counts what the stack holds, not the stack and its providers", () => {
    assert.deepEqual(
      heldResources(state).map((r) => r.id),
      ["k", "kp", "vol-1", "srv-1", "ansible", "port-1", "fip-1", undefined],
    );
    assert.equal(heldResources(state.slice(0, 2)).length, 0);
  });

  it("takes the builder's servers, volumes and ports with ids; leaves the rest (floating IPs too) to the engine", () => {
    assert.deepEqual(removableAhead(state), {
      servers: ["srv-1"],
      volumes: ["vol-1"],
      ports: ["port-1"],
    });
    assert.deepEqual(removableAhead([]), { servers: [], volumes: [], ports: [] });
  });
});

describe("what the provision step left in the build stack's state", () => {
  it("the Ansible result of the component, the server's and the volume's ids", () => {
    const result = { sshWait: { start: 1, end: 2 }, ansible: { start: 2, end: 9 }, tasks: 6 };
    assert.deepEqual(
      provisionedFrom([
        { type: "openstack:blockstorage/volume:Volume", id: "vol-1" },
        { type: "openstack:compute/instance:Instance", id: "srv-1" },
        { type: "slurm-image:builder:AnsibleProvision", outputs: { result } },
      ]),
      { provision: result, serverId: "srv-1", volumeId: "vol-1" },
    );
    assert.deepEqual(provisionedFrom([]), {
      provision: undefined,
      serverId: undefined,
      volumeId: undefined,
    });
  });
});
