// Splits the part of a zerolog console line after the level into message and `key=value` fields.
// zerolog writes `<message> k=v k=v…` and cannot mark where the message ends, so the fields are the
// trailing run of tokens that parse as key=value; one left-to-right pass, linear in the line length.
import type { FieldValue } from './event.js';
import { findClosingQuote, unquoteGo } from '../../go/index.js';
import { addField, type ParsedLine } from './record.js';

const SPACE = 32;
const QUOTE = 34;

/** Key characters seen in cloudflared field names (`connIndex`, `content-length`, `run_id`, …). */
function isKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46
  );
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** An unquoted value as zerolog printed it: JSON numbers, booleans and null come back typed. */
function unquotedValue(raw: string): FieldValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  const c = raw.charCodeAt(0);
  // Integers past 2^53 and very long numbers would not survive as a double: they keep their text.
  if ((c === 45 || (c >= 48 && c <= 57)) && raw.length <= 32 && NUMBER.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(raw))) return n;
  }
  return raw;
}

/**
 * Index just past the JSON object/array starting at `open` (json.Marshal output, which zerolog prints
 * unquoted for non-string values), or -1 when it is not closed before a space outside a JSON string.
 */
function findJsonEnd(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === 123 || c === 91) {
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === SPACE) {
      return -1;
    }
  }
  return -1;
}

function tokenEnd(text: string, from: number): number {
  const space = text.indexOf(' ', from);
  return space === -1 ? text.length : space;
}

interface Pair {
  readonly key: string;
  readonly value: FieldValue;
}

/**
 * Splits `<message> k=v …` (a console line after `LVL `) into the record's message, error and fields,
 * the fields being the trailing run of key=value tokens.
 */
export function splitMessageAndFields(rest: string, record: ParsedLine, whole = true): void {
  const n = rest.length;
  const pairs: Pair[] = [];
  let runStart = -1;
  // Once a quoted value is found unclosed, later ones on the line cannot close either; after one failed
  // bracketed value, brackets are read as plain text. Either way no stretch is scanned twice: linear.
  let quotesOpen = true;
  let bracketsOpen = true;
  // The run as it stood at the first unclosed quote, that quote's value running to the end of the line: the
  // reading of a line cut or wrapped inside a quoted value, used when no key=value follows the cut.
  let cut: { readonly start: number; readonly pairs: Pair[] } | undefined;
  let i = 0;
  while (i < n) {
    if (rest.charCodeAt(i) === SPACE) {
      i++;
      continue;
    }
    const tokenStart = i;
    let j = i;
    while (j < n && isKeyChar(rest.charCodeAt(j))) j++;
    let value: FieldValue | undefined;
    let end = -1;
    if (j > i && j < n && rest.charCodeAt(j) === 61) {
      const v = j + 1;
      const first = rest.charCodeAt(v);
      if (first === QUOTE && quotesOpen) {
        const close = findClosingQuote(rest, v);
        if (close === -1) {
          quotesOpen = false;
          const truncated = unquoteGo(rest, v, n).trimEnd();
          cut = { start: runStart === -1 ? tokenStart : runStart, pairs: [...pairs, { key: rest.slice(i, j), value: truncated }] };
        } else if (close + 1 === n || rest.charCodeAt(close + 1) === SPACE) {
          value = unquoteGo(rest, v, close);
          end = close + 1;
        }
      } else if ((first === 123 || first === 91) && bracketsOpen) {
        const close = findJsonEnd(rest, v);
        if (close !== -1 && (close === n || rest.charCodeAt(close) === SPACE)) {
          value = rest.slice(v, close);
          end = close;
        } else {
          bracketsOpen = false;
        }
      }
      if (end === -1 && first !== QUOTE) {
        end = tokenEnd(rest, v);
        value = unquotedValue(rest.slice(v, end));
      }
    }
    if (value === undefined) {
      pairs.length = 0;
      runStart = -1;
      i = tokenEnd(rest, i);
      continue;
    }
    if (runStart === -1) runStart = tokenStart;
    pairs.push({ key: rest.slice(i, j), value });
    i = end;
  }
  let run = pairs;
  // A known fragment (CRI `P`) is not cut: its value goes on in the next record.
  if (runStart === -1 && cut !== undefined && whole) {
    runStart = cut.start;
    run = cut.pairs;
  }
  if (runStart === -1) {
    record.message = rest;
    return;
  }
  for (const { key, value } of run) {
    if (key !== 'error') addField(record, key, value);
    else if (value === null) delete record.error;
    else record.error = String(value);
  }
  record.message = rest.slice(0, runStart > 0 && rest.charCodeAt(runStart - 1) === SPACE ? runStart - 1 : runStart);
}
