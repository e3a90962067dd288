/**
 * `pulumi preview --json` → a table of what happens to each image, for pull
 * requests: one row per build key (build, rebuild, unchanged, ...) or per pin
 * (promote, unpin), with the inputs that changed.
 */
import { readBuildSettings, readPromotionRequest } from "./protocol";

/** The parts of a preview step this reads (Pulumi's `apitype.PreviewStep`). */
export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { inputs?: Record<string, unknown> };
  diffReasons?: string[];
  replaceReasons?: string[];
}

export interface PreviewJson {
  steps?: PreviewStep[];
  diagnostics?: { message?: string; severity?: string; urn?: string }[];
}

export type ImageAction =
  "build" | "rebuild" | "update properties" | "unchanged" | "remove" | "promote" | "unpin";

export interface ImagePlanRow {
  key: string;
  kind: "build" | "pin";
  action: ImageAction;
  /** Why, in words: the inputs that changed. */
  reasons: string[];
}

/** Pulumi's marker for a value not known until the update runs. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const REPLACE_OPS = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "discard-replaced",
]);

/** Of one URN's steps: `replace` carries both states, `delete-replaced` only the old one. */
function stepRank(op: string): number {
  return op === "replace" ? 3 : op === "create-replacement" ? 2 : REPLACE_OPS.has(op) ? 1 : 0;
}

/** Build key and kind from a per-image command's URN (`...::<key>-image` / `...::<key>-promotion`). */
function commandOf(urn: string): { key: string; kind: "build" | "pin" } | undefined {
  if (!urn.includes("command:local:Command::")) return undefined;
  const name = urn.slice(urn.lastIndexOf("::") + 2);
  if (urn.includes("slurm-image:index:ImageBuild$") && name.endsWith("-image"))
    return { key: name.slice(0, -"-image".length), kind: "build" };
  if (urn.includes("slurm-image:index:ImagePromotion$") && name.endsWith("-promotion"))
    return { key: name.slice(0, -"-promotion".length), kind: "pin" };
  return undefined;
}

export function planRows(preview: PreviewJson): ImagePlanRow[] {
  // A replacement shows as several steps for one URN; keep the most telling.
  const byUrn = new Map<string, PreviewStep>();
  for (const step of preview.steps ?? []) {
    const seen = byUrn.get(step.urn);
    if (!seen || stepRank(step.op) > stepRank(seen.op)) byUrn.set(step.urn, step);
  }
  const rows: ImagePlanRow[] = [];
  for (const [urn, step] of byUrn) {
    const command = commandOf(urn);
    if (!command) continue;
    rows.push(command.kind === "build" ? buildRow(command.key, step) : pinRow(command.key, step));
  }
  return rows.sort((a, b) => a.key.localeCompare(b.key));
}

function triggersOf(state?: {
  inputs?: Record<string, unknown>;
}): Record<string, unknown> | undefined {
  const triggers = state?.inputs?.triggers;
  const first = Array.isArray(triggers) ? triggers[0] : undefined;
  return first && typeof first === "object" ? (first as Record<string, unknown>) : undefined;
}

/** A step's command environment, with values the preview does not know yet left out. */
function envOf(state: { inputs?: Record<string, unknown> } | undefined): Record<string, string> {
  const env = (state?.inputs?.environment ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => typeof e[1] === "string" && e[1] !== UNKNOWN,
    ),
  );
}

function buildRow(key: string, step: PreviewStep): ImagePlanRow {
  const row = (action: ImageAction, reasons: string[] = []): ImagePlanRow => ({
    key,
    kind: "build",
    action,
    reasons,
  });
  if (step.op === "same") return row("unchanged");
  if (step.op === "create") return row("build", ["new build key"]);
  if (step.op === "delete")
    return row("remove", [
      "no longer in the stack config; the image is kept unless deleteImageOnDestroy",
    ]);
  if (step.op === "update") {
    return row(
      "update properties",
      (step.diffReasons ?? []).map((r) => `${r} changed`),
    );
  }
  if (REPLACE_OPS.has(step.op)) {
    const before = triggersOf(step.oldState);
    const after = triggersOf(step.newState);
    const source = readBuildSettings(envOf(step.newState))?.spec?.source;
    if (!after || after.sourceImageId === UNKNOWN) {
      return row("rebuild", [
        source?.kind === "build"
          ? `its source build ${source.key} rebuilds`
          : "its source image changes",
        ...(before && after ? triggerChanges(before, after, true) : []),
      ]);
    }
    const reasons = before ? triggerChanges(before, after, false) : ["inputs changed"];
    return row("rebuild", reasons.length ? reasons : ["inputs changed"]);
  }
  return row("unchanged");
}

function pinRow(key: string, step: PreviewStep): ImagePlanRow {
  const pinned = (state?: PreviewStep["newState"]) => {
    const request = readPromotionRequest(envOf(state));
    if (!request?.imageId) return "an image";
    const name = request.expected?.imageName ? ` (${request.expected.imageName})` : "";
    return `${request.imageId}${name}${request.outside ? ", outside image" : ""}`;
  };
  const row = (action: ImageAction, reasons: string[] = []): ImagePlanRow => ({
    key,
    kind: "pin",
    action,
    reasons,
  });
  if (step.op === "same")
    return row("unchanged", [`pinned: ${pinned(step.oldState ?? step.newState)}`]);
  if (step.op === "create") return row("promote", [`new pin: ${pinned(step.newState)}`]);
  if (step.op === "delete")
    return row("unpin", [
      `pin removed: ${pinned(step.oldState)}; its share is removed, the image is kept`,
    ]);
  if (REPLACE_OPS.has(step.op))
    return row("promote", [`pin: ${pinned(step.oldState)} → ${pinned(step.newState)}`]);
  return row(
    "promote",
    (step.diffReasons ?? []).map((r) => `${r} changed`),
  );
}

