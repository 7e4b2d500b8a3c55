import { maskUrlPasswords } from './mask.js';
import { LineCounter, parseDocument } from 'yaml';
import { duplicateKey, nestingTooDeep } from '../cloudflared/config/index.js';
import type { Diagnostic } from '../base/index.js';
import { closest } from './closest.js';
import { ENV_PREFIX, LEAF_BY_DOTTED, LEAF_BY_ENV, LEAVES, type Leaf } from './leaves.js';
import { settingsError } from './codes.js';

/** Where a value came from, for error messages. */
export type Locator = (path: readonly (string | number)[]) => string | undefined;

/** One layer of raw (not yet validated) settings and how to say where each value came from. */
export interface Layer {
  readonly values: Record<string, unknown>;
  readonly locate: Locator;
}

/** The environment variable that names the settings file; not itself a setting. */
export const SETTINGS_FILE_ENV = `${ENV_PREFIX}SETTINGS`;

/** Parses the YAML settings file. Syntax errors become diagnostics naming line and column. */
export function fileLayer(text: string, fileName: string): { layer: Layer; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  const at = (offset: number, message: string): Diagnostic => {
    const pos = lines.linePos(offset);
    return settingsError('TW_ERR_SETTINGS_SYNTAX', '', `${fileName}:${String(pos.line)}:${String(pos.col)}: ${message}`);
  };
  const deep = nestingTooDeep(text);
  if (deep !== undefined) {
    const message = `${fileName}:${String(deep.line)}:${String(deep.column)}: ${deep.message}; a settings file needs a few`;
    return { layer: { values: {}, locate: () => undefined }, diagnostics: [settingsError('TW_ERR_SETTINGS_SYNTAX', '', message)] };
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const diagnostics = doc.errors.map((e) => at(e.pos[0], e.message.split('\n')[0] ?? e.message));
  const duplicate = diagnostics.length === 0 ? duplicateKey(doc, text) : undefined;
  if (duplicate !== undefined) diagnostics.push(at(duplicate.offset, duplicate.message));
  const js: unknown = diagnostics.length > 0 ? {} : doc.toJS();
  const values = js === null || js === undefined ? {} : js;
  if (typeof values !== 'object' || Array.isArray(values)) {
    diagnostics.push(settingsError('TW_ERR_SETTINGS_SYNTAX', '', `${fileName}: the settings file must be a YAML mapping of sections (cloudflared:, server:, ...)`));
    return { layer: { values: {}, locate: () => undefined }, diagnostics };
  }
  const locate: Locator = (path) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? fileName : `${fileName}:${String(lines.linePos(offset).line)}`;
  };
  return { layer: { values: values as Record<string, unknown>, locate }, diagnostics };
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/** Turns the text of an env var or `--set` value into the type the leaf expects; undefined text means "not coercible". */
function coerce(leaf: Leaf, raw: string): { value: unknown } | { problem: string } {
  const trimmed = raw.trim();
  switch (leaf.kind) {
    case 'integer':
    case 'number': {
      const n = Number(trimmed);
      return trimmed === '' || Number.isNaN(n) ? { problem: 'expected a number' } : { value: n };
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return { value: true };
      if (['false', '0', 'no', 'off'].includes(lower)) return { value: false };
      return { problem: 'expected true or false' };
    }
    case 'list':
      if (trimmed.startsWith('[')) return parseJson(trimmed);
      return { value: trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim()) };
    case 'json':
      return parseJson(trimmed);
    case 'secret':
      return { value: raw };
    default:
      return { value: trimmed };
  }
}

function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { problem: 'expected JSON (a list or an object)' };
  }
}

function shown(leaf: Leaf, raw: string): string {
  return leaf.kind === 'secret' ? '<secret>' : maskUrlPasswords(JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw));
}

