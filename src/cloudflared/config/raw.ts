// Config text → a small positioned tree. Plain YAML scalars are resolved the way gopkg.in/yaml.v3
// (cloudflared's YAML library) resolves them, not by YAML 1.2 rules: `yes` stays a string, `0755` is
// octal, `1_000` is an int. JSON text keeps JSON's types. Never throws.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { duplicateKey, nestingTooDeep } from './yaml-bounds.js';

/** yaml.v3's tag of a resolved scalar. */
export type ScalarTag = 'str' | 'int' | 'float' | 'bool' | 'null' | 'timestamp' | 'binary';

interface Located {
  readonly line: number;
  readonly column: number;
  /** The node's source text (JSON token text for JSON scalars). */
  readonly source: string;
}

/** A scalar: `text` is the scalar's value as written (quotes removed), as yaml.v3's Node.Value. */
export interface RawScalar extends Located {
  readonly kind: 'scalar';
  readonly tag: ScalarTag;
  readonly text: string;
  readonly value: string | number | boolean | null;
  /** True for an integer beyond int64 that only fits uint64 (yaml.v3 then yields uint64). */
  readonly uint64?: boolean;
}

/** One key of a mapping, with its position. */
export interface RawEntry {
  readonly key: string;
  readonly line: number;
  readonly column: number;
  readonly value: RawNode;
}

/** A mapping. */
export interface RawMap extends Located {
  readonly kind: 'map';
  readonly entries: readonly RawEntry[];
}

/** A sequence. */
export interface RawSeq extends Located {
  readonly kind: 'seq';
  readonly items: readonly RawNode[];
}

/** Any node of the tree. */
export type RawNode = RawScalar | RawMap | RawSeq;

/** A parsed document, or why it could not be parsed. */
export interface RawDocument {
  readonly format: 'yaml' | 'json';
  /** Undefined for an empty document. */
  readonly root?: RawNode;
  readonly error?: { readonly message: string; readonly line: number; readonly column: number };
  /** Number of YAML documents in the text; cloudflared reads only the first. */
  readonly documents: number;
}

const MAX_NODES = 100_000;
const INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const SPECIAL: Readonly<Record<string, [ScalarTag, string | number | boolean | null]>> = {
  '': ['null', null], '~': ['null', null], null: ['null', null], Null: ['null', null], NULL: ['null', null],
  true: ['bool', true], True: ['bool', true], TRUE: ['bool', true],
  false: ['bool', false], False: ['bool', false], FALSE: ['bool', false],
  '.inf': ['float', Infinity], '.Inf': ['float', Infinity], '.INF': ['float', Infinity],
  '+.inf': ['float', Infinity], '+.Inf': ['float', Infinity], '+.INF': ['float', Infinity],
  '-.inf': ['float', -Infinity], '-.Inf': ['float', -Infinity], '-.INF': ['float', -Infinity],
  '.nan': ['float', NaN], '.NaN': ['float', NaN], '.NAN': ['float', NaN],
};

function parseGoInt(text: string): bigint {
  const neg = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  const prefixed = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body.replace(/^0([xob])/i, (_m, p: string) => `0${p.toLowerCase()}`);
  const n = BigInt(prefixed);
  return neg ? -n : n;
}

/** yaml.v3's resolve() for a plain scalar. */
function resolvePlain(text: string): { tag: ScalarTag; value: string | number | boolean | null; uint64?: boolean } {
  const special = SPECIAL[text];
  if (special) return { tag: special[0], value: special[1] };
  if (/^[-+.0-9]/.test(text)) {
    if (/^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:$|[Tt ])/.test(text)) return { tag: 'timestamp', value: text };
    const plain = text.replace(/_/g, '');
    if (INT.test(plain)) {
      const n = parseGoInt(plain);
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return { tag: 'int', value: Number(n) };
      if (n >= 0n && n < 2n ** 64n) return { tag: 'int', value: Number(n), uint64: true };
    }
    if (FLOAT.test(plain)) return { tag: 'float', value: Number(plain) };
  }
  return { tag: 'str', value: text };
}

