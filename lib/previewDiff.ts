/**
 * `pulumi preview --diff` text → something a pull-request comment can hold
 * (GitHub: 65,536 characters): the same text, trimmed to what changed.
 *
 * The preview of a real appliance is large because each image's rebuild
 * triggers list one digest per appliance file (lib/triggers.ts): a new stack
 * of four builds prints over 100 KB, and a chained build whose source
 * rebuilds prints its whole old map as removed. Trimming keeps every
 * resource header and URN (so every image is named), every changed line and
 * every diagnostic, and replaces
 *  - a large map or list that is new or removed as a whole by one line with
 *    its size (`ansible: { … 441 entries }`), and
 *  - the unchanged entries Pulumi prints as context inside a changed value
 *    (`… 9 unchanged`).
 * When that is still over the budget it collapses smaller containers, then
 * keeps only the resource headers, and only as a last resort cuts the text.
 * Pure: no I/O (scripts/previewDiff.ts reads and writes the files).
 */

/** GitHub's limit for the body of an issue or pull-request comment. */
export const COMMENT_LIMIT = 65_536;

/** Room left for what a comment action adds around the body (its hidden header). */
const COMMENT_MARGIN = 512;

/** Ops of a resource header line, as Pulumi prints them: `+ command:local:Command: (create)`. */
const OPS = new Set([
  "same",
  "create",
  "update",
  "delete",
  "replace",
  "create-replacement",
  "delete-replaced",
  "read",
  "read-replacement",
  "refresh",
  "read-discard",
  "discard-replaced",
  "remove-pending-replace",
  "import",
  "import-replacement",
]);

