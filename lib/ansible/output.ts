/** Lines of ansible-playbook output worth showing live: plays, tasks, failures, the recap. */
export function isProgressLine(line: string): boolean {
  return /^(PLAY \[|TASK \[|PLAY RECAP|fatal:|failed:|ERROR!|\S+\s+: ok=\d+)/.test(line.trim());
}

export function tail(lines: string[], count: number): string[] {
  return lines.slice(Math.max(0, lines.length - count));
}
