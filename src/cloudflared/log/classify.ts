// Decides which event a zerolog record is from its message (or, for message-less lines, its error),
// covering the wordings of cloudflared 2021.x to 2026.x. Matching ignores case because cloudflared
// changed case between versions (`Failed to serve tunnel connection` → `failed to serve tunnel connection`).
import { become, originError } from './builders.js';
import type { LogEvent } from './event.js';
import type { ParsedLine } from './record.js';
import { AS_WRITTEN, BY_FIRST_WORD, firstWord, normalize } from './rules.js';

/** True when `text` starts with `prefix` ignoring ASCII case, without allocating. */
function startsWithIgnoreCase(text: string, prefix: string): boolean {
  if (text.startsWith(prefix)) return true;
  if (text.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = text.charCodeAt(i);
    const p = prefix.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== (p >= 65 && p <= 90 ? p + 32 : p)) return false;
  }
  return true;
}

/** The message-less ERR line the proxy writes per failed request, told apart by its error text. */
function classifyMessageless(record: ParsedLine): LogEvent | undefined {
  const error = record.error;
  if (error === undefined) return undefined;
  if (startsWithIgnoreCase(error, 'Unable to reach the origin service')) return originError(record);
  if (startsWithIgnoreCase(error, 'Incoming request ended abruptly')) return become(record, 'request_error');
  // Any other error on that line (`context canceled`, `stream 9 canceled by remote …`) is still one failed
  // request when the line names the request's origin, as the proxy's request log always does.
  return record.fields.originService === undefined ? undefined : become(record, 'request_error');
}

// No cloudflared message worth classifying is longer; longer ones are not lower-cased at all.
const MAX_CLASSIFIED_LENGTH = 512;

function classifyMessage(record: ParsedLine, message: string): LogEvent | undefined {
  const written = AS_WRITTEN.get(message)?.(record, message);
  if (written !== undefined) return written;
  const rules = BY_FIRST_WORD.get(firstWord(message));
  if (rules === undefined) return undefined;
  const lower = normalize(message);
  for (const rule of rules) {
    const event = rule(record, lower);
    if (event !== undefined) return event;
  }
  return undefined;
}

/** Types a zerolog record by its message, turning the record itself into the event; `other` when nothing matches. */
export function classify(record: ParsedLine): LogEvent {
  const message = record.message;
  let event: LogEvent | undefined;
  if (message === '') event = classifyMessageless(record);
  else if (message.length <= MAX_CLASSIFIED_LENGTH) event = classifyMessage(record, message);
  return event ?? become(record, 'other');
}
