// Prefixes that log collectors put in front of cloudflared's own line, removed before parsing.
import type { LogEvent } from './event.js';
import { isLevelAt } from './console.js';
import { toText } from './normalize.js';
import { rfc3339End } from './time.js';

/** Which collector wrapped a line. */
export type Wrapper = NonNullable<LogEvent['wrapper']>;

/** A line with its wrappers removed. */
export interface Unwrapped {
  readonly text: string;
  /** The outermost wrapper removed, if any. */
  readonly wrapper: Wrapper | undefined;
  /** A CRI `P` record: one fragment of a line the runtime split. */
  readonly partial: boolean;
}

interface Layer {
  readonly wrapper: Wrapper;
  readonly text: string;
  readonly partial?: boolean;
}

// journalctl short / short-precise: `Jan 28 06:13:37[.123456] host ident[pid]: `. Pasted copies also come as
// `Apr 6 …` (the day's padding collapsed), without the host, or with host and ident cut: `Jun 21 12:22:47: `.
const JOURNALD_SHORT =
  /^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d{1,9})?(?: (?:\S+ )?[^\s[\]:]+(?:\[\d+\])?)?:(?: |$)/;
// What follows the timestamp in journalctl -o short-iso / short-iso-precise: `host ident[pid]: `.
const JOURNALD_HOST_IDENT = /^\S+ [^\s[\]:]+(?:\[\d+\])?:(?: |$)/;
// kubectl logs --prefix: `[pod/<name>/<container>] `.
const KUBECTL_PREFIX = /^\[pod\/[^\s\]]+\](?: |$)/;
// docker compose logs: `<service>-1  | ` (v2) or `<project>_<service>_1  | ` (v1), padded to a common width.
const COMPOSE_PREFIX = /^[A-Za-z0-9][\w.-]* +\|(?: |$)/;
// stern (multi-pod kubectl logs): `<pod> <container> `; only taken when cloudflared's own time follows.
const STERN_PREFIX = /^[A-Za-z0-9][\w.-]* [A-Za-z0-9][\w.-]* (?=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/;

function afterMatch(pattern: RegExp, text: string, wrapper: Wrapper): Layer | undefined {
  const match = pattern.exec(text);
  return match ? { wrapper, text: text.slice(match[0].length) } : undefined;
}

/**
 * A line starting with an RFC 3339 time: cloudflared's own console line (time then level), a CRI log
 * file record, journalctl -o short-iso, or `docker logs`/`kubectl logs --timestamps` (RFC3339Nano in UTC,
 * indistinguishable from each other, reported as docker).
 */
function peelTimestamped(text: string): Layer | undefined {
  const end = rfc3339End(text, 0);
  if (end === -1) return undefined;
  const zulu = text.charCodeAt(end - 1) === 90 || text.charCodeAt(end - 1) === 122;
  if (end === text.length) return zulu ? { wrapper: 'docker', text: '' } : undefined;
  if (text.charCodeAt(end) !== 32) return undefined;
  const at = end + 1;
  if (isLevelAt(text, at)) return undefined;
  if (text.startsWith('stdout ', at) || text.startsWith('stderr ', at)) {
    const tag = text.charAt(at + 7);
    const after = text.charCodeAt(at + 8);
    if ((tag === 'F' || tag === 'P') && (Number.isNaN(after) || after === 32)) {
      return { wrapper: 'cri', text: text.slice(at + 9), partial: tag === 'P' };
    }
  }
  // journald never writes `Z`; docker and kubectl always do.
  if (!zulu) return afterMatch(JOURNALD_HOST_IDENT, text.slice(at), 'journald');
  return { wrapper: 'docker', text: text.slice(at) };
}

function peel(text: string): Layer | undefined {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) return peelTimestamped(text);
  if (c === 91) return afterMatch(KUBECTL_PREFIX, text, 'kubectl');
  return (
    afterMatch(JOURNALD_SHORT, text, 'journald') ??
    afterMatch(COMPOSE_PREFIX, text, 'docker') ??
    afterMatch(STERN_PREFIX, text, 'kubectl')
  );
}

// Enough for the deepest real nesting, `kubectl logs --prefix --timestamps` or compose with --timestamps.
const MAX_LAYERS = 3;

/** Removes journald, docker, kubectl and CRI prefixes, reporting the outermost one. */
export function unwrapLine(line: string): Unwrapped {
  let text = line;
  let wrapper: Wrapper | undefined;
  let partial = false;
  for (let depth = 0; depth < MAX_LAYERS; depth++) {
    const layer = peel(text);
    if (layer === undefined) break;
    wrapper ??= layer.wrapper;
    partial ||= layer.partial === true;
    text = layer.text;
  }
  return { text, wrapper, partial };
}

// Fields every `journalctl -o json` record carries; one of them marks an object as a journal entry.
const JOURNAL_MARKERS = ['__REALTIME_TIMESTAMP', '__CURSOR', '_PID', 'SYSLOG_IDENTIFIER', '_SYSTEMD_UNIT'];

// journald writes a message with non-printable or non-UTF-8 bytes as a byte array, a too-large one as null.
/** The MESSAGE of a `journalctl -o json` record, or undefined when the object is not one. */
export function journaldMessage(object: Readonly<Record<string, unknown>>): string | undefined {
  if (!Object.hasOwn(object, 'MESSAGE') || !JOURNAL_MARKERS.some((key) => Object.hasOwn(object, key))) {
    return undefined;
  }
  const message = object.MESSAGE;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((b) => typeof b === 'number')) {
    return toText(Uint8Array.from(message));
  }
  return message === null ? '' : undefined;
}
