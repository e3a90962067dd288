/**
 * Packer variable files → this program's stack config (the README's table
 * "Packer variable → config key"). Values are carried over as Packer would
 * have used them (after its type conversion); whatever has no place in the
 * config is reported with the reason, never left out silently.
 *
 * Files are applied in order, later over earlier, as `packer build
 * -var-file=a -var-file=b` does. Per-build files (`--build <key>=<file>`)
 * apply after the common ones, for that build only: one build per file set,
 * as the appliance's CI matrix runs one `packer build` per image.
 */
import { isDeepStrictEqual } from "node:util";
import { buildShape, stackConfigSchema } from "../config/schema";
import { reservedMetadataKeys } from "../imageProperties";
import { convertToType } from "./convert";
import { parseVarFile, type Assignment, type VarFile } from "./hcl";
import {
  KNOWN_OTHER_VARIABLES,
  PACKER_VARIABLES,
  PACKER_VARIABLES_BY_NAME,
  type PackerVariable,
} from "./variables";

export interface BuildVarFiles {
  key: string;
  files: VarFile[];
}

export interface ImportOptions {
  /** Per-build var files; without them the common files make one build. */
  builds?: BuildVarFiles[];
  /** The key of that one build (default `openhpc`, the template's source name). */
  buildKey?: string;
}

/** A variable (or a value of one) that is not in the stack config, and why. */
export interface Unsupported {
  file: string;
  variable: string;
  /** The value given; left out for variables this program does not know (they may be secrets). */
  value?: unknown;
  reason: string;
}

/** Where a config value came from: the Packer variable and the file(s) that set it. */
export interface Origin {
  variable: string;
  files: string[];
  /** Not in any file: Packer's default, kept so the images keep their names. */
  packerDefault?: boolean;
}

export interface ImportedBuild {
  key: string;
  /** The build's own files (after the common ones). */
  files: string[];
}

export interface PackerImport {
  /** The stack config, keys without the project namespace (what `Pulumi.<stack>.yaml` holds). */
  config: Record<string, unknown> & { builds: Record<string, Record<string, unknown>> };
  /** The common files, in order. */
  files: string[];
  builds: ImportedBuild[];
  unsupported: Unsupported[];
  /** What differs from Packer, or still needs doing, in words. */
  notes: string[];
  /** Config key path (`flavor`, `builds.RL9.sourceImageName`) → where its value came from. */
  origins: Record<string, Origin>;
}

export const DEFAULT_BUILD_KEY = "openhpc";
const BUILD_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Reads and maps the files; throws a VarFileError for a file Packer could not read either. */
export async function importPackerVarFiles(
  files: VarFile[],
  opts: ImportOptions = {},
): Promise<PackerImport> {
  const common: Assignment[] = [];
  for (const file of files) common.push(...(await parseVarFile(file)));
  const builds: ParsedBuild[] = [];
  for (const build of opts.builds ?? []) {
    const assignments: Assignment[] = [];
    for (const file of build.files) assignments.push(...(await parseVarFile(file)));
    builds.push({ key: build.key, files: build.files.map((f) => f.path), assignments });
  }
  return importAssignments(
    { files: files.map((f) => f.path), assignments: common },
    builds,
    opts.buildKey,
  );
}

export interface ParsedBuild {
  key: string;
  files: string[];
  assignments: Assignment[];
}

/** A known variable's value as Packer would use it; `undefined` = unset (null, or not given). */
interface Entry {
  variable: PackerVariable;
  file: string;
  value: unknown;
}