const HEADER = /^(\s*)(\S{0,2}?)\s*([A-Za-z0-9_.-]+(?::[A-Za-z0-9_.$/-]+)+): \(([a-z-]+)\)\s*$/;
const META = /^\s*\[(?:urn|id|provider)=/;
const PROVIDER = /^\s*\[provider=/;
const OUTPUTS = /^\s*--outputs:--\s*$/;
/** A property line: indentation, an optional diff marker and a space, then the content. */
const PROPERTY = /^(\s*)(?:(\+-|-\+|\+\+|--|<=|=>|>>|[+~<>-]) +)?(\S.*)$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** One line of a resource's body; a container holds the lines between its brackets. */
interface Line {
  raw: string;
  marker: string;
  /** Column where the content starts (after the marker). */
  column: number;
  content: string;
  children?: Line[];
  close?: string;
}

interface Block {
  /** Header and meta lines (URN, id), kept as they are; provider lines dropped. */
  head: string[];
  body: Line[] | undefined;
  /** The body's raw lines, for a body that did not parse. */
  rawBody: string[];
}

type Part = { kind: "text"; line: string } | { kind: "block"; block: Block };

/** Levels of trimming, tried in order until the text fits. */
interface Level {
  /** Containers new or removed as a whole, with more direct entries than this, become one line. */
  maxEntries: number;
  /** Keep resource bodies at all. */
  bodies: boolean;
}

const LEVELS: Level[] = [
  { maxEntries: 16, bodies: true },
  { maxEntries: 6, bodies: true },
  { maxEntries: 2, bodies: true },
  { maxEntries: 0, bodies: true },
  { maxEntries: 0, bodies: false },
];

function parseProperty(raw: string): Line {
  const m = PROPERTY.exec(raw);
  if (!m) return { raw, marker: "", column: raw.length, content: "" };
  const [, , marker = "", content] = m;
  return { raw, marker, column: raw.length - content.length, content: content.trimEnd() };
}

const opens = (content: string) => /[{[]$/.test(content);
const closes = (content: string) => /^[}\]]$/.test(content);

/** Bracket-matched tree of a body, or undefined when the brackets do not match. */
function parseBody(lines: string[]): Line[] | undefined {
  const root: Line[] = [];
  const stack: Line[] = [];
  for (const raw of lines) {
    const line = parseProperty(raw);
    const siblings = stack.length ? stack[stack.length - 1].children! : root;
    if (line.content && closes(line.content)) {
      const open = stack.pop();
      if (!open) return undefined;
      open.close = raw;
      continue;
    }
    siblings.push(line);
    if (line.content && opens(line.content)) {
      line.children = [];
      stack.push(line);
    }
  }
  return stack.length ? undefined : root;
}

/** The text split into resource blocks (header, meta, body) and the lines between them. */
function parse(text: string): Part[] {
  const lines = text.replace(ANSI, "").replace(/\r\n/g, "\n").split("\n");
  const parts: Part[] = [];
  let block: Block | undefined;
  const finish = () => {
    if (block) block.body = parseBody(block.rawBody);
    block = undefined;
  };
  for (const line of lines) {
    const header = HEADER.exec(line);
    if ((header && OPS.has(header[4])) || OUTPUTS.test(line)) {
      finish();
      block = { head: [line], body: undefined, rawBody: [] };
      parts.push({ kind: "block", block });
      continue;
    }
    if (block && /^\s+\S/.test(line)) {
      if (META.test(line) && block.rawBody.length === 0) {
        if (!PROVIDER.test(line)) block.head.push(line);
      } else block.rawBody.push(line);
      continue;
    }
    // A blank line inside a body (Pulumi prints one after a JSON value) stays in it.
    if (block && line.trim() === "") {
      block.rawBody.push(line);
      continue;
    }
    finish();
    parts.push({ kind: "text", line });
  }
  finish();
  return parts;
}

/** Lines a subtree prints (blank lines not counted). */
function size(line: Line): number {
  if (!line.children) return line.content ? 1 : 0;
  return 2 + line.children.reduce((n, c) => n + size(c), 0);
}

const changed = (line: Line): boolean =>
  line.marker !== "" || (line.children ?? []).some((c) => changed(c));

function entries(line: Line): number {
  return line.children!.filter((c) => c.content !== "").length;
}

function summary(line: Line): string {
  const n = entries(line);
  const what = line.content.endsWith("[")
    ? n === 1
      ? "item"
      : "items"
    : n === 1
      ? "entry"
      : "entries";
  const close = line.content.endsWith("[") ? "]" : "}";
  return `${line.raw.trimEnd()} … ${n} ${what} ${close}`;
}

/**
 * Renders lines. `uniform`: every line here is new (or removed, or
 * unchanged) alike — a created resource, or inside a value added or
 * removed as a whole; otherwise the lines without a marker are unchanged
 * context inside a changed value.
 */
function render(lines: Line[], uniform: boolean, level: Level, out: string[]): void {
  let run: Line[] = [];
  const flush = () => {
    if (!run.length) return;
    const printed = run.reduce((n, l) => n + size(l), 0);
    if (printed <= 1) for (const l of run) emit(l, uniform);
    else out.push(`${" ".repeat(run[0].column)}… ${run.length} unchanged`);
    run = [];
  };
  const emit = (line: Line, inUniform: boolean) => {
    if (!line.children) {
      out.push(line.raw);
      return;
    }
    const whole = inUniform || ["+", "-", "++", "--", "+-", "-+"].includes(line.marker);
    if (whole && entries(line) > level.maxEntries) {
      out.push(summary(line));
      return;
    }
    out.push(line.raw);
    render(line.children, whole, level, out);
    if (line.close !== undefined) out.push(line.close);
  };
  for (const line of lines) {
    if (line.content === "") {
      // Blank lines print only among printed lines.
      if (!run.length) out.push(line.raw);
      continue;
    }
    if (uniform || changed(line)) {
      flush();
      emit(line, uniform);
    } else run.push(line);
  }
  flush();
}

function renderParts(parts: Part[], level: Level): string {
  const out: string[] = [];
  for (const part of parts) {
    if (part.kind === "text") {
      out.push(part.line);
      continue;
    }
    const { head, body, rawBody } = part.block;
    out.push(...head);
    if (!level.bodies) continue;
    if (!body) {
      out.push(...rawBody);
      continue;
    }
    // A body whose top-level lines carry no marker is all new (a create), or all outputs of a new stack.
    const uniform = !body.some((l) => l.marker !== "");
    render(body, uniform, level, out);
  }
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd();
}

export interface TrimmedDiff {
  text: string;
  /** Characters of the preview as given. */
  originalLength: number;
  /** 0: only what changed; higher: more collapsed to fit; `cut`: the end cut off. */
  level: number;
  cut: boolean;
}

/**
 * The preview text trimmed to what changed, at the first level of
 * trimming whose result is at most `budget` characters.
 */
export function trimPreviewDiff(text: string, budget: number = COMMENT_LIMIT): TrimmedDiff {
  const parts = parse(text);
  let result = "";
  for (let i = 0; i < LEVELS.length; i++) {
    result = renderParts(parts, LEVELS[i]);
    if (result.length <= budget)
      return { text: result, originalLength: text.length, level: i, cut: false };
  }
  // Still too long (thousands of resources, or huge diagnostics): cut at a line.
  const note = (n: number) => `\n… ${n} more lines: see the full text in the job log`;
  const lines = result.split("\n");
  let kept = lines.length;
  let length = result.length;
  while (kept > 0 && length + note(lines.length - kept).length > budget) {
    kept--;
    length -= lines[kept].length + 1;
  }
  return {
    text: lines.slice(0, kept).join("\n") + note(lines.length - kept),
    originalLength: text.length,
    level: LEVELS.length,
    cut: true,
  };
}

/** `Resources:` of the preview in one line: "+-4 to replace, 11 unchanged". */
export function resourceSummary(text: string): string | undefined {
  const lines = text.replace(ANSI, "").split("\n");
  const start = lines.findIndex((l) => /^Resources:\s*$/.test(l));
  if (start < 0) return undefined;
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(line)) break;
    items.push(line.trim());
  }
  return items.length ? items.join(", ") : undefined;
}

