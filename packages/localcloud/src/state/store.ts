// The records kept in memory and saved as one JSON file in the state directory.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Records } from "./records";
import { initialRecords } from "./seed";

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
    if (existsSync(file)) return new Store(dir, JSON.parse(readFileSync(file, "utf8")) as Records);
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