const short = (id: unknown) => (typeof id === "string" ? id.slice(0, 8) : String(id));

/** Human words for what differs between two rebuild-trigger maps (see lib/triggers.ts). */
export function triggerChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  skipSource: boolean,
): string[] {
  const reasons: string[] = [];
  if (!skipSource && before.sourceImageId !== after.sourceImageId)
    reasons.push(`source image: ${short(before.sourceImageId)} → ${short(after.sourceImageId)}`);
  const groupsBefore = (before.inventoryGroups as string[] | undefined) ?? [];
  const groupsAfter = (after.inventoryGroups as string[] | undefined) ?? [];
  const added = groupsAfter.filter((g) => !groupsBefore.includes(g));
  const removed = groupsBefore.filter((g) => !groupsAfter.includes(g));
  if (added.length || removed.length)
    reasons.push(
      `inventory groups: ${[...added.map((g) => `+${g}`), ...removed.map((g) => `-${g}`)].join(" ")}`,
    );
  if (before.volumeSize !== after.volumeSize)
    reasons.push(`volume size: ${String(before.volumeSize)} → ${String(after.volumeSize)} GB`);
  if (before.diskFormat !== after.diskFormat)
    reasons.push(`disk format: ${String(before.diskFormat)} → ${String(after.diskFormat)}`);
  const varsBefore = (before.extraVars as Record<string, unknown> | undefined) ?? {};
  const varsAfter = (after.extraVars as Record<string, unknown> | undefined) ?? {};
  const changedVars = [...new Set([...Object.keys(varsBefore), ...Object.keys(varsAfter)])]
    .filter((k) => JSON.stringify(varsBefore[k]) !== JSON.stringify(varsAfter[k]))
    .sort();
  if (changedVars.length) reasons.push(`extra vars: ${changedVars.join(", ")}`);
  if (before.extraVarsFileDigest !== after.extraVarsFileDigest)
    reasons.push("extra vars file changed");
  reasons.push(
    ...applianceFileChanges(
      before.applianceFiles as Record<string, unknown> | undefined,
      after.applianceFiles as Record<string, unknown> | undefined,
    ),
  );
  return reasons;
}

/**
 * "appliance files: 3 changed, 1 added under environments/site" per area.
 * States written before per-file digests hold one digest per area: then the
 * area is named without counts.
 */
export function applianceFileChanges(
  before: Record<string, unknown> = {},
  after: Record<string, unknown> = {},
): string[] {
  const reasons: string[] = [];
  const areas = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const area of areas) {
    const old = before[area];
    const now = after[area];
    if (JSON.stringify(old) === JSON.stringify(now)) continue;
    if (typeof old !== "object" || typeof now !== "object" || !old || !now) {
      reasons.push(
        old === undefined
          ? `appliance files: ${area} added`
          : now === undefined
            ? `appliance files: ${area} removed`
            : `appliance files changed under ${area}`,
      );
      continue;
    }
    const o = old as Record<string, string>;
    const n = now as Record<string, string>;
    const files = [...new Set([...Object.keys(o), ...Object.keys(n)])];
    const changed = files.filter((f) => f in o && f in n && o[f] !== n[f]).length;
    const added = files.filter((f) => !(f in o)).length;
    const removed = files.filter((f) => !(f in n)).length;
    const parts = [
      changed ? `${changed} changed` : "",
      added ? `${added} added` : "",
      removed ? `${removed} removed` : "",
    ].filter(Boolean);
    reasons.push(`appliance files: ${parts.join(", ")} under ${area}`);
  }
  return reasons;
}

/** The Markdown a pull request shows for one stack's preview. */
export function renderPlan(stack: string, preview: PreviewJson): string {
  const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error");
  const lines = [`### Images: \`${stack}\``, ""];
  if (errors.length) {
    lines.push("**The preview failed:**", "", "```");
    for (const e of errors) lines.push((e.message ?? "").trim());
    lines.push("```", "");
  }
  const rows = planRows(preview);
  if (rows.length === 0) {
    lines.push(errors.length ? "No image plan (see the error above)." : "No images in this stack.");
    return `${lines.join("\n")}\n`;
  }
  lines.push("| image | action | why |", "| --- | --- | --- |");
  for (const row of rows) {
    const why = row.reasons.map((r) => r.replace(/\|/g, "\\|")).join("; ");
    lines.push(
      `| \`${row.key}\` | ${row.action === "unchanged" ? row.action : `**${row.action}**`} | ${why} |`,
    );
  }
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.action, (counts.get(row.action) ?? 0) + 1);
  lines.push("", [...counts].map(([action, n]) => `${n} ${action}`).join(", "));
  return `${lines.join("\n")}\n`;
}
