// Flag values as cloudflared's urfave/cli fork resolves them: the command line (nearest level that set the
// flag wins), then env vars, then the config file (altsrc: only non-empty strings, true bools, positive
// numbers), then the default. Also the two views cloudflared logs or serves: `Settings: map[…]` (flags set on
// the command line or from the file, read through Context.Generic) and `/diag/configuration`.
import path from 'node:path';
import type { FlagValue } from '../../cloudflared/config/index.js';
import { formatGoDuration, parseGoDuration } from '../../go/index.js';
import { Secret } from '../../base/index.js';
import type { CommandLine } from './args.js';
import { findFlag, type FlagDef, NON_SECRET_FLAGS, RUN_FLAGS, SECRET_FLAG_NAMES, TUNNEL_FLAGS } from './flags.js';
import { envValue, goParseBool, goParseInt } from './goflag.js';

/** Flag keys read from a config file (CloudflaredConfig.flags). */
export type FileFlags = ReadonlyMap<string, FlagValue>;

function fileText(def: FlagDef, value: FlagValue): string | undefined {
  if (value instanceof Secret) return value.isEmpty ? undefined : value.reveal();
  switch (def.kind) {
    case 'bool':
      return value === true ? 'true' : undefined;
    case 'int':
    case 'uint64':
      return typeof value === 'number' && value > 0 ? String(value) : undefined;
    case 'duration':
      return typeof value === 'number' && value > 0 ? formatGoDuration(value) : undefined;
    case 'stringSlice':
      return undefined;
    default:
      return typeof value === 'string' && value !== '' ? value : undefined;
  }
}

/** A value the way its Go flag.Value prints it (`1m` → `1m0s`, `t` → `true`, `0x10` → `16`). */
function normalise(def: FlagDef, raw: string): string {
  if (def.kind === 'duration') return formatGoDuration(parseGoDuration(raw) ?? 0);
  if (def.kind === 'bool') return String(goParseBool(raw) === true);
  if (def.kind === 'int' || def.kind === 'uint64') return String(goParseInt(raw) ?? 0);
  return raw;
}

export class Settings {
  readonly #cl: CommandLine;
  readonly #env: NodeJS.ProcessEnv;
  readonly #file: FileFlags;

  constructor(commandLine: CommandLine, env: NodeJS.ProcessEnv, file: FileFlags = new Map()) {
    this.#cl = commandLine;
    this.#env = env;
    this.#file = file;
  }

  #def(name: string): FlagDef | undefined {
    return findFlag(RUN_FLAGS, name) ?? findFlag(TUNNEL_FLAGS, name);
  }

  /** The last command-line value at the nearest level that set the flag. */
  #cli(def: FlagDef): readonly string[] | undefined {
    const levels = RUN_FLAGS.includes(def) ? [this.#cl.run, this.#cl.tunnel, this.#cl.app] : [this.#cl.tunnel, this.#cl.app];
    for (const level of levels) {
      const values = level.get(def.name);
      if (values !== undefined) return values;
    }
    return undefined;
  }

  #env1(def: FlagDef): string | undefined {
    return envValue(def, this.#env);
  }

  /** The config-file value altsrc applies (never over the command line or an env var). */
  #fromFile(def: FlagDef): string | undefined {
    if (!def.fromFile || this.#cli(def) !== undefined || this.#env1(def) !== undefined) return undefined;
    const value = this.#file.get(def.name);
    return value === undefined ? undefined : fileText(def, value);
  }

  /** The effective value as text ('' when nothing and no default). */
  string(name: string): string {
    const def = this.#def(name);
    if (!def) return '';
    const cli = this.#cli(def);
    if (cli !== undefined) return cli[cli.length - 1] ?? '';
    return this.#env1(def) ?? this.#fromFile(def) ?? def.def ?? '';
  }

  bool(name: string): boolean {
    return goParseBool(this.string(name)) === true;
  }

  int(name: string): number {
    return goParseInt(this.string(name)) ?? 0;
  }

  /** Duration flags in milliseconds. */
  durationMs(name: string): number {
    return parseGoDuration(this.string(name)) ?? 0;
  }

  list(name: string): string[] {
    const def = this.#def(name);
    if (!def) return [];
    const cli = this.#cli(def);
    if (cli !== undefined) return [...cli];
    const env = this.#env1(def);
    if (env !== undefined) return env.split(',').map((v) => v.trim());
    const file = def.fromFile ? this.#file.get(def.name) : undefined;
    return Array.isArray(file) ? [...(file as readonly string[])] : [];
  }

  /** urfave's Context.IsSet: on the command line, from the config file, or from an env var. */
  isSet(name: string): boolean {
    const def = this.#def(name);
    return def !== undefined && (this.#cli(def) !== undefined || this.#env1(def) !== undefined || this.#fromFile(def) !== undefined);
  }

  /** Context.FlagNames: every name (aliases included) of flags set on the command line or from the file. */
  setNames(): string[] {
    const names = new Set<string>();
    for (const def of [...RUN_FLAGS, ...TUNNEL_FLAGS]) {
      if (this.#cli(def) !== undefined || (def.kind !== 'stringSlice' && this.#fromFile(def) !== undefined)) {
        names.add(def.name);
        for (const alias of def.aliases) names.add(alias);
      }
    }
    return [...names].sort();
  }

  /** Context.Generic (resolveFlagDeep in cloudflared's urfave fork) as the Settings line prints it. */
  #generic(def: FlagDef): string {
    if (def.kind === 'stringSlice') return `[${this.list(def.name).join(' ')}]`;
    return normalise(def, this.string(def.name));
  }

  /** `map[k:v …]` of the `Settings:` line, secrets masked; undefined when no flag was set. */
  settingsLine(): string | undefined {
    const names = this.setNames();
    if (names.length === 0) return undefined;
    const parts = names.map((name) => {
      const def = this.#def(name);
      const value = SECRET_FLAG_NAMES.has(name) ? '*****' : def ? this.#generic(def) : '';
      return `${name}:${value}`;
    });
    return `map[${parts.join(' ')}]`;
  }

  /** `/diag/configuration` flags (before `uid` is added): allow-listed, set, non-empty; log paths absolute. */
  diagnosticFlags(cwd: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.setNames()) {
      const def = this.#def(name);
      const raw = this.string(name);
      if (raw === '' || !def || !NON_SECRET_FLAGS.has(name)) continue;
      const value = def.kind === 'stringSlice' ? `[${this.list(name).join(' ')}]` : normalise(def, raw);
      out[name] = name === 'logfile' || name === 'log-directory' ? path.resolve(cwd, value) : value;
    }
    return out;
  }
}

/** `map[K:V …]` of the `Environmental variables` line: entries containing TUNNEL_ with exactly one `=`. */
export function environmentLine(env: NodeJS.ProcessEnv): string | undefined {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const parts = `${key}=${value}`.split('=');
    if (!`${key}=${value}`.includes('TUNNEL_') || parts.length !== 2) continue;
    entries.push([key, key === 'TUNNEL_TOKEN' || key === 'TUNNEL_CRED_CONTENTS' ? '*****' : value]);
  }
  if (entries.length === 0) return undefined;
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${entries.map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}
