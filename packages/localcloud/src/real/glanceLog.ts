// The real Glance's access log (eventlet's lines in glance-api.log) as
// localcloud's request records, so the request log covers image calls too.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { RequestRecord } from "../http";

const ACCESS =
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) \d+ INFO eventlet\.wsgi\.server \[\S+ \S+ \S+ (\S+) [^\]]*\] \S+ - - \[[^\]]+\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

/**
 * Request records of the access lines among `text` (others ignored): the path
 * as localcloud's own Glance has it (`/image/v2/...`), the project by name
 * when `projectName` knows its id.
 */
export function glanceAccessRecords(
  text: string,
  projectName: (id: string) => string | undefined,
): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const line of text.split("\n")) {
    const m = ACCESS.exec(line);
    if (!m) continue;
    const [, day, time, project, method, path, status] = m;
    out.push({
      time: new Date(`${day}T${time}`).toISOString(),
      method,
      path: `/image${path}`,
      status: Number(status),
      service: "image",
      unserved: false,
      endpoint: "RegionOne/public",
      scheme: "http",
      project: project === "-" ? undefined : projectName(project),
    });
  }
  return out;
}

/** Reads a log file from a byte offset (what was written since `clear`). */
export class LogTail {
  private offset = 0;

  constructor(private file: string) {}

  private size(): number {
    try {
      return statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  clear(): void {
    this.offset = this.size();
  }

  read(): string {
    const end = this.size();
    if (end <= this.offset) return "";
    const buffer = Buffer.alloc(end - this.offset);
    const fd = openSync(this.file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    return buffer.toString("utf8");
  }
}