/** The mapping itself, on parsed files (pure). */
export function importAssignments(
  common: { files: string[]; assignments: Assignment[] },
  parsedBuilds: ParsedBuild[],
  buildKey: string = DEFAULT_BUILD_KEY,
): PackerImport {
  const report = new Reporter();
  const builds = mergeBuildKeys(
    parsedBuilds.length ? parsedBuilds : [{ key: buildKey, files: [], assignments: [] }],
  );
  const commonEntries = readAssignments(common.assignments, report);
  const perBuild = builds.map((b) => {
    const own = readAssignments(b.assignments, report);
    // A build's own source replaces the common one, whichever of the two variables each uses.
    const ownsSource = own.some((e) => e.variable.scope === "source" && e.value !== undefined);
    return { key: b.key, files: b.files, own, ownsSource };
  });
  const single = perBuild.length === 1;

  const config: PackerImport["config"] = { builds: {} };
  const origins: Record<string, Origin> = {};
  for (const b of perBuild) config.builds[b.key] = {};

  const validate = validator(report);
  for (const variable of PACKER_VARIABLES) {
    if (variable.scope === "stack") {
      placeStackSetting(variable, commonEntries, perBuild, { config, origins, validate, report });
      continue;
    }
    const effective = perBuild.map((b) => {
      const entries =
        variable.scope === "source" && b.ownsSource ? b.own : [...commonEntries, ...b.own];
      return validate(lastEntry(entries, variable.name));
    });
    const values = effective.map((e) => e?.value);
    const shared =
      variable.scope === "build" &&
      (single || values.every((v) => v !== undefined && isDeepStrictEqual(v, values[0])));
    if (shared) {
      if (values[0] === undefined) continue;
      config[variable.key] = values[0];
      origins[variable.key] = {
        variable: variable.name,
        files: unique(effective.map((e) => e!.file)),
      };
      continue;
    }
    perBuild.forEach((b, i) => {
      const entry = effective[i];
      if (entry?.value === undefined) return;
      config.builds[b.key][variable.key] = entry.value;
      origins[`builds.${b.key}.${variable.key}`] = { variable: variable.name, files: [entry.file] };
    });
  }

  const notes = [
    ...report.notes,
    ...defaultsNotes(config, origins, single),
    ...sourceNotes(config),
    ...pathNotes(config, origins),
  ];
  return {
    config,
    files: common.files,
    builds: builds.map((b) => ({ key: b.key, files: b.files })),
    unsupported: report.unsupported,
    notes,
    origins,
  };
}

class Reporter {
  readonly unsupported: Unsupported[] = [];
  readonly notes: string[] = [];
  private readonly seen = new Set<string>();

  add(item: Unsupported): void {
    const id = JSON.stringify([item.file, item.variable, item.reason]);
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.unsupported.push(item);
  }
}

function mergeBuildKeys(builds: ParsedBuild[]): ParsedBuild[] {
  const byKey = new Map<string, ParsedBuild>();
  for (const build of builds) {
    if (!BUILD_KEY.test(build.key)) {
      throw new Error(
        `build key ${JSON.stringify(build.key)}: use letters, digits, . _ - (it becomes part of image names)`,
      );
    }
    const seen = byKey.get(build.key);
    if (seen) {
      seen.files.push(...build.files);
      seen.assignments.push(...build.assignments);
    } else {
      byKey.set(build.key, {
        key: build.key,
        files: [...build.files],
        assignments: [...build.assignments],
      });
    }
  }
  return [...byKey.values()];
}

/** Known variables with their converted values; everything else reported. */
function readAssignments(assignments: Assignment[], report: Reporter): Entry[] {
  const entries: Entry[] = [];
  for (const { name, file, assigned } of assignments) {
    const variable = PACKER_VARIABLES_BY_NAME.get(name);
    if (!variable) {
      report.add({ file, variable: name, reason: unknownReason(name) });
      continue;
    }
    if (assigned.kind === "expression") {
      report.add({
        file,
        variable: name,
        value: assigned.source,
        reason:
          "not a constant: a var file holds values, and Packer refuses references, functions and interpolations there",
      });
      continue;
    }
    if (assigned.kind === "null") {
      report.notes.push(
        `${name} = null in ${file}: unset, as Packer takes it (${variable.key} keeps this program's default)`,
      );
      entries.push({ variable, file, value: undefined });
      continue;
    }
    const converted = convertToType(assigned.value, variable.type);
    if (!converted.ok) {
      const keyed = isMap(assigned.value) && variable.type !== "map(string)";
      const reason = keyed
        ? `${converted.reason} (older appliance templates took a map per OS or per build here: give each its own build, --build <key>=<file>, with its value there)`
        : converted.reason;
      report.add({ file, variable: name, value: assigned.value, reason });
      continue;
    }
    entries.push({ variable, file, value: converted.value });
  }
  return entries;
}

