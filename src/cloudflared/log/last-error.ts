// The line that says why cloudflared gave up. Before it exits on a fatal error cloudflared logs the error at ERR and
// then prints it once more as a bare line on stderr (its command-line framework's exit message), e.g. "Error opening
// metrics server listener: failed to bind to address (127.0.0.1:20241): ... address already in use". Pure.
import type { LogEvent } from './event.js';

const ERROR_LEVELS: ReadonlySet<string> = new Set(['error', 'fatal', 'panic']);
/** The frames of a Go panic trace: bare lines too, but the `panic: ...` line above them is the cause. */
const TRACE_LINE = /^(?:\s|goroutine \d|created by |\S+\(.*\)$|\[signal )/;

/** The line as one sentence when it could be the cause of an exit (an error, or a bare line), else undefined. */
export function errorText(event: LogEvent): string | undefined {
  const bare = event.format === 'plain' && event.message.trim() !== '' && !TRACE_LINE.test(event.message);
  if (!bare && (event.level === undefined || !ERROR_LEVELS.has(event.level))) return undefined;
  const error = event.error;
  return error === undefined || event.message.includes(error) ? event.message : `${event.message}: ${error}`;
}