class Builder {
  private count = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly lines: LineCounter,
    private readonly json: boolean,
  ) {}

  private located(node: YamlNode): Located {
    const [start, end] = node.range ?? [0, 0];
    const pos = this.lines.linePos(start);
    return { line: pos.line, column: pos.col, source: this.text.slice(start, end) };
  }

  private scalar(node: Scalar): RawScalar {
    const loc = this.located(node);
    const quoted = node.type !== Scalar.PLAIN;
    const text = typeof node.value === 'string' ? node.value : (node.source ?? loc.source);
    if (this.json) {
      const value = typeof node.value === 'bigint' ? Number(node.value) : (node.value as string | number | boolean | null);
      const tag: ScalarTag = quoted ? 'str' : value === null ? 'null' : typeof value === 'boolean' ? 'bool' : Number.isInteger(value) && !/[.eE]/.test(loc.source) ? 'int' : 'float';
      return { kind: 'scalar', tag, text, value, ...loc };
    }
    if (quoted || node.tag === '!!str' || node.tag === 'tag:yaml.org,2002:str') {
      return { kind: 'scalar', tag: 'str', text, value: text, ...loc };
    }
    return { kind: 'scalar', text: loc.source, ...resolvePlain(loc.source), ...loc };
  }

  build(node: unknown, depth: number): RawNode | undefined {
    if (++this.count > MAX_NODES || depth > 500) throw new Error('document too large or too deeply nested');
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) throw new Error(`unknown anchor '${node.source}' referenced`);
      return this.build(target, depth + 1);
    }
    if (isScalar(node)) return this.scalar(node);
    if (isSeq(node)) {
      const items = node.items.map((item) => this.build(item, depth + 1) ?? this.nullAt(node));
      return { kind: 'seq', items, ...this.located(node) };
    }
    if (isMap(node)) return { kind: 'map', entries: this.entries(node.items, depth), ...this.located(node) };
    return undefined;
  }

  private nullAt(node: YamlNode): RawScalar {
    return { kind: 'scalar', tag: 'null', text: '', value: null, ...this.located(node), source: '' };
  }

  private entries(items: readonly unknown[], depth: number): RawEntry[] {
    const own: RawEntry[] = [];
    const merged: RawEntry[] = [];
    for (const pair of items) {
      if (!isPair(pair)) continue;
      const keyNode = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      if (!isScalar(keyNode)) continue;
      const key = typeof keyNode.value === 'string' ? keyNode.value : (keyNode.source ?? String(keyNode.value));
      const value = this.build(pair.value, depth + 1) ?? this.nullAt(keyNode);
      const pos = this.located(keyNode);
      if (key === '<<' && !this.json && keyNode.type === Scalar.PLAIN) {
        // yaml.v3 merge keys: entries of the merged mapping(s) count unless the mapping sets them itself.
        const sources = value.kind === 'seq' ? value.items : [value];
        for (const src of sources) if (src.kind === 'map') merged.push(...src.entries);
        continue;
      }
      own.push({ key, line: pos.line, column: pos.column, value });
    }
    const all = [...own, ...merged.filter((m) => !own.some((o) => o.key === m.key))];
    // Go's encoding/json keeps the last of duplicate keys; YAML duplicates are a syntax error already.
    return this.json ? all.filter((e, i) => !all.slice(i + 1).some((later) => later.key === e.key)) : all;
  }
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** Parses YAML or JSON text into a RawDocument; syntax problems are reported in `error`. */
export function parseRawDocument(text: string): RawDocument {
  const json = looksLikeJson(text);
  const format = json ? 'json' : 'yaml';
  const deep = nestingTooDeep(text);
  if (deep !== undefined) return { format, documents: 1, error: { message: `${deep.message}; a cloudflared config needs a few`, line: deep.line, column: deep.column } };
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, intAsBigInt: true });
  const list = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (!first) return { format, documents: 0 };
  const problem = first.errors[0];
  if (problem) {
    const pos = lines.linePos(problem.pos[0]);
    return { format, documents: list.length, error: { message: problem.message.split('\n')[0] ?? '', line: pos.line, column: pos.col } };
  }
  // JSON allows repeated keys (the last wins, as in cloudflared); YAML does not.
  const duplicate = json ? undefined : duplicateKey(first, text);
  if (duplicate !== undefined) return { format, documents: list.length, error: { message: duplicate.message, line: duplicate.line, column: duplicate.column } };
  try {
    const root = new Builder(first, text, lines, json).build(first.contents, 0);
    return root ? { format, documents: list.length, root } : { format, documents: list.length };
  } catch (err) {
    return { format, documents: list.length, error: { message: err instanceof Error ? err.message : String(err), line: 1, column: 1 } };
  }
}
