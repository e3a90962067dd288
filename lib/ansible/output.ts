/** Lines of ansible-playbook output worth showing live: plays, tasks, failures, the recap. */
export function isProgressLine(line: string): boolean {
  return /^(PLAY \[|TASK \[|PLAY RECAP|fatal:|failed:|ERROR!|\S+\s+: ok=\d+)/.test(line.trim());
}

export function tail(lines: string[], count: number): string[] {
  return lines.slice(Math.max(0, lines.length - count));
}

/** What ansible-playbook has done so far, read line by line from its output. */
export class AnsibleProgress {
  tasks = 0;
  currentTask = "";
  currentPlay = "";

  /** Reads one output line; true when it started a task. */
  read(line: string): boolean {
    const text = line.trim();
    if (text.startsWith("PLAY [")) this.currentPlay = headerName(text);
    if (!text.startsWith("TASK [")) return false;
    this.tasks++;
    this.currentTask = headerName(text);
    return true;
  }

  /** `Ansible: 412 tasks done (9 min), now: TASK [openhpc : install]`. */
  summary(elapsedMs: number): string {
    const minutes = elapsedMs / 60_000;
    const took = minutes < 1 ? `${Math.round(elapsedMs / 1000)} s` : `${Math.floor(minutes)} min`;
    const now = this.currentTask ? `, now: TASK [${this.currentTask}]` : "";
    return `Ansible: ${this.tasks} task${this.tasks === 1 ? "" : "s"} done (${took})${now}`;
  }
}

/** `TASK [role : name] *****` → `role : name`. */
function headerName(header: string): string {
  const match = /^\w+ \[(.*)\]/.exec(header.replace(/\s*\*+$/, ""));
  return match ? match[1] : header;
}

const FAILURE_LINE = /^(fatal|failed): \[([^\]]+)\](?:: FAILED!)?(?: \(item=.*?\))?\s*=>\s*(.*)$/;

/**
 * Ansible's failure in a few short lines, failed task and message first:
 * `TASK [x] failed on builder: <msg>`, then rc, the command and the last
 * lines of its stderr/stdout. Reads the default callback's one-line JSON
 * results (however long) and the YAML-ish multi-line form; `ERROR!` (e.g. a
 * syntax error) when no task failed. Undefined when the output shows neither.
 */
export function ansibleFailure(lines: string[]): string | undefined {
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (FAILURE_LINE.test(lines[i].trim())) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    const error = lines.findIndex((l) => l.trim().startsWith("ERROR!"));
    if (error < 0) return undefined;
    return shorten(
      lines
        .slice(error, error + 6)
        .map((l) => l.trim())
        .filter(Boolean),
    ).join("\n");
  }
  const [, , host, rest] = FAILURE_LINE.exec(lines[at].trim())!;
  let task = "";
  for (let i = at - 1; i >= 0; i--) {
    if (lines[i].trim().startsWith("TASK [")) {
      task = headerName(lines[i].trim());
      break;
    }
  }
  const result = parseResult(rest, lines.slice(at + 1));
  const msg =
    typeof result.msg === "string" ? result.msg : rest && !rest.startsWith("{") ? rest : "";
  const out: string[] = [`TASK [${task || "?"}] failed on ${host}: ${msg || "(no message)"}`];
  if (result.rc !== undefined) out.push(`rc: ${String(result.rc)}`);
  if (result.cmd !== undefined)
    out.push(`cmd: ${Array.isArray(result.cmd) ? result.cmd.join(" ") : String(result.cmd)}`);
  for (const stream of ["stderr", "stdout"] as const) {
    const text = typeof result[stream] === "string" ? (result[stream] as string) : "";
    if (!text.trim()) continue;
    const tailLines = text.trimEnd().split("\n").slice(-5);
    out.push(`${stream} (last ${tailLines.length} lines):`, ...tailLines.map((l) => `  ${l}`));
  }
  return shorten(out).join("\n");
}

/** The JSON result after `=>`, or the YAML-ish `key: value` lines that follow it. */
function parseResult(rest: string, following: string[]): Record<string, unknown> {
  if (rest.startsWith("{")) {
    try {
      return JSON.parse(rest) as Record<string, unknown>;
    } catch {
      const msg = /"msg":\s*"((?:[^"\\]|\\.)*)"/.exec(rest);
      return msg ? { msg: JSON.parse(`"${msg[1]}"`) } : {};
    }
  }
  const result: Record<string, unknown> = {};
  for (const line of following) {
    if (!/^\s+\S/.test(line)) break;
    const kv = /^\s+(\w+):\s?(.*)$/.exec(line);
    if (kv && !(kv[1] in result)) result[kv[1]] = kv[2];
  }
  return result;
}

/** Lines of a failure summary are for people: each kept under 500 characters. */
function shorten(lines: string[], max = 500): string[] {
  return lines.map((l) =>
    l.length > max ? `${l.slice(0, max)}…[${l.length - max} more characters]` : l,
  );
}
