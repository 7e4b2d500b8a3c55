// Turns the decode issues found while parsing (wrong types, bad durations, unknown keys, rejected flag
// values) into coded diagnostics with a fix sentence naming the expected form.
import type { Diagnostic } from '../../base/index.js';
import type { CloudflaredConfig } from './file.js';
import type { DecodeIssue } from './decode.js';
import {
  ACCESS_SCHEMA,
  CONFIG_FLAGS,
  type FieldSchema,
  IP_RULE_SCHEMA,
  LOCAL_TOP_SCHEMA,
  ORIGIN_REQUEST_SCHEMA,
  RULE_SCHEMA,
  WARP_ROUTING_SCHEMA,
} from './schema.js';
import { ingressDiagnostic } from './ingress-codes.js';

const SCHEMAS = [LOCAL_TOP_SCHEMA, RULE_SCHEMA, ORIGIN_REQUEST_SCHEMA, ACCESS_SCHEMA, IP_RULE_SCHEMA, WARP_ROUTING_SCHEMA];

/** Every key name cloudflared knows, for spelling suggestions. */
const KNOWN_KEYS = [...new Set([...SCHEMAS.flatMap((s) => Object.keys(s.fields)), ...CONFIG_FLAGS.keys()])];

/** Levenshtein distance, for spelling suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known key closest to `key`, when it is a plausible misspelling. */
export function suggestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of KNOWN_KEYS) {
    const score = candidate.toLowerCase() === key.toLowerCase() ? 0 : distance(candidate, key);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return bestScore <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

function lastKey(path: string): string {
  return path.replace(/\[[0-9]+\]$/, '').split('.').pop() ?? path;
}

function fieldSchema(key: string): FieldSchema | undefined {
  for (const schema of SCHEMAS) {
    const field = schema.fields[key];
    if (field !== undefined) return field;
  }
  return undefined;
}

function typeFix(issue: DecodeIssue, remote: boolean): string {
  const key = lastKey(issue.path);
  const schema = fieldSchema(key);
  if (issue.kind === 'duration' || schema === 'duration') {
    return remote
      ? `Write \`${key}\` as a whole number of seconds, e.g. 30; remote configuration does not take duration strings.`
      : `Write \`${key}\` as a Go duration string such as 30s, 1m30s or 500ms; a bare number is rejected.`;
  }
  if (typeof schema === 'object') {
    return 'list' in schema
      ? `Write \`${key}\` as a list of mappings, each item starting with "- ".`
      : `Write \`${key}\` as a mapping of its options.`;
  }
  const forms: Readonly<Record<string, string>> = {
    bool: 'true or false, without quotes',
    int: 'a whole number without quotes',
    uint: 'a whole number of zero or more, without quotes',
    uint64: 'a whole number of zero or more, without quotes',
    string: remote ? 'a quoted string' : 'a single text value',
    stringList: 'a list of strings',
    intList: 'a list of whole numbers',
  };
  return `Write \`${key}\` as ${forms[schema ?? 'string'] ?? 'the type named in the message'}.`;
}

function flagFix(issue: DecodeIssue): string {
  const key = issue.path;
  if (key === 'grace-period') return 'Set grace-period to 3m or less, written as a Go duration such as 30s.';
  if (key === 'edge-ip-version') return 'Set edge-ip-version to "4", "6" or "auto" (quote the numbers).';
  if (key === 'protocol') return 'Set protocol to auto, quic or http2.';
  const forms: Readonly<Record<string, string>> = {
    int: 'a whole number without quotes',
    bool: 'true or false, without quotes',
    duration: 'a Go duration string such as 30s or 5m',
    stringSlice: 'a list of strings',
    string: 'a string; quote values such as "4" that YAML would read as numbers',
  };
  return `Write \`${key}\` as ${forms[CONFIG_FLAGS.get(key) ?? 'string'] ?? 'the type named in the message'}.`;
}

function unknownKeyFix(issue: DecodeIssue, remote: boolean): string {
  const key = lastKey(issue.path);
  const suggestion = suggestKey(key);
  const ignored = remote ? 'cloudflared silently ignores it' : 'cloudflared ignores it and `ingress validate` warns';
  return suggestion === undefined
    ? `Remove \`${key}\`; ${ignored}.`
    : `Rename \`${key}\` to \`${suggestion}\`, or remove it; ${ignored}.`;
}

/** Diagnostics for the decode issues recorded in a parsed config. */
export function issueDiagnostics(config: CloudflaredConfig): Diagnostic[] {
  const remote = config.shape !== 'local';
  return config.issues.map((issue) => {
    switch (issue.kind) {
      case 'type':
        return ingressDiagnostic('TW_ERR_CONFIG_BAD_TYPE', issue.path, issue.message, typeFix(issue, remote));
      case 'duration':
        return ingressDiagnostic('TW_ERR_CONFIG_BAD_DURATION', issue.path, issue.message, typeFix(issue, remote));
      case 'unknown-key':
        return ingressDiagnostic('TW_WARN_CONFIG_UNUSED_KEY', issue.path, issue.message, unknownKeyFix(issue, remote));
      case 'flag-type':
        return ingressDiagnostic('TW_ERR_CONFIG_FLAG_TYPE', issue.path, issue.message, flagFix(issue));
      case 'flag-value':
        return ingressDiagnostic('TW_ERR_CONFIG_FLAG_VALUE', issue.path, issue.message, flagFix(issue));
    }
  });
}
