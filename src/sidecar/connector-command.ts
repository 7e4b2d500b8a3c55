// The connector tunnelwatch runs: the real cloudflared (a path or a name on PATH), or with
// `cloudflared.binary: emulator` the built-in emulator, spawned and supervised exactly the same way.
import { join } from 'node:path';
import type { Settings } from '../config/index.js';
import { packageRoot } from '../base/index.js';
import { buildCommand, type Command } from '../supervisor/index.js';

export const EMULATOR_BINARY = 'emulator';

/** `emulatorEnv` (CFEMU_* variables: API address, time scale) reaches only the emulator, never a real cloudflared. */
export function connectorCommand(settings: Settings, parentEnv: Readonly<Record<string, string | undefined>>, emulatorEnv: Readonly<Record<string, string>> = {}): Command {
  const command = buildCommand(settings, parentEnv);
  if (settings.cloudflared.binary !== EMULATOR_BINARY) return command;
  return {
    file: process.execPath,
    args: [join(packageRoot(), 'bin', 'cloudflared-emulator'), ...command.args],
    env: { ...command.env, ...emulatorEnv },
  };
}
