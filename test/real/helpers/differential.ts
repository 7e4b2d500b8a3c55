// The comparison half of the differential test (test/real/emulator-differential.test.ts): what each connector
// showed is reduced to what a user and tunnelwatch can observe (metric families, route bodies, log kinds with
// their levels and field names, the order of lifecycle events, exit statuses), compared surface by surface, and
// judged against the allowed differences listed in docs/emulator.md ("Fidelity to the real binary").
import { readFileSync } from 'node:fs';
import type { Exposition } from '../../../src/cloudflared/metrics/exposition.js';
import type { LogEvent } from '../../../src/cloudflared/log/event.js';

export type Subject = 'real' | 'emulator';

/** One compared item: `real` and `emulator` are what each showed, already reduced to the compared shape. */
export interface Finding {
  readonly surface: string;
  readonly item: string;
  /** undefined when the two agree; else `only real`, `only emulator`, `levels`, `fields`, `order`, `value`, ... */
  readonly difference: string | undefined;
  readonly real: string;
  readonly emulator: string;
}

/** A row of the allowed-differences table in docs/emulator.md. */
export interface AllowedRow {
  readonly surface: string;
  /** The items the row covers (each written in backticks in the table). */
  readonly items: readonly string[];
  readonly difference: string;
  /** `varies`: depends on the machine or on timing (may be absent from a run); `emulator`: a known gap (must still differ). */
  readonly cause: 'varies' | 'emulator';
  readonly reason: string;
}

export interface Judged extends Finding {
  readonly result: 'same' | 'allowed' | 'differs';
  readonly row?: AllowedRow;
}

// ---------------------------------------------------------------------------------------------------------------
// Reducing log lines to kinds

