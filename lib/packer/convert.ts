/**
 * Packer's conversion of a var file's constant to the variable's declared
 * type (HCL's: `volume_size = "30"` is the number 30, `flavor = 8` the
 * string "8"). A value Packer would refuse gets the reason.
 */
import type { PackerType } from "./variables";

export type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a map" : `the ${typeof value} ${JSON.stringify(value)}`;
}

function toText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

export function convertToType(value: unknown, type: PackerType): Converted {
  const refuse = (expected: string): Converted => ({
    ok: false,
    reason: `the template declares ${type}; ${describe(value)} is not ${expected}`,
  });
  switch (type) {
    case "string": {
      const text = toText(value);
      return text === undefined ? refuse("a string") : { ok: true, value: text };
    }
    case "number":
      if (typeof value === "number") return { ok: true, value };
      if (typeof value === "string" && NUMBER.test(value.trim()))
        return { ok: true, value: Number(value.trim()) };
      return refuse("a number");
    case "bool":
      if (typeof value === "boolean") return { ok: true, value };
      if (value === "true" || value === "false") return { ok: true, value: value === "true" };
      return refuse("true or false");
    case "list(string)": {
      if (!Array.isArray(value)) return refuse('a list (write ["..."])');
      const items = value.map(toText);
      return items.some((i) => i === undefined)
        ? refuse("a list of strings")
        : { ok: true, value: items };
    }
    case "map(string)": {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        return refuse('a map (write { key = "value" })');
      const entries = Object.entries(value).map(([k, v]) => [k, toText(v)] as const);
      return entries.some(([, v]) => v === undefined)
        ? refuse("a map of strings")
        : { ok: true, value: Object.fromEntries(entries) };
    }
  }
}
