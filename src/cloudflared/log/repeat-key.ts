// What makes two cloudflared lines "the same line again": level, message, error and fields once the parts that
// change on every repeat are normalised away (the time, ids, addresses and ports). A tight retry loop writes
// thousands of such lines a second; they share one key. The connection slot stays part of the key. Pure.
import type { LogEvent } from './event.js';

const VARYING: readonly (readonly [RegExp, string])[] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>'],
  [/\b[0-9a-f]{16,}\b/gi, '<id>'],
  [/\[[0-9a-f:.%\w]*:[0-9a-f:.%\w]*\](?::\d+)?/gi, '<addr>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<addr>'],
  [/:\d{1,5}\b/g, ':<port>'],
];

function normalise(text: string): string {
  let out = text;
  for (const [pattern, replacement] of VARYING) out = out.replace(pattern, replacement);
  return out;
}

export function repeatKey(event: LogEvent): string {
  const fields = Object.keys(event.fields)
    .filter((k) => k !== 'time')
    .sort()
    .map((k) => `${k}=${normalise(String(event.fields[k]))}`);
  return [event.level ?? '', event.type, normalise(event.message), normalise(event.error ?? ''), ...fields].join('\u0000');
}
