/**
 * Reads one Packer variable file (`*.pkrvars.hcl`, or `*.pkrvars.json`) into
 * its assignments, with a maintained HCL parser (`@cdktn/hcl2json`, HashiCorp's
 * own HCL library compiled to WebAssembly). A var file holds constants only:
 * a value that needs evaluating (a reference, a function call, an
 * interpolation) is returned as an expression, for the caller to report.
 */

export interface VarFile {
  /** As the user named it (shown in reports and comments). */
  path: string;
  text: string;
}

export type AssignedValue =
  { kind: "value"; value: unknown } | { kind: "null" } | { kind: "expression"; source: string };

export interface Assignment {
  name: string;
  file: string;
  assigned: AssignedValue;
}

/** A var file Packer itself would refuse (bad syntax); names the file and the parser's message. */
export class VarFileError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: not a valid Packer variable file: ${detail}`);
    this.name = "VarFileError";
  }
}

type HclParse = (filename: string, contents: string) => Promise<Record<string, unknown>>;

let parser: Promise<HclParse> | undefined;

/**
 * The parser is loaded once, on first use (it starts a WebAssembly module).
 * Named through a variable so that TypeScript does not read the package's
 * declarations: they pull the DOM's types into the whole program.
 */
const HCL_PARSER_PACKAGE: string = "@cdktn/hcl2json";

function hclParser(): Promise<HclParse> {
  parser ??= import(HCL_PARSER_PACKAGE).then((m: { parse: HclParse }) => m.parse);
  return parser;
}

/** The parser's JSON for any HCL file (a template too); throws the parser's message. */
export async function parseHcl(file: VarFile): Promise<Record<string, unknown>> {
  const parse = await hclParser();
  return parse(file.path, file.text);
}

export async function parseVarFile(file: VarFile): Promise<Assignment[]> {
  let top: unknown;
  if (/\.json$/i.test(file.path)) {
    try {
      top = JSON.parse(file.text);
    } catch (err) {
      throw new VarFileError(file.path, (err as Error).message);
    }
  } else {
    const parse = await hclParser();
    try {
      top = await parse(file.path, file.text);
    } catch (err) {
      throw new VarFileError(file.path, parserMessage(err));
    }
  }
  if (top === null || typeof top !== "object" || Array.isArray(top)) {
    throw new VarFileError(file.path, "expected `name = value` assignments");
  }
  return Object.entries(top as Record<string, unknown>).map(([name, raw]) => ({
    name,
    file: file.path,
    assigned: decodeValue(raw),
  }));
}

/** hcl2json's errors read `parse config: [<file>:<line>,<col>: <summary>; <detail>]`. */
function parserMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^parse config: \[(.*)\]$/s, "$1");
}

/**
 * hcl2json gives constants as JSON values and anything else as its source
 * text wrapped in `${...}`; a string that is a template keeps HCL's escapes
 * (`$${` for a literal `${`, `%%{` for `%{`). Decodes a constant, or says
 * the value is an expression.
 */
export function decodeValue(raw: unknown): AssignedValue {
  if (raw === null) return { kind: "null" };
  const expression = firstExpression(raw);
  if (expression !== undefined) return { kind: "expression", source: expression };
  return { kind: "value", value: unescapeStrings(raw) };
}

function firstExpression(raw: unknown): string | undefined {
  if (typeof raw === "string") return isTemplate(raw) ? raw : undefined;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const found = firstExpression(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (raw !== null && typeof raw === "object") {
    for (const item of Object.values(raw)) {
      const found = firstExpression(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** HCL's template markers and their escapes, matched left to right. */
const TEMPLATE_TOKEN = /\$\$\{|%%\{|\$\{|%\{/g;

/** Whether a string holds an interpolation `${` or a directive `%{` (not their escapes). */
function isTemplate(text: string): boolean {
  return [...text.matchAll(TEMPLATE_TOKEN)].some((m) => m[0].length === 2);
}

function unescapeStrings(raw: unknown): unknown {
  if (typeof raw === "string")
    return raw.replace(TEMPLATE_TOKEN, (m) => (m.length === 3 ? m.slice(1) : m));
  if (Array.isArray(raw)) return raw.map(unescapeStrings);
  if (raw !== null && typeof raw === "object") {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, unescapeStrings(v)]));
  }
  return raw;
}
