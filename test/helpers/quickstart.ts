// The "### Quick starts" recipes of README.md, read the way a shell runs them, so tests follow each one as written.
// Only the shell these recipes use is understood (words, quotes, `\` continuations, comments, `&&`, `;`, a trailing
// `&`, `$NAME`); anything else (pipes, redirections, command substitution) throws, so an edit is never misread into
// a pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const README = join(ROOT, 'README.md');

export interface Command {
  /** Quotes removed; `$NAME` left for expand(). */
  readonly argv: readonly string[];
  /** The `NAME=value` words before the command word. */
  readonly env: Readonly<Record<string, string>>;
  /** Started with a trailing `&`. */
  readonly background: boolean;
  /** The comment on the line where the command ends; '' without one. */
  readonly comment: string;
}

export interface Recipe {
  /** The paragraph above the block (one line, as the README writes them). */
  readonly intro: string;
  /** The block's lines as written. */
  readonly lines: readonly string[];
  readonly commands: readonly Command[];
}

interface Pending {
  argv: string[];
  env: Record<string, string>;
  background: boolean;
  comment: string;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** Splits shell text into commands; throws on syntax this reader does not know. */
export function parseShell(text: string): Command[] {
  const done: Pending[] = [];
  let onLine: Pending[] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (background: boolean): void => {
    endWord();
    if (words.length === 0) {
      if (background) throw new Error('`&` without a command');
      return;
    }
    const env: Record<string, string> = {};
    let i = 0;
    for (; i < words.length; i++) {
      const m = ASSIGNMENT.exec(words[i] ?? '');
      if (m?.[1] === undefined) break;
      env[m[1]] = m[2] ?? '';
    }
    if (i === words.length) throw new Error(`an assignment without a command: ${words.join(' ')}`);
    const command = { argv: words.slice(i), env, background, comment: '' };
    done.push(command);
    onLine.push(command);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; text[i] !== '"'; i++) {
        if (i >= text.length) throw new Error('unterminated double quote');
        if (text[i] === '`' || (text[i] === '$' && text[i + 1] === '(')) throw new Error('command substitution is not understood');
        if (text[i] === '\\' && '"\\$`'.includes(text[i + 1] ?? '')) i++;
        word += text[i] ?? '';
      }
    } else if (c === '\\') {
      if (next !== '\n') word = (word ?? '') + next;
      i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '\n') {
      endCommand(false);
      onLine = [];
    } else if (c === '#' && word === undefined) {
      const end = text.indexOf('\n', i);
      const comment = text.slice(i + 1, end < 0 ? undefined : end).trim();
      endCommand(false);
      for (const command of onLine) command.comment = comment;
      i = (end < 0 ? text.length : end) - 1;
    } else if (c === '&' && next === '&') {
      endCommand(false);
      i++;
    } else if (c === '&' || c === ';') {
      endCommand(c === '&');
    } else if ('|<>`()'.includes(c) || (c === '$' && next === '(')) {
      throw new Error(`${JSON.stringify(c)} is not understood by test/helpers/quickstart.ts`);
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand(false);
  return done;
}

/** `$NAME` and `${NAME}` replaced from `vars`, as the shell would; a name not in `vars` throws. */
export function expand(word: string, vars: Readonly<Record<string, string>>): string {
  return word.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = vars[name];
    if (value === undefined) throw new Error(`$${name} has no value in this test`);
    return value;
  });
}

/** The lines of README.md's "### Quick starts" section, up to the next heading of level 3 or above. */
export function quickStartSection(readme: string = readFileSync(README, 'utf8')): string {
  const lines = readme.split('\n');
  const start = lines.indexOf('### Quick starts');
  if (start < 0) throw new Error('README.md has no "### Quick starts" section');
  const end = lines.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Every ```sh block of the section, with the paragraph above it. */
export function quickStarts(readme?: string): Recipe[] {
  const section = quickStartSection(readme);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => {
    const body = m[1] ?? '';
    const intro = section.slice(0, m.index).trimEnd().split(/\n\s*\n/).at(-1) ?? '';
    return { intro, lines: body.trimEnd().split('\n'), commands: parseShell(body) };
  });
}

/** The one recipe that runs `program`; throws unless exactly one does. */
export function recipeRunning(recipes: readonly Recipe[], program: string): Recipe {
  const found = recipes.filter((r) => r.commands.some((c) => c.argv[0] === program));
  if (found.length !== 1) throw new Error(`expected one quick start running ${program}, found ${String(found.length)}`);
  return found[0] as Recipe;
}

/** The one command of `recipe` that `match` accepts; throws naming `what` unless exactly one does. */
export function commandOf(recipe: Recipe, what: string, match: (argv: readonly string[]) => boolean): Command {
  const found = recipe.commands.filter((c) => match(c.argv));
  if (found.length !== 1) throw new Error(`expected one \`${what}\` in the quick start, found ${String(found.length)}:\n${recipe.lines.join('\n')}`);
  return found[0] as Command;
}

export interface Options {
  /** Every value of each option, by the name as written (`-v`, `--volume`). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly operands: readonly string[];
}

/** Splits options from operands: `--name=value`, `--name value`, `-n value`; the names in `flags` take no value. */
export function options(argv: readonly string[], flags: readonly string[] = []): Options {
  const values = new Map<string, string[]>();
  const operands: string[] = [];
  const add = (name: string, value: string): void => { values.set(name, [...(values.get(name) ?? []), value]); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    if (!a.startsWith('-') || a === '-') operands.push(a);
    else if (a.startsWith('--') && eq > 0) add(a.slice(0, eq), a.slice(eq + 1));
    else if (flags.includes(a)) add(a, '');
    else {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      add(a, argv[++i] ?? '');
    }
  }
  return { values, operands };
}

/** The last value of the first of `names` given. */
export function option(parsed: Options, ...names: string[]): string | undefined {
  for (const name of names) {
    const v = parsed.values.get(name);
    if (v !== undefined) return v.at(-1);
  }
  return undefined;
}

/** What `kill [-s SIG | -SIG] %N` sends (SIGTERM by default) and to which job. */
export function killOf(command: Command): { signal: NodeJS.Signals; job: string } {
  const [, ...args] = command.argv;
  const named = args[0] === '-s' ? args[1] : args[0]?.startsWith('-') === true ? args[0].slice(1) : undefined;
  const job = args.at(-1) ?? '';
  const signal = (named === undefined ? 'SIGTERM' : `SIG${named.replace(/^SIG/, '')}`) as NodeJS.Signals;
  return { signal, job };
}
