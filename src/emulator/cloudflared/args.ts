// The command line of the emulated cloudflared: `cloudflared [global flags] tunnel [tunnel flags] run [run
// flags] [TUNNEL]`, `cloudflared version [--short]` and `--version`. Each level only knows its own flags
// (urfave/cli v2), so a run-level flag before `run` or a tunnel-level flag after it is "Incorrect Usage"
// printed with the help on stdout — an error cloudflared's main ignores, so the exit status is 0.
import { type FlagDef, HELP_FLAG, RUN_FLAGS, TUNNEL_FLAGS, VERSION_FLAG } from './flags.js';
import { envError, envValue, parseLevel, type FlagValues } from './goflag.js';
import { appHelp, runHelp, tunnelHelp } from './help.js';

/** Flags given on the command line at each level. */
export interface CommandLine {
  readonly app: FlagValues;
  readonly tunnel: FlagValues;
  readonly run: FlagValues;
  /** Arguments after the run flags (the tunnel name or UUID). */
  readonly positional: readonly string[];
}

/** What the arguments ask for. */
export type Invocation =
  | { readonly kind: 'run'; readonly commandLine: CommandLine }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

/** The build time cloudflared's Makefile stamps (`%Y-%m-%dT%H:%M UTC` of the release notes commit). */
export const BUILD_TIME = '2026-08-20T09:54 UTC';

/** `cloudflared version` (urfave's VersionPrinter). */
export function versionLine(version: string): string {
  return `cloudflared version ${version} (built ${BUILD_TIME})\n`;
}

const APP_FLAGS: readonly FlagDef[] = [...TUNNEL_FLAGS, VERSION_FLAG];
const SHORT_FLAG: FlagDef = { ...HELP_FLAG, name: 'short', aliases: ['s'], usage: 'print just the version number' };

const TUNNEL_CMD_ERROR = `You did not specify any valid additional argument to the cloudflared tunnel command.

If you are trying to run a Quick Tunnel then you need to explicitly pass the --url flag.
Eg. cloudflared tunnel --url localhost:8080/.

Please note that Quick Tunnels are meant to be ephemeral and should only be used for testing purposes.
For production usage, we recommend creating Named Tunnels. (https://developers.cloudflare.com/cloudflare-one/connections/connect-apps/install-and-setup/tunnel-guide/)
`;

const TUNNEL_SUBCOMMANDS = new Set(['login', 'create', 'route', 'vnet', 'list', 'ready', 'info', 'ingress', 'delete', 'cleanup', 'token', 'diag']);

const out = (code: number, stdout: string, stderr = ''): Invocation => ({ kind: 'exit', code, stdout, stderr });

/** The first urfave/cli error applying an env value to `defs` (a value the flag's type cannot hold). */
function envProblem(defs: readonly FlagDef[], env: NodeJS.ProcessEnv): string | undefined {
  for (const def of defs) {
    const value = envValue(def, env);
    const problem = value === undefined ? undefined : envError(def, value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function notEmulated(what: string): Invocation {
  return out(1, '', `cloudflared emulator: \`${what}\` is not emulated; only \`tunnel run\` and \`version\` are\n`);
}

function parseRun(args: readonly string[], app: FlagValues, tunnel: FlagValues, env: NodeJS.ProcessEnv): Invocation {
  const problem = envProblem(RUN_FLAGS, env);
  if (problem !== undefined) return out(0, `Incorrect Usage: ${problem}\n\n${runHelp()}`);
  const run = parseLevel(args, RUN_FLAGS, HELP_FLAG);
  if (!run.ok) return out(0, `Incorrect Usage: ${run.error}\n\n${runHelp()}`);
  if (run.help) return out(0, runHelp());
  return { kind: 'run', commandLine: { app, tunnel, run: run.values, positional: run.rest } };
}

function parseTunnel(args: readonly string[], app: FlagValues, env: NodeJS.ProcessEnv): Invocation {
  const tunnel = parseLevel(args, TUNNEL_FLAGS, HELP_FLAG);
  if (!tunnel.ok) return out(0, `Incorrect Usage. ${tunnel.error}\n\n${tunnelHelp()}`);
  const [command, ...rest] = tunnel.rest;
  if (tunnel.help || command === 'help' || command === 'h') return out(0, tunnelHelp());
  if (command === 'run') return parseRun(rest, app, tunnel.values, env);
  if (command !== undefined && TUNNEL_SUBCOMMANDS.has(command)) return notEmulated(`tunnel ${command}`);
  return out(1, '', TUNNEL_CMD_ERROR + '\n');
}

/** Reads the command line; `version` is the cloudflared version to print. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, version: string): Invocation {
  // App.RunContext returns a flag-set error without printing it, and main ignores it.
  if (envProblem(TUNNEL_FLAGS, env) !== undefined) return out(0, '');
  const app = parseLevel(argv, APP_FLAGS, HELP_FLAG);
  if (!app.ok) return out(0, `Incorrect Usage. ${app.error}\n\n${appHelp(versionLine(version).trim())}`);
  if (app.values.has('version')) return out(0, versionLine(version));
  const [command, ...rest] = app.rest;
  if (app.help || command === 'help' || command === 'h') return out(0, appHelp(`${version} (built ${BUILD_TIME})`));
  if (command === 'version') {
    const v = parseLevel(rest, [SHORT_FLAG], HELP_FLAG);
    if (!v.ok) return out(0, `Incorrect Usage: ${v.error}\n\n`);
    return out(0, v.values.has('short') ? `${version}\n` : versionLine(version));
  }
  if (command === 'tunnel') return parseTunnel(rest, app.values, env);
  if (command === undefined) return notEmulated('cloudflared (service mode)');
  if (command === 'update' || command === 'access' || command === 'tail' || command === 'management' || command === 'service') {
    return notEmulated(command);
  }
  return out(1, '', TUNNEL_CMD_ERROR + '\n');
}