/** How variable parts of a message are replaced so that the same line of both connectors has one kind. */
export const NORMALIZATION = [
  'UUIDs → <uuid>; 64-hex checksums → <sha256>; IPv4/IPv6 addresses with or without port → <addr>',
  '`in zone X` → `in zone <zone>`; Go versions (go1.x.y) → <go>; absolute file paths → <path>',
  '`Settings: map[k:v ...]` → the sorted flag names only',
  'lines of the pre-check table (starting with `+` or `|`) → one kind `<pre-check table line>`; runs of blanks → one space',
  'in --output json runs, a line that is not JSON but holds JSON keys or starts like an event (pieces of lines written over each other) → `<torn JSON line>`',
] as const;

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const SHA256 = /\b[0-9a-f]{64}\b/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
const IPV6_PORT = /\[[0-9a-f:.]+\]:\d+/gi;
const IPV6 = /(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi;
const GO_VERSION = /\bgo1\.\d+(?:\.\d+)?\b/g;
const PATH = /(^|[\s=(["'])\/[^\s\])"']+/g;

export function normalizeMessage(message: string): string {
  if (/^[+|]/.test(message)) return '<pre-check table line>';
  const settings = /^Settings: map\[(.*)\]$/s.exec(message);
  if (settings) {
    const keys = [...(settings[1] ?? '').matchAll(/(?:^|\s)([a-zA-Z][\w-]*):/g)].map((m) => m[1] ?? '');
    return `Settings: map[${[...new Set(keys)].sort().join(' ')}]`;
  }
  return message
    .replace(UUID, '<uuid>')
    .replace(SHA256, '<sha256>')
    .replace(IPV6_PORT, '<addr>')
    .replace(IPV4, '<addr>')
    .replace(IPV6, '<addr>')
    .replace(/in zone \S+/g, 'in zone <zone>')
    .replace(GO_VERSION, '<go>')
    .replace(PATH, '$1<path>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The kind of a line: the parser's event type and the normalized message (`other` lines are told apart by text). */
export function kindOf(e: LogEvent, format: 'console' | 'json'): string {
  const shape = e.format === format ? '' : `(${e.format}) `;
  // Pieces of JSON lines written over each other (cloudflared's JSON writer is not atomic): they hold JSON keys,
  // or start or end like an event (a lone `}` too) and do not parse.
  if (format === 'json' && e.format === 'plain' && (/"\w+":/.test(e.message) || /^\s*\{|\}\s*$/.test(e.message))) return `${shape}other: <torn JSON line>`;
  return `${shape}${e.type}: ${normalizeMessage(e.message)}`;
}

/**
 * Field names of a line in the order they were written (`error` included): the keys of a JSON line, the
 * `key=` tokens after the message of a console line; for other lines the parsed names, sorted.
 */
export function writtenFields(line: string, e: LogEvent): string[] {
  const parsed = [...Object.keys(e.fields), ...(e.error === undefined ? [] : ['error'])];
  if (e.format === 'json') {
    try {
      const skip = new Set(['level', 'message', 'time']);
      return Object.keys(JSON.parse(line) as Record<string, unknown>).filter((k) => !skip.has(k));
    } catch {
      return parsed.sort();
    }
  }
  if (e.format === 'console') {
    const at = e.message === '' ? -1 : line.indexOf(e.message);
    const rest = at === -1 ? line : line.slice(at + e.message.length);
    const written = [...rest.matchAll(/(?:^|\s)([A-Za-z_][\w.-]*)=/g)].map((m) => m[1] ?? '').filter((k) => parsed.includes(k));
    return written.length === parsed.length ? written : parsed.sort();
  }
  return parsed.sort();
}

export interface KindSummary {
  readonly levels: ReadonlySet<string>;
  /** Each distinct `level [fields in written order]` the kind was written with. */
  readonly shapes: ReadonlySet<string>;
  readonly count: number;
}

/** Kinds of `events`; `lines[i]` is the text `events[i]` was parsed from. */
export function summarizeKinds(lines: readonly string[], events: readonly LogEvent[], format: 'console' | 'json'): Map<string, KindSummary> {
  const out = new Map<string, { levels: Set<string>; shapes: Set<string>; count: number }>();
  events.forEach((e, i) => {
    const key = kindOf(e, format);
    const entry = out.get(key) ?? { levels: new Set<string>(), shapes: new Set<string>(), count: 0 };
    entry.levels.add(e.level ?? '(none)');
    entry.shapes.add(`${e.level ?? '(none)'} [${writtenFields(lines[i] ?? '', e).join(',')}]`);
    entry.count++;
    out.set(key, entry);
  });
  return out;
}

const sorted = (set: ReadonlySet<string> | undefined): string => [...(set ?? [])].sort().join(' ');

/** Kinds seen by one side only, and kinds whose levels or field names differ. */
export function compareKinds(surface: string, real: Map<string, KindSummary>, emulator: Map<string, KindSummary>): Finding[] {
  const out: Finding[] = [];
  for (const key of [...new Set([...real.keys(), ...emulator.keys()])].sort()) {
    const r = real.get(key);
    const m = emulator.get(key);
    const show = (s: KindSummary | undefined): string => (s === undefined ? '(none)' : `${[...s.shapes].sort().join('; ')} ×${String(s.count)}`);
    let difference: string | undefined;
    if (r === undefined) difference = 'only emulator';
    else if (m === undefined) difference = 'only real';
    else if (sorted(r.levels) !== sorted(m.levels)) difference = 'levels';
    else if (sorted(r.shapes) !== sorted(m.shapes)) difference = 'fields';
    out.push({ surface, item: key, difference, real: show(r), emulator: show(m) });
  }
  return out;
}

/** Each kind once, in order of first appearance, leaving out `exclude`. */
export function kindOrder(events: readonly LogEvent[], format: 'console' | 'json', exclude: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const e of events) {
    const kind = kindOf(e, format);
    if (!exclude.has(kind) && !out.includes(kind)) out.push(kind);
  }
  return out;
}

/** The order of first appearance of lifecycle events (parser event types; shutdown split by phase). */
export function lifecycleOrder(events: readonly LogEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const step = e.type === 'shutdown' ? `shutdown(${e.phase})` : e.type === 'other' ? undefined : e.type;
    if (step !== undefined && !out.includes(step)) out.push(step);
  }
  return out;
}

/** Compares the order of the steps both sides have (a step only one side has is a log-kind finding already). */
export function compareOrder(surface: string, item: string, real: readonly string[], emulator: readonly string[]): Finding {
  const r = real.filter((s) => emulator.includes(s)).join(' → ');
  const m = emulator.filter((s) => real.includes(s)).join(' → ');
  const missing = [...real.filter((s) => !emulator.includes(s)).map((s) => `-${s}`), ...emulator.filter((s) => !real.includes(s)).map((s) => `+${s}`)];
  return {
    surface,
    item,
    difference: r === m ? undefined : 'order',
    real: real.join(' → '),
    emulator: `${emulator.join(' → ')}${missing.length > 0 ? ` (steps on one side only: ${missing.join(' ')})` : ''}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics and routes

const familyShape = (exposition: Exposition): Map<string, { type: string; help: string; labels: string }> =>
  new Map(
    exposition.families.map((f) => [
      f.name,
      {
        type: f.type,
        help: f.help ?? '',
        labels: [...new Set(f.samples.flatMap((s) => Object.keys(s.labels)))].filter((l) => l !== 'le' && l !== 'quantile').sort().join(','),
      },
    ]),
  );

/** Family names, types, HELP texts and label names (values differ by nature and are not compared). */
export function compareMetrics(surface: string, real: Exposition, emulator: Exposition): Finding[] {
  const out: Finding[] = [];
  for (const [side, e] of [['real', real], ['emulator', emulator]] as const) {
    if (e.errors.length > 0) out.push({ surface, item: 'exposition parse errors', difference: `parse errors (${side})`, real: JSON.stringify(real.errors), emulator: JSON.stringify(emulator.errors) });
  }
  const r = familyShape(real);
  const m = familyShape(emulator);
  for (const name of [...new Set([...r.keys(), ...m.keys()])].sort()) {
    const a = r.get(name);
    const b = m.get(name);
    const show = (s: typeof a): string => (s === undefined ? '(none)' : `${s.type} {${s.labels}}`);
    let difference: string | undefined;
    if (a === undefined) difference = 'only emulator';
    else if (b === undefined) difference = 'only real';
    else if (a.type !== b.type) difference = 'type';
    else if (a.labels !== b.labels) difference = 'labels';
    else if (a.help !== b.help) difference = 'help';
    out.push({
      surface,
      item: name,
      difference,
      real: difference === 'help' ? (a?.help ?? '') : show(a),
      emulator: difference === 'help' ? (b?.help ?? '') : show(b),
    });
  }
  return out;
}

/** A plain value compared for equality (status codes, headers, exit codes, body shapes). */
export function compareValue(surface: string, item: string, real: unknown, emulator: unknown): Finding {
  const r = typeof real === 'string' ? real : JSON.stringify(real);
  const m = typeof emulator === 'string' ? emulator : JSON.stringify(emulator);
  return { surface, item, difference: r === m ? undefined : 'value', real: r, emulator: m };
}

/**
 * The shape of a JSON value: keys (in order) and value types; an array by the distinct shapes of its elements,
 * sorted (Go's map iteration gives cloudflared's lists a random order, and `omitempty` varies their keys).
 */
export function jsonShape(value: unknown): unknown {
  if (Array.isArray(value)) {
    const shapes = [...new Set(value.map((v) => JSON.stringify(jsonShape(v))))].sort();
    return shapes.length === 0 ? '[]' : shapes.map((text) => JSON.parse(text) as unknown);
  }
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonShape(v)]));
  return typeof value;
}

/** Paths where two JSON values differ (`$.a.b[0]`), at most `limit`. */
export function jsonDifferences(a: unknown, b: unknown, path = '$', out: string[] = [], limit = 20): string[] {
  if (out.length >= limit) return out;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: ${String(a.length)} vs ${String(b.length)} elements`);
    a.forEach((v: unknown, i) => jsonDifferences(v, b[i], `${path}[${String(i)}]`, out, limit));
  } else if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
      if (!(key in ra) || !(key in rb)) out.push(`${path}.${key}: only ${key in ra ? 'real' : 'emulator'}`);
      else jsonDifferences(ra[key], rb[key], `${path}.${key}`, out, limit);
    }
  } else if (a !== b) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The allowed differences (docs/emulator.md) and the verdict

export const DOCS = new URL('../../../docs/emulator.md', import.meta.url);
export const TABLE_HEADING = '## Fidelity to the real binary';

/** Reads the first table under TABLE_HEADING: `| surface | items | difference | cause | reason |`. */
export function readAllowedTable(markdown: string): AllowedRow[] {
  const start = markdown.indexOf(`\n${TABLE_HEADING}\n`);
  if (start === -1) throw new Error(`docs/emulator.md has no "${TABLE_HEADING}" section`);
  const lines = markdown.slice(start + TABLE_HEADING.length + 2).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: AllowedRow[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split(' | ').map((c) => c.trim());
    const [surface = '', items = '', difference = '', cause = '', reason = ''] = cells;
    if (cells.length !== 5) throw new Error(`docs/emulator.md: a fidelity row has ${String(cells.length)} cells, not 5: ${line}`);
    if (cause !== 'varies' && cause !== 'emulator') throw new Error(`docs/emulator.md: cause must be varies or emulator: ${line}`);
    const listed = [...items.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    if (listed.length === 0) throw new Error(`docs/emulator.md: a fidelity row names no item in backticks: ${line}`);
    rows.push({ surface: surface.replace(/`/g, ''), items: listed, difference, cause, reason });
  }
  return rows;
}

export function loadAllowedTable(): AllowedRow[] {
  return readAllowedTable(readFileSync(DOCS, 'utf8'));
}

/** A row's surface covers a finding's when equal, or when it is the prefix before ` (` (`log` covers `log (json)`). */
function surfaceCovers(row: string, finding: string): boolean {
  return row === finding || finding.startsWith(`${row} (`);
}

export function judge(findings: readonly Finding[], rows: readonly AllowedRow[]): Judged[] {
  return findings.map((f) => {
    if (f.difference === undefined) return { ...f, result: 'same' };
    const difference = f.difference;
    const row = rows.find((r) => surfaceCovers(r.surface, f.surface) && r.items.includes(f.item) && r.difference.startsWith(difference));
    return row === undefined ? { ...f, result: 'differs' } : { ...f, result: 'allowed', row };
  });
}

/** Rows of `emulator` cause that matched nothing: the gap was closed and the row should go. */
export function staleRows(judged: readonly Judged[], rows: readonly AllowedRow[]): AllowedRow[] {
  const used = new Set(judged.flatMap((j) => (j.row === undefined ? [] : [j.row])));
  return rows.filter((r) => r.cause === 'emulator' && !used.has(r));
}

// ---------------------------------------------------------------------------------------------------------------
// The report

const cell = (text: string, max = 1000): string => {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The full report (every item) as Markdown, and a short one (per surface, differences only) for the console. */
export function renderReport(judged: readonly Judged[], rows: readonly AllowedRow[], header: readonly string[]): { full: string; short: string } {
  const surfaces = [...new Set(judged.map((j) => j.surface))];
  const stale = staleRows(judged, rows);
  const unseen = rows.filter((r) => r.cause === 'varies' && !judged.some((j) => j.row === r));
  const verdict = (j: Judged): string =>
    j.result === 'same' ? 'same' : j.result === 'allowed' ? `differs (allowed, ${j.row?.cause ?? ''}: ${j.row?.reason ?? ''})` : 'differs';
  const summaryLine = (s: string): string => {
    const of = judged.filter((j) => j.surface === s);
    const count = (r: Judged['result']): number => of.filter((j) => j.result === r).length;
    const result = count('differs') > 0 ? 'DIFFERS' : count('allowed') > 0 ? 'same except allowed differences' : 'same';
    return `| ${s} | ${String(of.length)} | ${String(count('same'))} | ${String(count('allowed'))} | ${String(count('differs'))} | ${result} |`;
  };
  const summary = ['| surface | items | same | allowed | differs | result |', '| --- | --- | --- | --- | --- | --- |', ...surfaces.map(summaryLine)];
  const differencesOnly = judged.filter((j) => j.result !== 'same');
  const detail = (list: readonly Judged[]): string[] => [
    '| surface | item | result | real | emulator |',
    '| --- | --- | --- | --- | --- |',
    ...list.map((j) => `| ${cell(j.surface)} | ${cell(j.item)} | ${cell(verdict(j))} | ${cell(j.real)} | ${cell(j.emulator)} |`),
  ];
  const tail = [
    ...(stale.length > 0 ? ['', 'Allowed rows (cause emulator) that no longer differ — remove them from docs/emulator.md:', ...stale.map((r) => `- ${r.surface}: ${r.items.join(', ')}`)] : []),
    ...(unseen.length > 0 ? ['', 'Allowed rows (cause varies) not seen in this run:', ...unseen.map((r) => `- ${r.surface}: ${r.items.join(', ')}`)] : []),
  ];
  const unexplained = differencesOnly.filter((j) => j.result === 'differs');
  const byRow = rows.flatMap((r) => {
    const hits = judged.filter((j) => j.row === r);
    if (hits.length === 0) return [];
    const surfacesSeen = [...new Set(hits.map((j) => j.surface))].join(', ');
    return [`- ${r.surface} ${r.items.map((i) => `\`${i}\``).join(', ')}: ${r.difference} (${r.cause}: ${r.reason}) — seen in ${surfacesSeen}`];
  });
  const short = [
    ...header, '', ...summary, '',
    `Differences not allowed (${String(unexplained.length)}):`, ...(unexplained.length > 0 ? detail(unexplained) : ['(none)']), '',
    'Allowed differences seen (docs/emulator.md):', ...(byRow.length > 0 ? byRow : ['(none)']),
    ...tail,
  ].join('\n');
  const full = [...header, '', '## Summary', '', ...summary, '', '## Every item', '', ...detail(judged), ...tail, ''].join('\n');
  return { full, short };
}
