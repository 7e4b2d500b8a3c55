// What makes two cloudflared lines "the same line again": level, message, error and fields once the parts that
// change on every repeat are normalised away (the time, ids, addresses and ports). A tight retry loop writes
// thousands of such lines a second; they share one key. The connection slot stays part of the key. Keys stay
// small whatever the line: the collapsing and the spool's "first of each error" remember thousands of them, and a
// flood of distinct 1 MB lines must not make each one a 1 MB key. Pure.
import { createHash } from 'node:crypto';
import type { LogEvent } from './event.js';

const VARYING: readonly (readonly [RegExp, string])[] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>'],
  [/\b[0-9a-f]{16,}\b/gi, '<id>'],
  [/\[[0-9a-f:.%\w]*:[0-9a-f:.%\w]*\](?::\d+)?/gi, '<addr>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<addr>'],
  [/:\d{1,5}\b/g, ':<port>'],
];

/** Of a longer part, only this much is compared: a line's head says which line it is. */
const PART_CHARS = 1024;
/** A longer key is kept as its head and a digest of the whole. */
const KEY_CHARS = 256;

function normalise(text: string): string {
  let out = text.length > PART_CHARS ? text.slice(0, PART_CHARS) : text;
  for (const [pattern, replacement] of VARYING) out = out.replace(pattern, replacement);
  return out;
}

export function repeatKey(event: LogEvent): string {
  const fields = Object.keys(event.fields)
    .filter((k) => k !== 'time')
    .sort()
    .map((k) => `${k}=${normalise(String(event.fields[k]))}`);
  const key = [event.level ?? '', event.type, normalise(event.message), normalise(event.error ?? ''), ...fields].join('\u0000');
  return key.length <= KEY_CHARS ? key : `${key.slice(0, KEY_CHARS / 2)}\u0000${createHash('sha1').update(key).digest('base64url')}`;
}
