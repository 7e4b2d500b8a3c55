import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseGoDuration } from '../go/index.js';
import { EXIT, type Io } from './io.js';
import { write } from '../base/index.js';
import { suggest } from './suggest.js';
import { COMMAND_USAGE, type CommandName } from './usage.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; args: string[] }>>;
type Token = NonNullable<ReturnType<typeof parseArgs<{ options: Options; strict: false; tokens: true }>>['tokens']>[number];

/** How many arguments besides flags a command takes, and what to tell someone who gave more. */
export interface Positionals {
  readonly max: number;
  readonly hint?: string;
}

/** One line saying what is wrong, where to read more, then the command's usage; exit code 2. */
export async function usageError(command: CommandName, problem: string, io: Io): Promise<number> {
  await write(io.stderr, `tunnelwatch ${command}: ${problem}\nsee: tunnelwatch help ${command}\n\n${COMMAND_USAGE[command]}`);
  return EXIT.usage;
}

/** What a flag's value looks like, as the usage writes it (`--listen HOST:PORT`). */
function valueName(command: CommandName, flag: string): string {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`--${escaped}[ =]([^\\s\\]]+)`).exec(COMMAND_USAGE[command])?.[1] ?? 'a value';
}

/** The first thing wrong with the command line, in tunnelwatch's words; undefined when nothing is. */
function problemOf(command: CommandName, tokens: readonly Token[], options: Options, positionals: Positionals): string | undefined {
  let extra = 0;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      extra++;
      if (extra > positionals.max) return `unexpected argument ${JSON.stringify(token.value)}${positionals.hint === undefined ? '' : `; ${positionals.hint}`}`;
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) {
      const hint = token.rawName.startsWith('--') ? suggest(token.name, Object.keys(options)) : undefined;
      return `unknown flag ${token.rawName}${hint === undefined ? '' : `; did you mean --${hint}?`}`;
    }
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value, got ${JSON.stringify(`${token.rawName}=${token.value}`)}`;
    // Without strict parsing the next argument is taken as the value even when it is a flag: `--listen --for 30s`.
    const missing = token.value === undefined || (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-'));
    if (option.type === 'string' && missing) return `${token.rawName} needs a value (${valueName(command, token.name)})`;
  }
  return undefined;
}

/**
 * parseArgs with tunnelwatch's own usage errors: an unknown flag (with the nearest valid one), a flag without its
 * value, a switch given one, or an argument too many is one line naming the command, then its usage; exit code 2.
 * `--help` prints the usage to stdout; exit code 0.
 */
export async function parseCommandArgs<T extends Options>(
  command: CommandName,
  args: readonly string[],
  options: T,
  io: Io,
  positionals: Positionals = { max: 0 },
): Promise<{ values: Parsed<T>['values']; positionals: string[] } | number> {
  // Not strict: Node's own errors are replaced by the checks of problemOf, made on the tokens.
  const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  if (parsed.tokens.some((t) => t.kind === 'option' && t.name === 'help' && t.value === undefined && options.help !== undefined)) {
    await write(io.stdout, COMMAND_USAGE[command]);
    return EXIT.ok;
  }
  const problem = problemOf(command, parsed.tokens, options, positionals);
  if (problem !== undefined) return usageError(command, problem, io);
  // Every flag is known and has a value of its type, so the values are what strict parsing would give.
  return { values: parsed.values, positionals: parsed.positionals };
}

/** `--for DURATION` and `--time-scale N`, shared by `run` and `demo`; a bad value is a usage error (exit 2). */
export async function parseTiming(
  values: { readonly for?: string | undefined; readonly 'time-scale'?: string | undefined },
  command: string,
  io: Io,
): Promise<{ forMs: number | undefined; timeScale: number | undefined } | number> {
  const forMs = values.for === undefined ? undefined : parseGoDuration(values.for);
  if (values.for !== undefined && (forMs === undefined || forMs < 0)) {
    await write(io.stderr, `tunnelwatch ${command}: --for expects a duration such as 30s, got ${JSON.stringify(values.for)}\n`);
    return EXIT.usage;
  }
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) {
    await write(io.stderr, `tunnelwatch ${command}: --time-scale expects a positive number, got ${JSON.stringify(values['time-scale'])}\n`);
    return EXIT.usage;
  }
  return { forMs, timeScale };
}
