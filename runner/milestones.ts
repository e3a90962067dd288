/**
 * What a user reads while a build stack's engine runs: one line per
 * milestone (volume ready, server active, ...) with its duration, and the
 * Ansible step's own progress lines, instead of the engine's transcript.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { MARKERS } from "../lib/protocol";

/** Milestone wording per resource type and operation. */
const MILESTONES: Record<string, { create?: string; delete?: string }> = {
  "openstack:blockstorage/volume:Volume": {
    create: "builder volume ready",
    delete: "builder volume deleted",
  },
  "openstack:compute/instance:Instance": {
    create: "builder server active",
    delete: "builder server stopped and deleted",
  },
  "openstack:compute/keypair:Keypair": {
    create: "keypair registered",
    delete: "keypair deleted",
  },
  "openstack:networking/floatingIp:FloatingIp": {
    create: "floating IP allocated",
    delete: "floating IP released",
  },
  "openstack:networking/floatingIpAssociate:FloatingIpAssociate": {
    create: "floating IP attached",
  },
  "command:local:Command": { create: "Ansible step done" },
};

/** The build stack's Ansible command (buildstack/AnsibleProvision.ts): its lines are progress. */
const ANSIBLE_COMMAND_URN = /::ansible-playbook$/;

/** When each resource operation started, to report its duration. */
export class MilestoneClock {
  readonly started = new Map<string, number>();
}

const TIME_PREFIX = /^\[\d\d:\d\d:\d\d\] /;

/** The line to print for an engine event, if it is a milestone or Ansible progress. */
export function engineMilestone(
  event: EngineEvent,
  clock: MilestoneClock,
  now = Date.now(),
): string | undefined {
  const pre = event.resourcePreEvent?.metadata;
  if (pre) {
    clock.started.set(`${pre.op} ${pre.urn}`, now);
    return undefined;
  }
  const done = event.resOutputsEvent?.metadata;
  if (done) {
    const what = MILESTONES[done.type]?.[done.op as "create" | "delete"];
    if (!what) return undefined;
    const started = clock.started.get(`${done.op} ${done.urn}`);
    return started === undefined ? what : `${what} (${Math.round((now - started) / 1000)} s)`;
  }
  const failed = event.resOpFailedEvent?.metadata;
  if (failed) return `${failed.type} ${failed.op} failed (details follow)`;
  const diag = event.diagnosticEvent;
  if (diag?.urn && ANSIBLE_COMMAND_URN.test(diag.urn) && diag.severity === "info") {
    const line = diag.message.trim().replace(TIME_PREFIX, "");
    // Its result line is data for the runner, not news for the user.
    if (line.startsWith(MARKERS.provisionResult)) return undefined;
    return line || undefined;
  }
  return undefined;
}