export interface CommentInput {
  stack: string;
  /** The text of `pulumi preview --diff`. */
  diff: string;
  /** The image plan (`npm run plan`), Markdown, put first. */
  plan?: string;
  /** Where the full text is (the job's log). */
  logUrl?: string;
  /** Whether the preview failed (its exit status). */
  failed?: boolean;
  limit?: number;
}

/** A code fence longer than any run of backticks in `text`. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  return "`".repeat(longest + 1);
}

const thousands = (n: number) => n.toLocaleString("en-US");

/**
 * The pull-request comment for one stack: the image plan, then the preview
 * folded in `<details>`, trimmed so the whole comment stays within `limit`.
 */
export function renderPreviewComment(input: CommentInput): string {
  const limit = (input.limit ?? COMMENT_LIMIT) - COMMENT_MARGIN;
  const plan = input.plan ? `${input.plan.trimEnd()}\n\n` : "";
  const where = input.logUrl ? `the [job log](${input.logUrl})` : "the job log";
  const resources = resourceSummary(input.diff);
  const wrap = (trimmed: TrimmedDiff) => {
    const status = input.failed ? "**failed**" : (resources ?? "no changes listed");
    const how = !(trimmed.cut || trimmed.text.length < trimmed.originalLength)
      ? `full text`
      : `trimmed to what changed (${thousands(trimmed.text.length)} of ${thousands(trimmed.originalLength)} characters${trimmed.cut ? ", cut" : ""}); full text in ${where}`;
    const f = fence(trimmed.text);
    return [
      `${plan}<details${input.failed ? " open" : ""}>`,
      `<summary><code>pulumi preview --diff</code> of <code>${input.stack}</code>: ${status} — ${how}</summary>`,
      "",
      `${f}text`,
      trimmed.text,
      f,
      "",
      "</details>",
      "",
    ].join("\n");
  };
  const overhead = wrap({ text: "", originalLength: 1, level: 1, cut: true }).length + 80;
  const budget = Math.max(0, limit - overhead);
  let comment = wrap(trimPreviewDiff(input.diff, budget));
  if (comment.length > limit) {
    // Only an image plan longer than the limit gets here: keep its start.
    comment = `${comment.slice(0, limit - 120)}\n\n… cut at GitHub's comment limit; see ${where}\n`;
  }
  return comment;
}
