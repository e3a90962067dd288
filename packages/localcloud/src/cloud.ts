// Shared context of the services: records, disk, identity, server processes,
// faults and the background work (status transitions) that stop() waits for.
import type { DiskStore } from "./diskStore";
import type { Faults } from "./faults";
import type { KeystoneEmulator, Token } from "./keystone";
import type { RealMode } from "./real/realMode";
import type { ServerRunner } from "./serverRunner";
import type { Image, Store } from "./state";
import { Quotas } from "./quotas";

export interface CloudParts {
  store: Store;
  disk: DiskStore;
  keystone: KeystoneEmulator;
  runner: ServerRunner;
  faults: Faults;
  /** Second octet of every server address (127.N.x.y). */
  octet: number;
  stateDir: string;
  /** http://127.0.0.1:<port>, known once the listener is bound. */
  baseUrl: () => string;
  log: (line: string) => void;
  options: { emulateSignatureVerifiedBug: boolean; transitionMs: number };
}

export class Cloud {
  readonly store: Store;
  readonly disk: DiskStore;
  readonly keystone: KeystoneEmulator;
  readonly runner: ServerRunner;
  readonly faults: Faults;
  readonly octet: number;
  readonly stateDir: string;
  readonly baseUrl: () => string;
  readonly log: (line: string) => void;
  readonly options: CloudParts["options"];
  /** Per-project quotas (defaults; a test may lower them). */
  readonly quotas = new Quotas();
  /** Set in real-services mode: the real Keystone and Glance behind the other services. */
  real?: RealMode;
  private timers = new Set<NodeJS.Timeout>();
  private tasks = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(parts: CloudParts) {
    this.store = parts.store;
    this.disk = parts.disk;
    this.keystone = parts.keystone;
    this.runner = parts.runner;
    this.faults = parts.faults;
    this.octet = parts.octet;
    this.stateDir = parts.stateDir;
    this.baseUrl = parts.baseUrl;
    this.log = parts.log;
    this.options = parts.options;
  }

  get records() {
    return this.store.records;
  }

  /** Runs `fn` after `ms` as tracked background work (a status transition). */
  later(ms: number, fn: () => Promise<void> | void): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      const task = Promise.resolve()
        .then(fn)
        .catch((e: unknown) =>
          this.log(
            `background task failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          ),
        )
        .finally(() => {
          this.tasks.delete(task);
          this.store.save();
        });
      this.tasks.add(task);
    }, ms);
    this.timers.add(timer);
  }

  /** `later` after the configured transition delay. */
  afterTransition(fn: () => Promise<void> | void): void {
    this.later(this.options.transitionMs, fn);
  }

  /** Stops scheduling background work and waits for what is running. */
  async drain(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.tasks]);
  }

  /** Glance visibility rules: may this token see the image at all? */
  canSeeImage(image: Image, token: Token): boolean {
    if (image.owner === token.project.id) return true;
    if (image.visibility === "public" || image.visibility === "community") return true;
    if (image.visibility === "shared") {
      return this.records.members.some(
        (m) => m.image_id === image.id && m.member_id === token.project.id,
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

/** What every service's emulator starts from: the shared cloud, its records, a (coalesced) save. */
export abstract class ServiceEmulator {
  constructor(readonly cloud: Cloud) {}

  get records() {
    return this.cloud.records;
  }

  save(): void {
    this.cloud.store.save();
  }
}
