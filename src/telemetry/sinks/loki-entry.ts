// How a Loki record is kept in its spool. Every logs.format makes a JSON object of a record, and that line goes into
// the entry as it is, after the labels: writing it costs no escaping, and reading it back is a cut at known places
// instead of a parse (the push body escapes it once, as it must). Entries written by earlier versions, with the line
// as a JSON string, are still read. Pure.
import { parseJsonObject } from '../../cloudflared/log/index.js';
import type { LokiRecord } from './loki-push.js';

const NS = '{"timestampNs":"';
const LABELS = ',"labels":';
// Quotes inside a JSON string are escaped, so this can only be the entry's own structure: the first one after the
// labels (a flat object of strings) ends them.
const LINE = '},"json":';
const DIGITS = /^\d+$/;

/** The JSON of a Loki entry: `{"timestampNs":"…","labels":{…},"json":<line>}`, or `"line":"<line>"` for a line that is not a JSON object. */
export function lokiEntry(timestampNs: string, labelsJson: string, line: string): string {
  return line.startsWith('{')
    ? `${NS}${timestampNs}"${LABELS}${labelsJson},"json":${line}}`
    : `${NS}${timestampNs}"${LABELS}${labelsJson},"line":${JSON.stringify(line)}}`;
}

/** Parsed label sets by their JSON: a spool holds few (one per stream), shared by the records that carry them. */
const labelSets = new Map<string, Readonly<Record<string, string>>>();
const MAX_LABEL_SETS = 1000;

function labelsFrom(json: string): Readonly<Record<string, string>> | undefined {
  const known = labelSets.get(json);
  if (known !== undefined) return known;
  const labels = parseJsonObject(json);
  if (labels === undefined || !isLabels(labels)) return undefined;
  if (labelSets.size >= MAX_LABEL_SETS) labelSets.clear();
  labelSets.set(json, labels);
  return labels;
}

function isLabels(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string');
}

/** A spooled entry's JSON back to its record; undefined when it is neither shape (the spool counts it corrupt). */
export function decodeLokiEntry(text: string): LokiRecord | undefined {
  if (text.startsWith(NS)) {
    const nsEnd = text.indexOf('"', NS.length);
    const labelsAt = nsEnd + 1 + LABELS.length;
    const lineAt = text.indexOf(LINE, labelsAt);
    if (nsEnd > 0 && text.startsWith(LABELS, nsEnd + 1) && lineAt > 0 && text.endsWith('}')) {
      const timestampNs = text.slice(NS.length, nsEnd);
      const labels = labelsFrom(text.slice(labelsAt, lineAt + 1));
      const line = text.slice(lineAt + LINE.length, -1);
      if (DIGITS.test(timestampNs) && labels !== undefined && line.startsWith('{')) return { timestampNs, line, labels };
    }
  }
  const v = parseJsonObject(text);
  if (v === undefined) return undefined;
  const { timestampNs, line, labels } = v;
  return typeof timestampNs === 'string' && DIGITS.test(timestampNs) && typeof line === 'string' && isLabels(labels) ? { timestampNs, line, labels } : undefined;
}
