// What a JSON line cut at supervisor.maxLineBytes still says. cloudflared's JSON writer sorts keys, so in a line
// made huge by its `error` the keys after it (`level`, `message`, `time`) survive only in the line's tail: they are
// taken from there, with the keys before the cut from the head, and the error kept as far as it was read. Pure.

const STRING_KEYS = ['level', 'message', 'time'] as const;
const NUMBER_KEYS = ['connIndex', 'event'] as const;

function decode(escaped: string): string | undefined {
  try {
    return JSON.parse(`"${escaped}"`) as string;
  } catch {
    return undefined;
  }
}

function stringValue(text: string, key: string): string | undefined {
  const m = new RegExp(`"${key}":"((?:[^"\\\\]|\\\\.)*)"`).exec(text);
  return m?.[1] === undefined ? undefined : decode(m[1]);
}

/**
 * A small JSON line with what the cut line's head and tail still carry (level, message, time, connIndex, event,
 * and the start of the error), or undefined when the line is not a JSON object or carries none of them.
 */
export function salvageCutJson(head: string, tail: string): string | undefined {
  if (!head.startsWith('{')) return undefined;
  const out: Record<string, string | number> = {};
  for (const key of STRING_KEYS) {
    const value = stringValue(tail, key) ?? stringValue(head, key);
    if (value !== undefined) out[key] = value;
  }
  for (const key of NUMBER_KEYS) {
    const m = new RegExp(`"${key}":(\\d+)[,}]`).exec(head) ?? new RegExp(`"${key}":(\\d+)[,}]`).exec(tail);
    if (m?.[1] !== undefined) out[key] = Number(m[1]);
  }
  if (out.level === undefined && out.message === undefined) return undefined;
  // The error as far as it was read (its first 500 characters), decoded; an escape cut in half is dropped.
  const error = /"error":"((?:[^"\\]|\\.){0,500})/.exec(head)?.[1];
  if (error !== undefined) out.error = `${decode(error.replace(/\\+$/, '')) ?? error}… (cut)`;
  return JSON.stringify(out);
}
