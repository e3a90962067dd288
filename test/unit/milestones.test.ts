import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { engineMilestone, MilestoneClock } from "../../runner/milestones";

const urn = (type: string, name: string) =>
  `urn:pulumi:staging-fat::slurm-image-builder-build::slurm-image:builder:BuilderVm$${type}::${name}`;
const step = (
  kind: "resourcePreEvent" | "resOutputsEvent" | "resOpFailedEvent",
  type: string,
  name: string,
  op: string,
) =>
  ({
    sequence: 0,
    timestamp: 0,
    [kind]: { metadata: { op, urn: urn(type, name), type } },
  }) as unknown as EngineEvent;

describe("build stack milestones", () => {
  const VOLUME = "openstack:blockstorage/volume:Volume";
  const SERVER = "openstack:compute/instance:Instance";

  it("one line per milestone, with how long it took", () => {
    const clock = new MilestoneClock();
    assert.equal(
      engineMilestone(step("resourcePreEvent", VOLUME, "builder-volume", "create"), clock, 1000),
      undefined,
    );
    assert.equal(
      engineMilestone(step("resOutputsEvent", VOLUME, "builder-volume", "create"), clock, 13_400),
      "builder volume ready (12 s)",
    );
    engineMilestone(step("resourcePreEvent", SERVER, "builder-server", "delete"), clock, 0);
    assert.equal(
      engineMilestone(step("resOutputsEvent", SERVER, "builder-server", "delete"), clock, 20_000),
      "builder server stopped and deleted (20 s)",
    );
    assert.equal(
      engineMilestone(step("resOpFailedEvent", SERVER, "builder-server", "create"), clock),
      `${SERVER} create failed (details follow)`,
    );
  });

  it("nothing for the engine's own chatter: same steps, tls keys, other diagnostics", () => {
    const clock = new MilestoneClock();
    assert.equal(
      engineMilestone(step("resOutputsEvent", VOLUME, "builder-volume", "same"), clock),
      undefined,
    );
    assert.equal(
      engineMilestone(
        step("resOutputsEvent", "tls:index/privateKey:PrivateKey", "k", "create"),
        clock,
      ),
      undefined,
    );
    const diag = (u: string, message: string, severity = "info") =>
      ({
        sequence: 0,
        timestamp: 0,
        diagnosticEvent: { urn: u, message, color: "never", severity },
      }) as unknown as EngineEvent;
    assert.equal(
      engineMilestone(diag("urn:x::pulumi:pulumi:Stack::s", "warning: neutron-lbaas"), clock),
      undefined,
    );
    const ansible =
      "urn:pulumi:s::p::slurm-image:builder:AnsibleProvision$command:local:Command::ansible-playbook";
    assert.equal(
      engineMilestone(
        diag(ansible, "[10:00:00] Ansible: 412 tasks done (9 min), now: TASK [x]\n"),
        clock,
      ),
      "Ansible: 412 tasks done (9 min), now: TASK [x]",
    );
    assert.equal(engineMilestone(diag(ansible, "boom", "error"), clock), undefined);
    assert.equal(
      engineMilestone(diag(ansible, 'PROVISION_RESULT={"tasks":6}'), clock),
      undefined,
      "the result line is data, not progress",
    );
  });
});
