// Decodes a raw tree against a Go struct schema the way cloudflared's decoders do: gopkg.in/yaml.v3
// for config files, encoding/json (CustomDuration = integer seconds) for remote configs. Values that
// Go would reject are left out of the result and reported as issues worded as Go words them.
import { goQuote, parseGoDuration } from '../../go/index.js';
import type { RawEntry, RawNode, RawScalar } from './raw.js';
import type { FieldSchema, StructSchema, ValueKind } from './schema.js';

/** `yaml`: config files; `json`: remote config (integer seconds); `endpoint`: `/config` body (float seconds). */
export type DecodeMode = 'yaml' | 'json' | 'endpoint';

/**
 * A problem found while decoding: a wrong type, a bad duration, a key Go does not know, or (for
 * top-level flag keys) a value altsrc or the flag's own check rejects.
 */
export interface DecodeIssue {
  readonly kind: 'type' | 'duration' | 'unknown-key' | 'flag-type' | 'flag-value';
  readonly path: string;
  readonly message: string;
}

/** A decoded value. */
export type DecodedValue = string | number | boolean | readonly string[] | readonly number[] | Decoded | readonly DecodedItem[];

/** A decoded struct: only the fields present and valid. */
export interface Decoded {
  readonly [key: string]: DecodedValue | undefined;
}

/** One element of a decoded list of structs, with its document path. */
export interface DecodedItem {
  readonly path: string;
  readonly fields: Decoded;
}

interface Ctx {
  readonly mode: DecodeMode;
  readonly issues: DecodeIssue[];
}

const GO_TYPES: Readonly<Record<ValueKind, string>> = {
  string: 'string', bool: 'bool', int: 'int', uint: 'uint', uint64: 'uint64', duration: 'time.Duration',
  stringList: '[]string', intList: '[]int',
};
const INT64_MAX = 2 ** 63;
const YAML_BOOLS: Readonly<Record<string, boolean>> = {
  y: true, Y: true, yes: true, Yes: true, YES: true, on: true, On: true, ON: true,
  n: false, N: false, no: false, No: false, NO: false, off: false, Off: false, OFF: false,
};

