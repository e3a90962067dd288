/** Time intervals (epoch ms) and their union: how long *something* was running. */
export interface Interval {
  start: number;
  end: number;
}

/** Total length covered by the intervals, counting overlaps once. */
export function unionLength(intervals: Interval[]): number {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  let total = 0;
  let current: Interval | undefined;
  for (const i of sorted) {
    if (!current || i.start > current.end) {
      if (current) total += current.end - current.start;
      current = { ...i };
    } else if (i.end > current.end) current.end = i.end;
  }
  if (current) total += current.end - current.start;
  return total;
}

/**
 * Pairs start/end events of resource operations into intervals, by URN.
 * `kind` decides which resources count (e.g. cloud resources only).
 */
export class OperationClock {
  private readonly open = new Map<string, number>();
  readonly intervals: Interval[] = [];

  constructor(private readonly counts: (type: string) => boolean) {}

  start(urn: string, type: string, at = Date.now()): void {
    if (this.counts(type)) this.open.set(urn, at);
  }

  end(urn: string, at = Date.now()): void {
    const start = this.open.get(urn);
    if (start === undefined) return;
    this.open.delete(urn);
    this.intervals.push({ start, end: at });
  }

  add(interval: Interval): void {
    this.intervals.push(interval);
  }

  seconds(): number {
    return unionLength(this.intervals) / 1000;
  }
}
