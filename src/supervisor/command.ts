// The command line and environment of the supervised cloudflared (reference §5, §12.1). Tunnel-level flags go
// before `run`; the token travels only in the environment, never on argv, where `ps` and /proc would show it.
import type { Settings } from '../config/index.js';

export interface Command {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Inherited variables the child must not see: systemd socket activation and readiness, and secrets. */
const DROPPED_EXACT = new Set(['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'CLOUDFLARE_API_TOKEN']);
/** `TUNNEL_*` would silently set cloudflared flags; `TUNNELWATCH_*` is tunnelwatch's own (secrets included). */
const DROPPED_PREFIXES = ['TUNNEL_', 'TUNNELWATCH_'];

/** The parent environment minus what must not reach cloudflared. */
export function childEnv(parent: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if (DROPPED_EXACT.has(upper) || DROPPED_PREFIXES.some((p) => upper.startsWith(p))) continue;
    env[key] = value;
  }
  return env;
}

/** A duration in cloudflared's (Go) syntax: whole seconds as `30s`, anything else in `ms`. */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${String(ms / 1000)}s` : `${String(ms)}ms`;
}

/** argv after the binary: `tunnel <tunnel-level flags> [extraArgs] run`. */
export function cloudflaredArgs(c: Settings['cloudflared']): string[] {
  const args = ['tunnel', '--no-autoupdate', '--metrics', c.metrics, '--output', 'json', '--loglevel', c.logLevel, '--grace-period', goDuration(c.gracePeriod)];
  // An explicit --config stops cloudflared from auto-loading a stray config.yml from its default directories.
  if (c.config !== undefined) args.push('--config', c.config);
  if (c.protocol !== 'auto') args.push('--protocol', c.protocol);
  args.push(...c.extraArgs, 'run');
  return args;
}

/**
 * The full command for cloudflared: binary, argv and a cleaned environment carrying the token as
 * `TUNNEL_TOKEN` (or its file as `TUNNEL_TOKEN_FILE`). An inline token wins over a token file.
 */
export function buildCommand(settings: Settings, parentEnv: Readonly<Record<string, string | undefined>>): Command {
  const c = settings.cloudflared;
  const env = childEnv(parentEnv);
  if (c.token !== undefined && !c.token.isEmpty) env.TUNNEL_TOKEN = c.token.reveal();
  else if (c.tokenFile !== undefined) env.TUNNEL_TOKEN_FILE = c.tokenFile;
  return { file: c.binary, args: cloudflaredArgs(c), env };
}
