import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, write, type Io } from './io.js';

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
