import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseGoDuration } from '../go/index.js';
import { EXIT, type Io } from './io.js';
import { write } from '../base/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with tunnelwatch's usage-error handling: a bad flag prints the command's usage and gives exit code 2. */
export async function parseCommandArgs<T extends Options>(
  args: readonly string[],
  options: T,
  usage: string,
  io: Io,
): Promise<{ values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; args: string[] }>>['values']; positionals: string[] } | number> {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    if ((parsed.values as { help?: boolean }).help === true) {
      await write(io.stdout, usage);
      return EXIT.ok;
    }
    return parsed;
  } catch (error) {
    await write(io.stderr, `tunnelwatch: ${(error as Error).message}\n\n${usage}`);
    return EXIT.usage;
  }
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
