/**
 * The pause before the next status poll: short at first (most operations on
 * a quiet cloud finish within a second), doubling up to `maxMs`. Packer polls
 * every 2 s; the OpenStack provider waits 10 s before its first look.
 */
export function pollPause(polls: number, maxMs: number): number {
  return Math.min(maxMs, 250 * 2 ** Math.min(polls, 10));
}
