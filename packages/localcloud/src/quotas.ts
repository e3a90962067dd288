// Per-project quotas, as Nova and Cinder report them (GET .../limits,
// Cinder's GET os-quota-sets/<project>): defaults for every project, which a
// test may lower for one project (`cloud.quotas.set(projectId, { instances: 1 })`).
// -1 means unlimited, as in OpenStack. Creates over a limit are refused as
// the real services refuse them (Nova 403, Cinder 413).
import { VOLUME_TYPES } from "./cinder/volumeTypes";

export interface QuotaLimits {
  /** Nova. */
  instances: number;
  cores: number;
  ram: number;
  /** Cinder. */
  volumes: number;
  gigabytes: number;
  per_volume_gigabytes: number;
  snapshots: number;
  backups: number;
  backup_gigabytes: number;
  groups: number;
  /** Cinder, per volume type name: `volumes_<type>`, `gigabytes_<type>`, `snapshots_<type>`. */
  perType: Record<string, { volumes: number; gigabytes: number; snapshots: number }>;
}

export const DEFAULT_QUOTAS: Omit<QuotaLimits, "perType"> = {
  instances: 100,
  cores: 200,
  ram: 512000,
  volumes: 100,
  gigabytes: 10000,
  per_volume_gigabytes: -1,
  snapshots: 100,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
};

export type QuotaOverrides = Partial<Omit<QuotaLimits, "perType">> & {
  perType?: QuotaLimits["perType"];
};

export class Quotas {
  private overrides = new Map<string, QuotaOverrides>();

  /** Lowers (or raises) the given limits of one project; the others keep their defaults. */
  set(projectId: string, limits: QuotaOverrides): void {
    this.overrides.set(projectId, { ...this.overrides.get(projectId), ...limits });
  }

  /** Back to the defaults for every project. */
  clear(): void {
    this.overrides.clear();
  }

  of(projectId: string): QuotaLimits {
    const own = this.overrides.get(projectId) ?? {};
    const perType = Object.fromEntries(
      VOLUME_TYPES.map((t) => [t.name, { volumes: -1, gigabytes: -1, snapshots: -1 }]),
    );
    return { ...DEFAULT_QUOTAS, ...own, perType: { ...perType, ...own.perType } };
  }
}

/** Whether `used + more` stays within `limit` (-1: unlimited). */
export function withinLimit(limit: number, used: number, more: number): boolean {
  return limit < 0 || used + more <= limit;
}
