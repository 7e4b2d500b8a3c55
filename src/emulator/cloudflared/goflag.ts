// Go's flag.FlagSet.Parse as urfave/cli v2 drives it for one command level: `-f`/`--f`, `-f=v`, `-f v`, bool
// flags never take the next argument, parsing stops at the first non-flag argument or after `--`, and the
// error texts are Go's (`flag provided but not defined: -metrics`).
import { goQuote, parseGoDuration } from '../../go/index.js';
import { findFlag, type FlagDef, type FlagKind } from './flags.js';

/** Values given on the command line, by canonical flag name, in order of appearance. */
export type FlagValues = Map<string, string[]>;

export type LevelParse =
  | { readonly ok: true; readonly values: FlagValues; readonly rest: readonly string[]; readonly help: boolean }
  | { readonly ok: false; readonly error: string };

const GO_BOOL: Readonly<Record<string, boolean>> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/** strconv.ParseBool. */
export function goParseBool(text: string): boolean | undefined {
  return GO_BOOL[text];
}

/** strconv.ParseInt(text, 0, 64): decimal, 0x, 0o, 0b and leading-0 octal, `_` separators after a prefix. */
export function goParseInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9]*|0)$/.exec(text);
  if (!m) return undefined;
  const body = (m[2] ?? '').replace(/_/g, '');
  let value: bigint;
  try {
    value = /^0[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : BigInt(body.replace(/^0[oO]/, '0o'));
  } catch {
    return undefined;
  }
  if (m[1] === '-') value = -value;
  if (value > 9223372036854775807n || value < -9223372036854775808n) return undefined;
  return Number(value);
}

/** Why Go's flag.Value.Set rejects `value` for a flag of `kind`, or undefined when it accepts it. */
function setError(kind: FlagKind, value: string): string | undefined {
  switch (kind) {
    case 'bool':
      return goParseBool(value) === undefined ? 'parse error' : undefined;
    case 'int':
      return goParseInt(value) === undefined ? 'parse error' : undefined;
    case 'uint64':
      return /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(value) ? undefined : 'parse error';
    case 'duration':
      return parseGoDuration(value) === undefined ? 'parse error' : undefined;
    default:
      return undefined;
  }
}

function add(values: FlagValues, def: FlagDef, value: string): void {
  const list = values.get(def.name) ?? [];
  if (def.kind === 'stringSlice') list.push(value);
  else list.splice(0, list.length, value);
  values.set(def.name, list);
}

/** Parses the flags of one command level from `args`. */
export function parseLevel(args: readonly string[], defs: readonly FlagDef[], helpDef: FlagDef | undefined): LevelParse {
  const values: FlagValues = new Map();
  let help = false;
  let i = 0;
  while (i < args.length) {
    const arg = args[i] ?? '';
    if (arg.length < 2 || !arg.startsWith('-')) break;
    let minuses = 1;
    if (arg[1] === '-') {
      minuses = 2;
      if (arg.length === 2) {
        i++;
        break;
      }
    }
    const body = arg.slice(minuses);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) return { ok: false, error: `bad flag syntax: ${arg}` };
    i++;
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const def = findFlag(defs, name) ?? (helpDef && (helpDef.name === name || helpDef.aliases.includes(name)) ? helpDef : undefined);
    if (!def) {
      if (name === 'help' || name === 'h') return { ok: false, error: 'flag: help requested' };
      return { ok: false, error: `flag provided but not defined: -${name}` };
    }
    if (def.kind === 'bool') {
      const value = inline ?? 'true';
      if (setError('bool', value) !== undefined) return { ok: false, error: `invalid boolean value ${goQuote(value)} for -${name}: parse error` };
      if (def === helpDef) help = goParseBool(value) === true;
      else add(values, def, value);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i >= args.length) return { ok: false, error: `flag needs an argument: -${name}` };
      value = args[i] ?? '';
      i++;
    }
    const problem = setError(def.kind, value);
    if (problem !== undefined) return { ok: false, error: `invalid value ${goQuote(value)} for flag -${name}: ${problem}` };
    add(values, def, value);
  }
  return { ok: true, values, rest: args.slice(i), help };
}

/** The value urfave/cli takes from the first env var of the flag that is present (even when empty). */
export function envValue(def: FlagDef, env: NodeJS.ProcessEnv): string | undefined {
  for (const name of def.env) {
    const value = env[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** urfave/cli's error when an env var cannot be read as the flag's type (reported as a usage error). */
export function envError(def: FlagDef, value: string): string | undefined {
  const q = goQuote(value);
  switch (def.kind) {
    case 'bool':
      return goParseBool(value) === undefined
        ? `could not parse ${q} as bool value for flag ${def.name}: strconv.ParseBool: parsing ${q}: invalid syntax`
        : undefined;
    case 'int':
    case 'uint64':
      return goParseInt(value) === undefined
        ? `could not parse ${q} as int value for flag ${def.name}: strconv.ParseInt: parsing ${q}: invalid syntax`
        : undefined;
    case 'duration':
      return parseGoDuration(value) === undefined
        ? `could not parse ${q} as duration value for flag ${def.name}: time: invalid duration ${q}`
        : undefined;
    default:
      return undefined;
  }
}
