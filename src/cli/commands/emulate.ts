import { runApiEmulator } from '../../emulator/api/main.js';
import { runEmulatedCloudflared } from '../../emulator/cloudflared/main.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';
import { COMMAND_USAGE } from '../usage.js';

export async function emulateCommand(args: readonly string[], io: Io): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'cloudflared') return runEmulatedCloudflared(rest, io.env);
  if (what === 'api') return runApiEmulator(rest, io.env);
  await write(what === '--help' || what === '-h' ? io.stdout : io.stderr, COMMAND_USAGE.emulate);
  return what === '--help' || what === '-h' ? EXIT.ok : EXIT.usage;
}