/** `a.b`, `a[2]`: the path notation of every diagnostic. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${String(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function yamlTypeError(node: RawNode, goType: string): string {
  const tag = node.kind === 'map' ? '!!map' : node.kind === 'seq' ? '!!seq' : `!!${node.tag}`;
  let value = '';
  if (node.kind === 'scalar') value = node.text.length > 10 ? ` \`${node.text.slice(0, 7)}...\`` : ` \`${node.text}\``;
  return `line ${String(node.line)}: cannot unmarshal ${tag}${value} into ${goType}`;
}

function jsonWhat(node: RawNode): string {
  if (node.kind === 'map') return 'object';
  if (node.kind === 'seq') return 'array';
  if (node.tag === 'str') return 'string';
  return node.tag === 'bool' ? 'bool' : 'number';
}

class Decoder {
  constructor(private readonly ctx: Ctx) {}

  private typeError(
    node: RawNode,
    goType: string,
    path: string,
    jsonField: string,
    struct: string,
    what = jsonWhat(node),
  ): DecodedValue | undefined {
    const message =
      this.ctx.mode === 'yaml'
        ? yamlTypeError(node, goType)
        : `json: cannot unmarshal ${what} into Go struct field ${struct}.${jsonField} of type ${goType}`;
    this.ctx.issues.push({ kind: goType === 'time.Duration' ? 'duration' : 'type', path, message });
    return undefined;
  }

  private integer(node: RawScalar, unsigned: boolean, goType: string, at: [string, string, string]): DecodedValue | undefined {
    const value = typeof node.value === 'number' ? node.value : NaN;
    if (this.ctx.mode === 'yaml') {
      const ok =
        (node.tag === 'int' && (unsigned ? value >= 0 : !node.uint64)) ||
        (node.tag === 'float' && Number.isFinite(value) && value < INT64_MAX && (!unsigned || value >= 0));
      return ok ? Math.trunc(value) : this.typeError(node, goType, ...at);
    }
    const ok = node.tag === 'int' && /^-?[0-9]+$/.test(node.source) && (!unsigned || value >= 0) && Math.abs(value) < INT64_MAX;
    if (ok) return value;
    return this.typeError(node, goType, ...at, node.tag === 'int' || node.tag === 'float' ? `number ${node.source}` : jsonWhat(node));
  }

  private duration(node: RawScalar, path: string, at: [string, string, string]): DecodedValue | undefined {
    if (this.ctx.mode === 'yaml') {
      const ms = node.tag === 'str' ? parseGoDuration(node.text) : undefined;
      return ms ?? this.typeError(node, 'time.Duration', ...at);
    }
    if (this.ctx.mode === 'endpoint' && typeof node.value === 'number') return node.value * 1000;
    const raw = node.source;
    if (!/^[+-]?[0-9]+$/.test(raw)) {
      this.ctx.issues.push({ kind: 'duration', path, message: `strconv.ParseInt: parsing ${goQuote(raw)}: invalid syntax` });
      return undefined;
    }
    if (Math.abs(Number(raw)) >= INT64_MAX) {
      this.ctx.issues.push({ kind: 'duration', path, message: `strconv.ParseInt: parsing ${goQuote(raw)}: value out of range` });
      return undefined;
    }
    return Number(raw) * 1000;
  }

  private scalar(node: RawScalar, kind: ValueKind, path: string, at: [string, string, string]): DecodedValue | undefined {
    const yaml = this.ctx.mode === 'yaml';
    switch (kind) {
      case 'string':
        if (yaml || node.tag === 'str') return node.text;
        return this.typeError(node, 'string', ...at);
      case 'bool':
        if (node.tag === 'bool') return node.value === true;
        if (yaml && node.tag === 'str' && node.text in YAML_BOOLS) return YAML_BOOLS[node.text];
        return this.typeError(node, 'bool', ...at);
      case 'int':
      case 'uint':
      case 'uint64':
        return this.integer(node, kind !== 'int', GO_TYPES[kind], at);
      case 'duration':
        return this.duration(node, path, at);
      default:
        return this.typeError(node, GO_TYPES[kind], ...at);
    }
  }

  private list(node: RawNode, elem: 'string' | 'int', path: string, at: [string, string, string]): DecodedValue | undefined {
    if (node.kind !== 'seq') return this.typeError(node, `[]${elem}`, ...at);
    const out: (string | number)[] = [];
    node.items.forEach((item, i) => {
      const itemAt: [string, string, string] = [childPath(path, i), at[1], at[2]];
      const v = item.kind === 'scalar' ? this.scalar(item, elem, itemAt[0], itemAt) : this.typeError(item, elem, ...itemAt);
      if (typeof v === 'string' || typeof v === 'number') out.push(v);
    });
    return out as string[] | number[];
  }

  field(node: RawNode, schema: FieldSchema, path: string, jsonField: string, struct: string): DecodedValue | undefined {
    if (schema === 'any' || (node.kind === 'scalar' && node.tag === 'null')) return undefined;
    const at: [string, string, string] = [path, jsonField, struct];
    if (typeof schema === 'object') {
      const target = 'struct' in schema ? schema.struct : schema.list;
      if ('struct' in schema) return node.kind === 'map' ? this.struct(node.entries, target, path, jsonField) : this.typeError(node, target.goType, ...at);
      if (node.kind !== 'seq') return this.typeError(node, `[]${target.goType}`, ...at);
      const items: DecodedItem[] = [];
      node.items.forEach((item, i) => {
        const itemPath = childPath(path, i);
        if (item.kind === 'map') items.push({ path: itemPath, fields: this.struct(item.entries, target, itemPath, jsonField) });
        else if (item.kind === 'scalar' && item.tag === 'null') items.push({ path: itemPath, fields: {} });
        else this.typeError(item, target.goType, itemPath, jsonField, struct);
      });
      return items;
    }
    if (schema === 'stringList' || schema === 'intList') return this.list(node, schema === 'stringList' ? 'string' : 'int', path, at);
    return node.kind === 'scalar' ? this.scalar(node, schema, path, at) : this.typeError(node, GO_TYPES[schema], ...at);
  }

  struct(entries: readonly RawEntry[], schema: StructSchema, path: string, jsonPrefix: string): Decoded {
    const out: Record<string, DecodedValue> = {};
    const structName = schema.goType.replace(/^.*\./, '');
    const names = Object.keys(schema.fields);
    for (const entry of entries) {
      // encoding/json matches field names case-insensitively; yaml.v3 does not.
      const name =
        names.find((n) => n === entry.key) ??
        (this.ctx.mode === 'yaml' ? undefined : names.find((n) => n.toLowerCase() === entry.key.toLowerCase()));
      const entryPath = childPath(path, entry.key);
      const fieldSchema = name === undefined ? undefined : schema.fields[name];
      if (name === undefined || fieldSchema === undefined) {
        if (this.ctx.mode !== 'yaml' && schema.legacyJsonKeys?.includes(entry.key) === true) continue;
        this.ctx.issues.push({
          kind: 'unknown-key',
          path: entryPath,
          message: `line ${String(entry.line)}: field ${entry.key} not found in type ${schema.goType}`,
        });
        continue;
      }
      const jsonField = jsonPrefix === '' ? name : `${jsonPrefix}.${name}`;
      const value = this.field(entry.value, fieldSchema, entryPath, jsonField, structName);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
}

/** Decodes a mapping's entries against `schema`; issues are appended to `issues`. */
export function decodeStruct(
  entries: readonly RawEntry[],
  schema: StructSchema,
  mode: DecodeMode,
  path: string,
  issues: DecodeIssue[],
): Decoded {
  return new Decoder({ mode, issues }).struct(entries, schema, path, '');
}
