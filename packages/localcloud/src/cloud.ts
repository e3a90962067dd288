// Shared context of the services: records, disk, identity, runner, faults and
// background work (status transitions) that stop() must wait for.
import { DiskStore } from "./imagestore";
import { Identity, Token } from "./identity";
import { Faults } from "./faults";
import { Runner } from "./runner";
import { Image, Project, Store } from "./state";

export class Cloud {
  private timers = new Set<NodeJS.Timeout>();
  private tasks = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    readonly store: Store,
    readonly disk: DiskStore,
    readonly identity: Identity,
    readonly runner: Runner,
    readonly faults: Faults,
    readonly octet: number,
    readonly stateDir: string,
    readonly baseUrl: () => string,
    readonly log: (line: string) => void,
    readonly options: { emulateSignatureVerifiedBug: boolean; transitionMs: number },
  ) {}

  get records() {
    return this.store.records;
  }

  /** Runs `fn` after `ms` as tracked background work (a status transition). */
  later(ms: number, fn: () => Promise<void> | void): void {
    if (this.stopping) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopping) return;
      const p = Promise.resolve()
        .then(fn)
        .catch((e: unknown) =>
          this.log(
            `background task failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          ),
        )
        .finally(() => {
          this.tasks.delete(p);
          this.store.save();
        });
      this.tasks.add(p);
    }, ms);
    this.timers.add(t);
  }

  async drain(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.tasks]);
  }

  project(id: string): Project | undefined {
    return this.records.projects.find((p) => p.id === id);
  }

  /** Glance visibility rules: may this token see the image at all? */
  canSeeImage(img: Image, token: Token): boolean {
    if (img.owner === token.project.id) return true;
    if (img.visibility === "public" || img.visibility === "community") return true;
    if (img.visibility === "shared") {
      return this.records.members.some(
        (m) => m.image_id === img.id && m.member_id === token.project.id,
      );
    }
    return false;
  }

  /** fixed 127.N.0.h, floating 127.N.1.h, the server's own sshd 127.N.2.h */
  sshdAddress(fixedIp: string): string {
    const parts = fixedIp.split(".");
    return `127.${this.octet}.2.${parts[3]}`;
  }
}
