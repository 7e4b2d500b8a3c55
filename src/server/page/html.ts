// The page's small pieces: escaping, durations, and times shown both relative and as ISO 8601.

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A value as text, or a dim dash when there is none. */
export const e = (value: string | number | undefined): string => (value === undefined || value === '' ? '<span class="dim">–</span>' : escapeHtml(String(value)));

/** "3d 4h", "12m 5s", "40s": the two largest units of a duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

/** A sampling or evaluation interval: "250 ms" below a second (tests compress them), else formatDuration's. */
export const formatInterval = (ms: number): string => (ms < 1000 ? `${String(ms)} ms` : formatDuration(ms));

// Date's own range: beyond it toISOString throws.
const MAX_DATE_MS = 8.64e15;

/** `2026-11-27T11:18:00Z`, or undefined for a value no date can hold. */
export function isoSeconds(ms: number): string | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "4m ago" or "in 1m 40s", then the ISO time; a dash when there is no time. */
export function when(at: number | undefined, now: number): string {
  const iso = at === undefined ? undefined : isoSeconds(at);
  if (at === undefined || iso === undefined) return e(undefined);
  const relative = at > now ? `in ${formatDuration(at - now)}` : `${formatDuration(now - at)} ago`;
  return `<time datetime="${iso}">${escapeHtml(relative)}</time> <span class="iso">${iso}</span>`;
}

/** The ISO time alone (where the relative one is already said), or a dash. */
export const iso = (at: number | undefined): string => {
  const text = at === undefined ? undefined : isoSeconds(at);
  return text === undefined ? e(undefined) : `<time datetime="${text}">${text}</time>`;
};

export const badge = (kind: string, text: string): string => `<span class="badge b-${escapeHtml(kind)}">${escapeHtml(text)}</span>`;

/** A table that scrolls inside its own box on a narrow screen instead of widening the page. */
export const table = (head: readonly string[], rows: string): string =>
  `<div class="scroll"><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div>`;
