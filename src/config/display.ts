// The effective settings as a person reads them: durations as they are written in settings ("30s", "10m"), not the
// milliseconds the code works in. Pure.
import { LEAVES } from './leaves.js';
import type { Settings } from './schema.js';

/** `ms` in the units settings are written in: "30s", "10m", "1h30m", "1.5s", "250ms". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${String(ms)}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${String(n)}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${String(rest / 1000)}s`);
  return parts.join('');
}

const DURATION_PATHS = LEAVES.filter((l) => l.kind === 'duration').map((l) => l.path);
/** Duration fields of the entries of alerts.rules (a list, so not among the leaves). */
const RULE_DURATIONS = ['for', 'keepFiringFor'] as const;

function setAt(tree: Record<string, unknown>, path: readonly string[]): void {
  let node: unknown = tree;
  for (const key of path.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[key];
  const last = path.at(-1);
  if (node === undefined || node === null || last === undefined) return;
  const holder = node as Record<string, unknown>;
  if (typeof holder[last] === 'number') holder[last] = durationText(holder[last]);
}

/** Plain objects and arrays copied; anything else (a Secret, which prints as <secret>) kept as it is. */
function copyTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyTree);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyTree(v)]));
  }
  return value;
}

/** A copy of `settings` for display, every duration written as text. */
export function displaySettings(settings: Settings): Record<string, unknown> {
  const copy = copyTree(settings) as Record<string, unknown>;
  for (const path of DURATION_PATHS) setAt(copy, path);
  for (const rule of (copy.alerts as { rules?: Record<string, unknown>[] } | undefined)?.rules ?? []) {
    for (const key of RULE_DURATIONS) setAt(rule, [key]);
  }
  return copy;
}
