// Top-level keys of a local config file that are not config.Configuration fields: cloudflared puts them
// in a map[string]interface{} and urfave/cli's altsrc reads each flag from it with a typed getter
// (config/configuration.go configFileSettings), then a few flags get their own checks.
import { Secret } from '../../base/index.js';
import type { RawEntry, RawNode } from './raw.js';
import { CLI_ONLY_KEYS, CONFIG_FLAGS, SECRET_FLAGS } from './schema.js';
import type { DecodeIssue } from './decode.js';
import { goQuote, parseGoDuration } from '../../go/index.js';

/** A flag value read from the file; secrets are wrapped so they never print. */
export type FlagValue = string | number | boolean | readonly string[] | Secret;

/** A top-level key that is not a struct field, and whether cloudflared reads it. */
export interface TopLevelSetting {
  readonly key: string;
  readonly path: string;
  readonly line: number;
  /** `flag`: read by altsrc; `cli-only`: a flag or alias altsrc never reads; `unknown`: no such flag. */
  readonly status: 'flag' | 'cli-only' | 'unknown';
}

const PROTOCOLS = new Set(['auto', 'quic', 'http2', 'h2mux']);
const AVAILABLE_PROTOCOLS =
  "Available protocols: 'auto' - automatically chooses the best protocol over time (the default; and also the " +
  "recommended one); 'quic' - based on QUIC, relying on UDP egress to Cloudflare edge; 'http2' - using Go's HTTP2 " +
  'library, relying on TCP egress to Cloudflare edge';
const MAX_GRACE_MS = 3 * 60_000;

/** Go's `%T` of the value yaml.v3 decodes into an interface{}. */
function goTypeOf(node: RawNode): string {
  if (node.kind === 'map') return 'map[string]interface {}';
  if (node.kind === 'seq') return '[]interface {}';
  const names: Readonly<Record<string, string>> = {
    str: 'string', bool: 'bool', float: 'float64', null: '<nil>', timestamp: 'time.Time', binary: 'string',
  };
  if (node.tag === 'int') return node.uint64 ? 'uint64' : 'int';
  return names[node.tag] ?? 'string';
}

const UNITS = ['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h'];

/** time.ParseDuration's error for text, or undefined when it parses. */
function goDurationError(text: string): string | undefined {
  if (parseGoDuration(text) !== undefined) return undefined;
  const quoted = goQuote(text);
  let rest = text.replace(/^[-+]/, '');
  if (rest === '') return `time: invalid duration ${quoted}`;
  while (rest !== '') {
    const num = /^[0-9]*(?:\.[0-9]*)?/.exec(rest)?.[0] ?? '';
    if (!/[0-9]/.test(num)) return `time: invalid duration ${quoted}`;
    rest = rest.slice(num.length);
    const unit = /^[^0-9.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') return `time: missing unit in duration ${quoted}`;
    if (!UNITS.includes(unit)) return `time: unknown unit ${goQuote(unit)} in duration ${quoted}`;
    rest = rest.slice(unit.length);
  }
  return `time: invalid duration ${quoted}`;
}

function readFlag(key: string, node: RawNode, issues: DecodeIssue[]): FlagValue | undefined {
  const kind = CONFIG_FLAGS.get(key);
  const t = goTypeOf(node);
  const bad = (expected: string): FlagValue | undefined => {
    issues.push({ kind: 'flag-type', path: key, message: `expected ${expected} found ${t} for ${key}` });
    return undefined;
  };
  if (node.kind === 'seq' && kind === 'stringSlice') {
    const out: string[] = [];
    for (const item of node.items) {
      if (item.kind === 'scalar' && item.tag === 'str') out.push(item.text);
      else {
        // configFileSettings.StringSlice prints the element index's type (always int), as Go does.
        issues.push({ kind: 'flag-type', path: key, message: `expected string, found int for ${item.kind === 'scalar' ? item.text : t}` });
        return undefined;
      }
    }
    return out;
  }
  if (node.kind !== 'scalar') return bad(kind === 'stringSlice' ? 'string slice' : kind === 'bool' ? 'boolean' : (kind ?? 'string'));
  switch (kind) {
    case 'int':
      return node.tag === 'int' && !node.uint64 ? Number(node.value) : bad('int');
    case 'bool':
      return node.tag === 'bool' ? node.value === true : bad('boolean');
    case 'duration': {
      if (node.tag !== 'str') return bad('duration');
      const error = goDurationError(node.text);
      if (error !== undefined) {
        issues.push({ kind: 'flag-value', path: key, message: error });
        return undefined;
      }
      return parseGoDuration(node.text);
    }
    case 'stringSlice':
      return bad('string slice');
    default:
      return node.tag === 'str' ? node.text : bad('string');
  }
}

/** The checks cloudflared applies to a few flag values after reading them. */
function checkValue(key: string, value: FlagValue, issues: DecodeIssue[]): void {
  if (key === 'grace-period' && typeof value === 'number' && value > MAX_GRACE_MS) {
    issues.push({ kind: 'flag-value', path: key, message: 'grace-period must be equal or less than 3m0s' });
  }
  if (key === 'edge-ip-version' && typeof value === 'string' && value !== '' && !['4', '6', 'auto'].includes(value)) {
    issues.push({ kind: 'flag-value', path: key, message: `invalid value for edge-ip-version: ${value}` });
  }
  if (key === 'protocol' && typeof value === 'string' && value !== '' && !PROTOCOLS.has(value)) {
    issues.push({ kind: 'flag-value', path: key, message: `unknown protocol ${value}, ${AVAILABLE_PROTOCOLS}` });
  }
}

/** Reads the flag keys among `entries`; type problems go to `issues`. */
export function readFlags(
  entries: readonly RawEntry[],
  issues: DecodeIssue[],
): { flags: ReadonlyMap<string, FlagValue>; settings: readonly TopLevelSetting[] } {
  const flags = new Map<string, FlagValue>();
  const settings: TopLevelSetting[] = [];
  for (const entry of entries) {
    const known = CONFIG_FLAGS.has(entry.key);
    const status = known ? 'flag' : CLI_ONLY_KEYS.has(entry.key) ? 'cli-only' : 'unknown';
    settings.push({ key: entry.key, path: entry.key, line: entry.line, status });
    if (!known) continue;
    const value = readFlag(entry.key, entry.value, issues);
    if (value === undefined) continue;
    checkValue(entry.key, value, issues);
    flags.set(entry.key, SECRET_FLAGS.has(entry.key) && typeof value === 'string' ? new Secret(value) : value);
  }
  return { flags, settings };
}