/** Reads every `TUNNELWATCH_*` variable; unknown names are errors with the nearest valid name. */
export function envLayer(env: NodeJS.ProcessEnv): { layer: Layer; diagnostics: Diagnostic[] } {
  const values: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === SETTINGS_FILE_ENV || raw === undefined) continue;
    const leaf = LEAF_BY_ENV.get(name);
    if (!leaf) {
      const hint = closest(name, [...LEAF_BY_ENV.keys()]);
      diagnostics.push(
        settingsError('TW_ERR_SETTINGS_UNKNOWN_ENV', '', `unknown environment variable ${name}`, hint && `Did you mean ${hint}? Otherwise unset it.`),
      );
      continue;
    }
    const result = coerce(leaf, raw);
    if ('problem' in result) {
      diagnostics.push(settingsError('TW_ERR_SETTINGS_INVALID', leaf.dotted, `${leaf.dotted}: got ${shown(leaf, raw)}, ${result.problem} (from ${name})`));
      continue;
    }
    setIn(values, leaf.path, result.value);
    origin.set(leaf.dotted, name);
  }
  return { layer: { values, locate: (path) => locateByPrefix(origin, path) }, diagnostics };
}

/** A `path=value` assignment another flag stands for (`--listen` sets server.listen): messages name that flag. */
export interface FlagAssignment {
  readonly set: string;
  readonly flag: string;
}

/** Reads `--set path=value` assignments, and those of flags that stand for one setting. */
export function flagLayer(assignments: readonly (string | FlagAssignment)[]): { layer: Layer; diagnostics: Diagnostic[] } {
  const values: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const item of assignments) {
    const assignment = typeof item === 'string' ? item : item.set;
    const eq = assignment.indexOf('=');
    const key = eq < 0 ? assignment : assignment.slice(0, eq);
    const leaf = LEAF_BY_DOTTED.get(key);
    if (eq < 0 || !leaf) {
      const hint = closest(key, LEAVES.map((l) => l.dotted));
      diagnostics.push(
        settingsError(
          'TW_ERR_SETTINGS_UNKNOWN_FLAG',
          '',
          eq < 0 ? `--set ${assignment}: expected path=value` : `--set ${key}: no such setting`,
          hint && `Write --set ${hint}=VALUE.`,
        ),
      );
      continue;
    }
    const raw = assignment.slice(eq + 1);
    const from = typeof item === 'string' ? `--set ${leaf.dotted}` : item.flag;
    const result = coerce(leaf, raw);
    if ('problem' in result) {
      diagnostics.push(settingsError('TW_ERR_SETTINGS_INVALID', leaf.dotted, `${leaf.dotted}: got ${shown(leaf, raw)}, ${result.problem} (from ${from})`));
      continue;
    }
    setIn(values, leaf.path, result.value);
    origin.set(leaf.dotted, from);
  }
  return { layer: { values, locate: (path) => locateByPrefix(origin, path) }, diagnostics };
}

function locateByPrefix(origin: ReadonlyMap<string, string>, path: readonly (string | number)[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const hit = origin.get(path.slice(0, n).join('.'));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Deep-merges layers (later wins); objects merge key by key, everything else is replaced. */
export function mergeLayers(layers: readonly Layer[]): { values: Record<string, unknown>; locate: Locator } {
  const values: Record<string, unknown> = {};
  const merge = (into: Record<string, unknown>, from: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(from)) {
      const existing = into[key];
      if (isPlainObject(value) && isPlainObject(existing)) merge(existing, value);
      else into[key] = isPlainObject(value) ? structuredClone(value) : value;
    }
  };
  for (const layer of layers) merge(values, layer.values);
  const locate: Locator = (path) => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      if (layer && hasPath(layer.values, path)) return layer.locate(path);
    }
    return undefined;
  };
  return { values, locate };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasPath(values: unknown, path: readonly (string | number)[]): boolean {
  let node: unknown = values;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return false;
    if (!(String(key) in node)) return false;
    node = (node as Record<string, unknown>)[String(key)];
  }
  return true;
}
