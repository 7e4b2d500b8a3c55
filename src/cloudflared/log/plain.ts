// Lines without a level: Go standard library `log` output (quic-go's buffer-size warning), cloudflared's
// last error printed as bare text before exiting (typed `fatal`, see exit-message.ts), urfave/cli usage errors, or
// anything unrecognised.
import { isExitMessage } from './exit-message.js';
import type { ParsedLine } from './record.js';
import { scanGoLogTime } from './time.js';

/** The record of a line that is not zerolog output; a Go `log` time prefix is split off when present. */
export function parsePlainLine(text: string): ParsedLine {
  if (text.trim() === '') return { type: 'other', format: 'empty', message: '', fields: {} };
  const goTime = scanGoLogTime(text);
  if (goTime === undefined) {
    return isExitMessage(text) ? { type: 'fatal', format: 'plain', level: 'fatal', message: text, fields: {} } : { type: 'other', format: 'plain', message: text, fields: {} };
  }
  const message = text.slice(goTime.end + 1);
  const record: ParsedLine = { type: 'other', format: 'plain', time: goTime.time, message, fields: {} };
  if (goTime.timestamp !== undefined) record.timestamp = goTime.timestamp;
  return record;
}
