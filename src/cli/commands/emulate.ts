import { runApiEmulator } from '../../emulator/api/main.js';
import { runEmulatedCloudflared } from '../../emulator/cloudflared/main.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';

const USAGE = `Usage: tunnelwatch emulate cloudflared [cloudflared arguments...]
       tunnelwatch emulate api [--listen HOST:PORT] [--state FILE]

cloudflared   runs the cloudflared emulator with cloudflared's own command line, e.g.
              tunnelwatch emulate cloudflared tunnel --no-autoupdate --metrics 127.0.0.1:20241 run
              (token from TUNNEL_TOKEN; emulator knobs are CFEMU_* variables, see docs/emulator.md)
api           serves the Cloudflare v4 tunnel API emulator until SIGTERM and prints its URL as JSON
`;

export async function emulateCommand(args: readonly string[], io: Io): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'cloudflared') return runEmulatedCloudflared(rest, io.env);
  if (what === 'api') return runApiEmulator(rest, io.env);
  await write(what === '--help' || what === '-h' ? io.stdout : io.stderr, USAGE);
  return what === '--help' || what === '-h' ? EXIT.ok : EXIT.usage;
}
