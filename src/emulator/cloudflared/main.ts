// The emulated cloudflared process: `cloudflared [flags] tunnel [flags] run [flags] [TUNNEL]` and
// `cloudflared version`, behaving from the outside like cloudflared 2026.8.2. Emulator-only knobs are
// CFEMU_* env vars (time scale, API emulator, edge proxy and control addresses, scenario, ports file,
// version, seed); cloudflared's own flags and env vars mean what they mean to cloudflared.
import { pathToFileURL } from 'node:url';
import { parseCommandLine } from './args.js';
import { scaledClock, Random } from './clock.js';
import { findDefaultConfigPath, loadConfig } from './config.js';
import { resolveCredentials } from './credentials.js';
import type { Step } from './faults.js';
import { EmulatorLogger } from './logger.js';
import { loadScenario } from './scenario.js';
import { Settings } from './settings.js';
import { EMULATOR_USAGE_EXIT, runTunnel } from './tunnel.js';

export { EMULATOR_USAGE_EXIT };

export const DEFAULT_VERSION = '2026.8.2';

export interface ProcessIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => void;
  readonly cwd: string;
  readonly stdoutIsTty: boolean;
  readonly stderrIsTty?: boolean;
}

const PROCESS_IO: ProcessIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  cwd: process.cwd(),
  stdoutIsTty: process.stdout.isTTY,
  stderrIsTty: process.stderr.isTTY,
};

interface Emulation {
  readonly scale: number;
  readonly steps: readonly Step[];
}

function emulatorSettings(env: NodeJS.ProcessEnv): Emulation | { error: string } {
  const scaleText = env.CFEMU_TIME_SCALE ?? '';
  const scale = scaleText === '' ? 1 : Number(scaleText);
  if (!Number.isFinite(scale) || scale <= 0) return { error: `CFEMU_TIME_SCALE must be a positive number, got ${JSON.stringify(scaleText)}` };
  const scenario = env.CFEMU_SCENARIO ?? '';
  if (scenario === '') return { scale, steps: [] };
  const loaded = loadScenario(scenario);
  return loaded.ok ? { scale, steps: loaded.steps } : { error: loaded.error };
}

/** Runs the whole emulated process; resolves with its exit status. */
export async function runEmulatedCloudflared(argv: string[], env: NodeJS.ProcessEnv, io: ProcessIo = PROCESS_IO): Promise<number> {
  const version = env.CFEMU_VERSION !== undefined && env.CFEMU_VERSION !== '' ? env.CFEMU_VERSION : DEFAULT_VERSION;
  const invocation = parseCommandLine(argv, env, version);
  if (invocation.kind === 'exit') {
    if (invocation.stdout !== '') io.stdout(invocation.stdout);
    if (invocation.stderr !== '') io.stderr(invocation.stderr);
    return invocation.code;
  }
  const emulation = emulatorSettings(env);
  if ('error' in emulation) {
    io.stderr(`cfemu: ${emulation.error}\n`);
    return EMULATOR_USAGE_EXIT;
  }
  const clock = scaledClock(emulation.scale);
  const rng = new Random(env.CFEMU_SEED);
  const { commandLine } = invocation;

  // setFlagsFromConfigFile: a logger from the command line and env, then the config file.
  const early = new Settings(commandLine, env);
  const loggerFor = (settings: Settings): EmulatorLogger =>
    new EmulatorLogger({
      level: settings.string('loglevel'),
      json: settings.string('output') === 'json',
      logfile: settings.string('logfile'),
      logDirectory: settings.string('log-directory'),
      now: () => clock.now(),
      write: io.stderr,
      color: io.stderrIsTty === true,
    });
  const earlyLog = loggerFor(early);
  if (earlyLog.levelError !== undefined) earlyLog.emit('error', earlyLog.levelError);
  const explicit = early.isSet('config');
  const configPath = explicit ? early.string('config') : findDefaultConfigPath(env);
  const load = loadConfig(configPath, explicit, (name) => early.isSet(name));
  if (load.kind === 'error') {
    io.stderr(`${load.message}\n`);
    return 1;
  }
  if (load.kind === 'loaded' && load.empty) earlyLog.emit('error', `Configuration file ${load.path} was empty`);
  const config = load.kind === 'loaded' && !load.empty ? load.config : undefined;
  const settings = new Settings(commandLine, env, config?.flags ?? new Map());
  const log = loggerFor(settings);
  if (log.levelError !== undefined && earlyLog.levelError === undefined) log.emit('error', log.levelError);
  const logfile = settings.string('logfile');
  const logDirectory = settings.string('log-directory');
  if (logfile !== '' && logDirectory !== '') {
    log.emit('error', `Your config includes values for both logfile (${logfile}) and log-directory (${logDirectory}), but they are incompatible. logfile takes precedence.`);
  }
  if (settings.string('hostname') !== '') {
    log.emit(
      'warn',
      'The property `hostname` in your configuration is ignored because you configured a Named Tunnel in the property `tunnel` to run. Make sure to provision the routing (e.g. via `cloudflared tunnel route dns/lb`) or else your origin will not be reachable. You should remove the `hostname` property to avoid this warning.',
    );
  }

  const creds = resolveCredentials(settings, commandLine.positional, config?.tunnel, env);
  if (creds.kind === 'usage') {
    io.stderr(`${creds.message}\nSee 'cloudflared tunnel run --help'.\n`);
    return 255;
  }
  if (creds.kind === 'error') {
    for (const line of creds.errorLogs ?? []) log.emit('error', line.message, line.fields);
    io.stderr(`${creds.message}\n`);
    return 1;
  }
  return runTunnel({
    env, settings, log, clock, rng, version, config,
    credentials: creds.credentials,
    knobs: {
      api: env.CFEMU_API,
      edgeListen: env.CFEMU_EDGE !== undefined && env.CFEMU_EDGE !== '' ? env.CFEMU_EDGE : '127.0.0.1:0',
      controlListen: env.CFEMU_CONTROL !== undefined && env.CFEMU_CONTROL !== '' ? env.CFEMU_CONTROL : undefined,
      steps: emulation.steps,
      portsFile: env.CFEMU_PORTS_FILE !== undefined && env.CFEMU_PORTS_FILE !== '' ? env.CFEMU_PORTS_FILE : undefined,
    },
    cwd: io.cwd,
    stdoutIsTty: io.stdoutIsTty,
    writeStderr: io.stderr,
    exit: io.exit,
  });
}

// Run as a script: `node dist/src/emulator/cloudflared/main.js tunnel run …`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runEmulatedCloudflared(process.argv.slice(2), process.env);
  process.exit(code);
}
