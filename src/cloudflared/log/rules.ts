// Which cloudflared messages mean which event: current wordings and those of older releases, grouped
// by their lower-cased first word so that a line is only compared with the few rules that can match.
import { become, configError, configUpdated, connectorId, fallback, initialProtocol, metricsServer, registered, retrying, shutdown, type SimpleType, starting, version } from './builders.js';
import type { LogEvent } from './event.js';
import type { ParsedLine } from './record.js';

/** Turns the record into its event, or says (undefined) that the message is not this rule's. */
export type Rule = (record: ParsedLine, lower: string) => LogEvent | undefined;

/** The key a message is compared by: lower case, no trailing whitespace or single `.`. */
export function normalize(message: string): string {
  const lower = message.toLowerCase().trimEnd();
  return lower.endsWith('.') && !lower.endsWith('...') ? lower.slice(0, -1) : lower;
}

/** The lower-cased first word of a message, which picks the rules worth trying. */
export function firstWord(message: string): string {
  const space = message.indexOf(' ');
  return (space === -1 ? message : message.slice(0, space)).toLowerCase();
}

const simple =
  (type: SimpleType): Rule =>
  (record) =>
    become(record, type);

// Exact messages, as cloudflared writes them.
const EXACT: readonly (readonly [string, Rule])[] = [
  ['Starting tunnel', starting],
  ['Registered tunnel connection', (record) => registered(record)],
  // h2mux's registration (until 2023.3), with `connIndex` and `location` only.
  ['Connection established', (record) => registered(record)],
  ['Unregistered tunnel connection', simple('unregistered')],
  ['Lost connection with the edge', simple('connection_lost')],
  ['Serve tunnel error', simple('serve_error')],
  ['failed to serve tunnel connection', simple('serve_error')],
  ['Failed to serve quic connection', simple('serve_error')],
  ['failed to accept incoming stream requests', simple('serve_error')],
  ['failed to serve the control stream', simple('serve_error')],
  ['failed to run the datagram handler', simple('serve_error')],
  ['Failed to dial a quic connection', simple('dial_error')],
  ['Failed to create new quic connection', simple('dial_error')],
  ['Unable to establish connection with Cloudflare edge', simple('dial_error')],
  ['Unable to establish connection.', simple('dial_error')],
  ['Register tunnel error from server side', simple('register_error')],
  ['Connection terminated', simple('terminated')],
  ['Request failed', simple('request_error')],
  ['failed to serve incoming request', simple('request_error')],
  ['Updated to new configuration', configUpdated],
  ['Failed to deserialize new configuration', configError],
  ['Failed to update ingress', configError],
  ['Initiating shutdown', (record) => shutdown(record, 'fatal')],
  ['no more connections active and exiting', (record) => shutdown(record, 'drained')],
  ['Tunnel server stopped', (record) => shutdown(record, 'stopped')],
  ["Couldn't start tunnel", simple('fatal')],
  ['initial tunnel connection failed', simple('fatal')],
];

/** A rule for `<prefix><value>` (prefix lower-case): `build` gets the value as written, trimmed, never empty. */
function prefixed(prefix: string, build: (record: ParsedLine, value: string) => LogEvent | undefined): Rule {
  return (record, lower) => {
    if (!lower.startsWith(prefix)) return undefined;
    const value = record.message.slice(prefix.length).trim();
    return value === '' ? undefined : build(record, value);
  };
}

// Before 2023.4.1: `Connection <uuid> registered`, from 2022.11.0 with ` with protocol: <p>`.
const OLD_REGISTERED = /^connection (\S+) registered(?: with protocol: (\S+))?$/i;
// `Version 2026.8.2 (Checksum <sha256>)`; before the checksum was added, `Version 2022.3.0`.
const VERSION = /^version (\S+)(?: \(checksum ([^\s)]*)\))?$/i;

/** 2021.8 to 2021.11 put the QUIC error into the message (`…, err: <error>`) instead of an `error` field. */
function errorInMessage(prefix: string, type: 'dial_error' | 'serve_error'): Rule {
  return prefixed(prefix, (record, error) => {
    record.error ??= error;
    return become(record, type);
  });
}

// Messages with a variable part, with the first word they start with.
const PATTERNS: readonly (readonly [string, Rule])[] = [
  ['retrying', prefixed('retrying connection in up to ', retrying)],
  ['failed', errorInMessage('failed to create new quic connection, err: ', 'dial_error')],
  ['failed', errorInMessage('failed to serve quic connection, err: ', 'serve_error')],
  [
    'connection',
    (record) => {
      const match = OLD_REGISTERED.exec(record.message.trimEnd());
      return match ? registered(record, match[1], match[2]) : undefined;
    },
  ],
  ['switching', prefixed('switching to fallback protocol ', fallback)],
  ['initial', prefixed('initial protocol ', initialProtocol)],
  [
    'version',
    (record) => {
      const match = VERSION.exec(record.message.trimEnd());
      return match?.[1] === undefined ? undefined : version(record, match[1], match[2]);
    },
  ],
  ['generated', prefixed('generated connector id: ', connectorId)],
  ['starting', prefixed('starting metrics server on ', metricsServer)],
  [
    'initiating',
    prefixed('initiating graceful shutdown due to signal ', (record, written) =>
      shutdown(record, 'signal', (written.endsWith('...') ? written.slice(0, -3) : written).trim()),
    ),
  ],
];

/** Rules exactly as cloudflared's messages are written: one map lookup, no lower-casing, for most lines. */
export const AS_WRITTEN: ReadonlyMap<string, Rule> = new Map(EXACT);

/** Every rule, by the lower-cased first word of the messages it can match. */
export const BY_FIRST_WORD: ReadonlyMap<string, readonly Rule[]> = (() => {
  const byWord = new Map<string, Rule[]>();
  const add = (word: string, rule: Rule): void => {
    const rules = byWord.get(word) ?? [];
    rules.push(rule);
    byWord.set(word, rules);
  };
  for (const [message, rule] of EXACT) {
    const key = normalize(message);
    add(firstWord(key), (record, lower) => (lower === key ? rule(record, lower) : undefined));
  }
  for (const [word, rule] of PATTERNS) add(word, rule);
  return byWord;
})();
