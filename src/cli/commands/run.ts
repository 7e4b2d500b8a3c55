import type { FlagAssignment, Settings } from '../../config/index.js';
import { type EmulatedWorld, EMULATOR_BINARY, Sidecar, startEmulatedWorld } from '../../sidecar/index.js';
import { parseCommandArgs, parseTiming } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { preflight } from '../preflight.js';
import { loadSettingsFor } from '../settings-input.js';

interface RunArgs {
  readonly sets: (string | FlagAssignment)[];
  readonly forMs: number | undefined;
  readonly timeScale: number | undefined;
}

async function runArgs(args: readonly string[], io: Io): Promise<{ settingsFile: string | undefined; run: RunArgs } | number> {
  const parsed = await parseCommandArgs(
    'run',
    args,
    {
      cloudflared: { type: 'string' },
      attach: { type: 'string' },
      metrics: { type: 'string' },
      listen: { type: 'string' },
      settings: { type: 'string' },
      set: { type: 'string', multiple: true },
      for: { type: 'string' },
      'time-scale': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const timing = await parseTiming(v, 'run', io);
  if (typeof timing === 'number') return timing;
  const { forMs, timeScale } = timing;
  const sets: (string | FlagAssignment)[] = [...(v.set ?? [])];
  if (v.cloudflared !== undefined) sets.push({ set: `cloudflared.binary=${v.cloudflared}`, flag: '--cloudflared' });
  if (v.listen !== undefined) sets.push({ set: `server.listen=${v.listen}`, flag: '--listen' });
  if (v.attach !== undefined) sets.push({ set: `cloudflared.attach.logFile=${v.attach}`, flag: '--attach' });
  if (v.metrics !== undefined) sets.push({ set: `cloudflared.metrics=${v.metrics}`, flag: '--metrics' });
  return { settingsFile: v.settings, run: { sets, forMs, timeScale } };
}

/** Resolves on the first SIGTERM/SIGINT or when `forMs` passed; later signals are reported, not forwarded. */
function stopRequest(forMs: number | undefined, io: Io): Promise<string> {
  return new Promise((resolve) => {
    let first = true;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first) {
        first = false;
        clearTimeout(timer);
        resolve(signal);
      } else {
        void write(io.stderr, `tunnelwatch: ${signal} again; already stopping (cloudflared is draining)\n`);
      }
    };
    const timer = forMs === undefined ? undefined : setTimeout(() => { first = false; resolve(`--for ${String(forMs / 1000)}s elapsed`); }, forMs);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export async function runCommand(args: readonly string[], io: Io): Promise<number> {
  const parsedArgs = await runArgs(args, io);
  if (typeof parsedArgs === 'number') return parsedArgs;
  const { run } = parsedArgs;
  const result = loadSettingsFor(io, parsedArgs.settingsFile, run.sets);
  if (!result.ok) {
    await write(io.stderr, renderDiagnostics('settings', result.diagnostics));
    return EXIT.failed;
  }
  let settings: Settings = result.settings;
  // Before anything starts: a connector that cannot start would only crash-loop until the breaker opens.
  const problems = await preflight(settings, io);
  if (problems.length > 0) {
    await write(io.stderr, problems.map((p) => `tunnelwatch run: ${p}\n`).join(''));
    return EXIT.failed;
  }
  let world: EmulatedWorld | undefined;
  const c = settings.cloudflared;
  if (c.binary === EMULATOR_BINARY && c.token === undefined && c.tokenFile === undefined) {
    try {
      world = await startEmulatedWorld(settings, run.timeScale === undefined ? {} : { timeScale: run.timeScale });
    } catch (error) {
      await write(io.stderr, `tunnelwatch run: cannot start the emulated Cloudflare world: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
    settings = world.settings;
    // stdout carries only JSON records; where the emulated world lives is for the person (or test) at the terminal.
    await write(
      io.stderr,
      `tunnelwatch run: emulated Cloudflare world: API ${world.stack.api.url}, origins ${Object.entries(world.stack.hostnames).map(([k, h]) => `${h} (${k})`).join(', ')}; connector addresses in ${world.portsFile}\n`,
    );
  }
  // The emulated world already carries the time scale; an emulator run on a real token gets it here.
  const emulatorEnv = world?.emulatorEnv ?? (run.timeScale === undefined ? {} : { CFEMU_TIME_SCALE: String(run.timeScale) });
  let sidecar: Sidecar;
  try {
    sidecar = await Sidecar.start({ settings, env: io.env, stdout: io.stdout, emulatorEnv });
  } catch (error) {
    await world?.stack.stop();
    await write(io.stderr, `tunnelwatch run: cannot start: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const why = await stopRequest(run.forMs, io);
  const code = await sidecar.stop(why);
  await world?.stack.stop();
  return code;
}
