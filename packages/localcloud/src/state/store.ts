// The records kept in memory and saved as one JSON file in the state directory.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Records } from "./records";
import { domainUser, initialRecords } from "./seed";

export class Store {
  readonly file: string;
  private timer?: NodeJS.Timeout;

  private constructor(
    dir: string,
    public records: Records,
  ) {
    this.file = join(dir, "state.json");
  }

  static open(dir: string, octet: number): Store {
    const file = join(dir, "state.json");
    if (existsSync(file)) {
      const records = JSON.parse(readFileSync(file, "utf8")) as Records;
      // State made before the second domain existed gets its user.
      if (!records.users.some((u) => u.domain_id === "hpc")) {
        const staging = records.projects.find((p) => p.name === "staging");
        if (staging) records.users.push(domainUser(staging));
      }
      return new Store(dir, records);
    }
    const store = new Store(dir, initialRecords(octet));
    store.saveNow();
    return store;
  }

  /** Schedules a save (coalesces bursts of changes). */
  save(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saveNow();
    }, 50);
  }

  saveNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.records, null, 1));
    renameSync(tmp, this.file);
  }
}
