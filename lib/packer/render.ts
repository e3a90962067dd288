/**
 * An imported config as a Pulumi stack file (`Pulumi.<stack>.yaml`): each
 * value with a comment naming the Packer variable and file it came from, and
 * at the top what was not imported and why.
 */
import { Document, isSeq, type Pair, type Scalar } from "yaml";
import type { Origin, PackerImport } from "./import";

export interface RenderOptions {
  /** The Pulumi project name: config keys are `<namespace>:<key>` (default slurm-image-builder). */
  namespace?: string;
  /** The command that wrote the file, named in its first line. */
  writtenBy?: string;
}

const WIDTH = 98;

export function renderStackFile(result: PackerImport, opts: RenderOptions = {}): string {
  const namespace = opts.namespace ?? "slurm-image-builder";
  const doc = new Document({ config: {} });
  doc.commentBefore = header(result, opts.writtenBy ?? "slurm-image-builder init --from-packer");

  const config = doc.get("config") as { items: Pair[] };
  const pair = (key: string, value: unknown, origin?: Origin): Pair => {
    const p = doc.createPair(key, value) as Pair<Scalar, unknown>;
    if (origin) p.key.commentBefore = ` ${describeOrigin(origin)}`;
    flowShortLists(p.value);
    return p;
  };

  const { builds, ...top } = result.config;
  for (const [key, value] of Object.entries(top)) {
    config.items.push(pair(`${namespace}:${key}`, value, result.origins[key]));
  }
  const buildsPair = pair(`${namespace}:builds`, {});
  const buildsMap = buildsPair.value as { items: Pair[] };
  for (const [key, settings] of Object.entries(builds)) {
    const buildPair = pair(key, {});
    const origin = result.builds.find((b) => b.key === key);
    if (origin?.files.length) {
      (buildPair.key as Scalar).commentBefore = ` build ${key}: ${origin.files.join(", ")}`;
    }
    const items = (buildPair.value as { items: Pair[] }).items;
    for (const [setting, value] of Object.entries(settings)) {
      items.push(pair(setting, value, result.origins[`builds.${key}.${setting}`]));
    }
    buildsMap.items.push(buildPair);
  }
  config.items.push(buildsPair);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function describeOrigin(origin: Origin): string {
  if (origin.packerDefault) return `${origin.variable}: not set in the files; Packer's default`;
  return `${origin.variable} (${origin.files.join(", ")})`;
}

/** Lists of plain values on one line (`networks: [a, b]`), as people write them. */
function flowShortLists(node: unknown): void {
  if (isSeq(node)) {
    node.flow = true;
    return;
  }
  const items = (node as { items?: Pair[] } | null)?.items;
  if (Array.isArray(items)) for (const item of items) flowShortLists(item.value);
}

function header(result: PackerImport, writtenBy: string): string {
  const lines: string[] = [
    ...wrap(
      `Written by \`${writtenBy}\` from Packer variable files (the README's table "Packer variable → config key"), applied in this order, later over earlier, as \`packer build -var-file=...\` does:`,
      "",
    ),
    ...result.files.map((f) => `  ${f}`),
  ];
  const perBuild = result.builds.filter((b) => b.files.length);
  if (perBuild.length) {
    lines.push("then, per build (one `packer build` each):");
    for (const b of perBuild) lines.push(`  ${b.key}: ${b.files.join(", ")}`);
  }
  lines.push("");
  if (result.unsupported.length) {
    lines.push("NOT IMPORTED:");
    for (const u of result.unsupported) {
      const value = u.value === undefined ? "" : ` = ${short(u.value)}`;
      lines.push(...wrap(`- ${u.variable}${value} (${u.file}): ${u.reason}`, "  "));
    }
  } else {
    lines.push("Every variable in the files is imported.");
  }
  if (result.notes.length) {
    lines.push("", "Notes:");
    for (const note of result.notes) lines.push(...wrap(`- ${note}`, "  "));
  }
  lines.push(
    "",
    "Credentials: as with Packer, OS_CLOUD + clouds.yaml or an openrc's OS_* variables;",
    "or `openstack:cloud: <clouds.yaml entry>` here. See README.md for every key.",
  );
  return lines.map((l) => (l ? ` ${l}` : "")).join("\n");
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