function isMap(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function unknownReason(name: string): string {
  const known = KNOWN_OTHER_VARIABLES[name];
  if (known) return known;
  const near = PACKER_VARIABLES.map((v) => v.name).find((v) => editDistance(v, name) <= 2);
  return `not a variable of the appliance's packer/openstack.pkr.hcl${near ? ` (did you mean ${near}?)` : ""}`;
}

/** The value that counts: the last file's (later over earlier). */
function lastEntry(entries: Entry[], name: string): Entry | undefined {
  return [...entries].reverse().find((e) => e.variable.name === name);
}

/**
 * Checks a value with the program's own schema for its key, so the stack
 * config this writes is one the program accepts; a value it refuses is
 * reported (once) and left out. Reserved image properties are taken out of
 * `metadata`, each reported.
 */
function validator(report: Reporter): (entry: Entry | undefined) => Entry | undefined {
  const checked = new Map<Entry, Entry | undefined>();
  return (entry) => {
    if (entry === undefined || entry.value === undefined) return entry;
    if (!checked.has(entry)) checked.set(entry, check(entry, report));
    return checked.get(entry);
  };
}

function check(entry: Entry, report: Reporter): Entry | undefined {
  const { variable, file, value } = entry;
  if (variable.name === "use_blockstorage_volume" && value === false) {
    report.add({
      file,
      variable: variable.name,
      value,
      reason:
        "only volume-backed builds are supported (the builder's volume becomes the image); the default, true, applies",
    });
    return undefined;
  }
  if (variable.name === "metadata") {
    const metadata = value as Record<string, string>;
    const reserved = reservedMetadataKeys(metadata);
    for (const key of reserved) {
      report.add({
        file,
        variable: `metadata.${key}`,
        value: metadata[key],
        reason:
          "set by Glance or by the build itself (provenance), so it can't be given; the other entries are kept",
      });
    }
    if (reserved.length === 0) return entry;
    const kept = Object.fromEntries(
      Object.entries(metadata).filter(([k]) => !reserved.includes(k)),
    );
    return { ...entry, value: kept };
  }
  const shape: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> =
    variable.scope === "stack" ? stackConfigSchema.shape : buildShape.shape;
  const parsed = shape[variable.key].safeParse(value);
  if (parsed.success) return entry;
  const issues = (parsed.error as { issues?: { message: string }[] }).issues ?? [];
  report.add({
    file,
    variable: variable.name,
    value,
    reason: `${variable.key} ${issues.map((i) => i.message).join("; ") || "is not valid"}`,
  });
  return undefined;
}

interface Placement {
  config: PackerImport["config"];
  origins: Record<string, Origin>;
  validate: (entry: Entry | undefined) => Entry | undefined;
  report: Reporter;
}

/** One per stack (the appliance checkout, the manifest): from the common files only. */
function placeStackSetting(
  variable: PackerVariable,
  common: Entry[],
  builds: { key: string; own: Entry[] }[],
  { config, origins, validate, report }: Placement,
): void {
  const top = validate(lastEntry(common, variable.name));
  const own = builds.map((b) => ({ key: b.key, entry: validate(lastEntry(b.own, variable.name)) }));
  const first = own[0].entry;
  // Not in the common files: taken from the builds' files when they all give the same value.
  const agreed =
    top === undefined &&
    first?.value !== undefined &&
    own.every((o) => o.entry !== undefined && isDeepStrictEqual(o.entry.value, first.value));
  const chosen = agreed ? first : top;
  if (chosen?.value !== undefined) {
    config[variable.key] = chosen.value;
    origins[variable.key] = {
      variable: variable.name,
      files: agreed ? unique(own.map((o) => o.entry!.file)) : [chosen.file],
    };
  }
  for (const { key, entry } of own) {
    if (!entry || isDeepStrictEqual(entry.value, chosen?.value)) continue;
    report.add({
      file: entry.file,
      variable: variable.name,
      value: entry.value,
      reason: `one per stack, not per build (build ${key}): give it in a common file, before the --build ones`,
    });
  }
}

function defaultsNotes(
  config: PackerImport["config"],
  origins: Record<string, Origin>,
  single: boolean,
): string[] {
  const notes: string[] = [];
  const imageNameSet =
    config.imageName !== undefined ||
    Object.values(config.builds).some((b) => b.imageName !== undefined);
  if (single && !imageNameSet) {
    config.imageName = "openhpc";
    origins.imageName = { variable: "image_name", files: [], packerDefault: true };
    notes.push(
      "image_name is not set: imageName is Packer's default, openhpc, so the images keep their names (this program's own default is openhpc-<build key>)",
    );
  } else if (!single) {
    const unnamed = Object.keys(config.builds).filter(
      (k) => config.imageName === undefined && config.builds[k].imageName === undefined,
    );
    if (unnamed.length) {
      notes.push(
        `image_name is not set for ${unnamed.join(", ")}: their images are named openhpc-<build key>-<version> (Packer's default, openhpc, would give every build the same name)`,
      );
    }
  }
  if (config.manifestOutputPath === undefined) {
    notes.push(
      "manifest_output_path is not set: Packer wrote packer-manifest.json; this program records each image in the stack outputs (pulumi stack output images) and writes a manifest only when manifestOutputPath is set",
    );
  }
  return notes;
}

function sourceNotes(config: PackerImport["config"]): string[] {
  const notes: string[] = [];
  const names: Record<string, string> = {};
  for (const [key, build] of Object.entries(config.builds)) {
    const prefix = build.imageName ?? config.imageName ?? `openhpc-${key}`;
    names[key] = String(prefix);
  }
  for (const [key, build] of Object.entries(config.builds)) {
    if (build.sourceImageName === undefined && build.sourceImage === undefined) {
      notes.push(
        `build ${key} has no source_image_name or source_image: set builds.${key}.sourceImageName, sourceImage or sourceBuild`,
      );
      continue;
    }
    const source = build.sourceImageName;
    if (typeof source !== "string") continue;
    for (const [other, prefix] of Object.entries(names)) {
      if (other === key || !source.startsWith(`${prefix}-`)) continue;
      notes.push(
        `build ${key} starts from ${source}, an image named like build ${other}'s: \`sourceBuild: ${other}\` would build it on ${other}'s new image, and rebuild it whenever ${other} is rebuilt`,
      );
    }
  }
  return notes;
}

function pathNotes(config: PackerImport["config"], origins: Record<string, Origin>): string[] {
  const notes: string[] = [];
  const pathKeys = new Set(PACKER_VARIABLES.filter((v) => v.path).map((v) => v.key));
  for (const [where, origin] of Object.entries(origins)) {
    const key = where.split(".").pop()!;
    if (!pathKeys.has(key)) continue;
    const value = where.startsWith("builds.")
      ? config.builds[where.split(".")[1]][key]
      : config[key];
    if (typeof value !== "string" || value.startsWith("/") || value.startsWith("~")) continue;
    notes.push(
      `${origin.variable} = ${JSON.stringify(value)} is a relative path: Packer read it from the directory it ran in; this program reads ${where} from the Pulumi project directory (make it absolute, or relative to that directory)`,
    );
  }
  return notes;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Levenshtein distance, for "did you mean" on a misspelt variable. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
