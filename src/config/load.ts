import { join } from 'node:path';
import { type Diagnostic, Secret } from '../base/index.js';
import { settingsError } from './codes.js';
import { issuesToDiagnostics } from './issues.js';
import { settingsSchema, type Settings } from './schema.js';
import { envLayer, fileLayer, type FlagAssignment, flagLayer, mergeLayers, type Layer } from './sources.js';

/** Everything the settings are made from; reading the file is the caller's job, so this stays testable. */
export interface SettingsInput {
  /** Contents and name of the YAML settings file, when one is given. */
  readonly file?: { readonly text: string; readonly name: string };
  readonly env: NodeJS.ProcessEnv;
  /** `--set path=value` assignments (and flags standing for one, such as `--listen`), in command-line order. */
  readonly sets?: readonly (string | FlagAssignment)[];
}

export type SettingsResult =
  | { readonly ok: true; readonly settings: Settings; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Builds the settings from defaults < file < TUNNELWATCH_* env < --set flags, and validates them. */
export function loadSettings(input: SettingsInput): SettingsResult {
  const diagnostics: Diagnostic[] = [];
  const layers: Layer[] = [];
  if (input.file) {
    const file = fileLayer(input.file.text, input.file.name);
    diagnostics.push(...file.diagnostics);
    layers.push(file.layer);
  }
  const env = envLayer(input.env);
  const flags = flagLayer(input.sets ?? []);
  diagnostics.push(...env.diagnostics, ...flags.diagnostics);
  layers.push(env.layer, flags.layer);

  const merged = mergeLayers(layers);
  const parsed = settingsSchema.safeParse(merged.values, { reportInput: true });
  if (!parsed.success) diagnostics.push(...issuesToDiagnostics(settingsSchema, parsed.error.issues, merged.locate));
  if (!parsed.success || diagnostics.length > 0) return { ok: false, diagnostics };
  const settings = withWellKnownEnv(parsed.data, input.env, merged.locate(['logs', 'spoolDir']) !== undefined);
  const conflicts = crossCheck(settings);
  return conflicts.length > 0 ? { ok: false, diagnostics: conflicts } : { ok: true, settings, diagnostics: [] };
}

// The variables cloudflared and the Cloudflare SDK already read are honoured too, below TUNNELWATCH_* ones,
// so an existing deployment's Secret works unchanged.
function withWellKnownEnv(settings: Settings, env: NodeJS.ProcessEnv, spoolDirSet: boolean): Settings {
  const { TUNNEL_TOKEN, TUNNEL_TOKEN_FILE, CLOUDFLARE_API_TOKEN, HOSTNAME } = env;
  const cf = settings.cloudflared;
  const hasTunnelCredential = cf.token !== undefined || cf.tokenFile !== undefined;
  return {
    ...settings,
    identity: { ...settings.identity, replica: settings.identity.replica ?? (HOSTNAME || undefined) },
    cloudflared: {
      ...cf,
      token: cf.token ?? (!hasTunnelCredential && TUNNEL_TOKEN ? new Secret(TUNNEL_TOKEN) : undefined),
      tokenFile: cf.tokenFile ?? (!hasTunnelCredential && !TUNNEL_TOKEN && TUNNEL_TOKEN_FILE ? TUNNEL_TOKEN_FILE : undefined),
    },
    edge: { ...settings.edge, apiToken: settings.edge.apiToken ?? (CLOUDFLARE_API_TOKEN ? new Secret(CLOUDFLARE_API_TOKEN) : undefined) },
    logs: spoolDirSet ? settings.logs : { ...settings.logs, spoolDir: defaultSpoolDir(env) },
  };
}

/**
 * Where records wait when logs.spoolDir is not set: never relative to the working directory (two tunnelwatch
 * started from one directory would share it). systemd's StateDirectory, then the XDG state directory.
 */
export function defaultSpoolDir(env: NodeJS.ProcessEnv): string {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  if (state) return join(state, 'spool');
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'tunnelwatch', 'spool');
  return env.HOME ? join(env.HOME, '.local', 'state', 'tunnelwatch', 'spool') : '/var/lib/tunnelwatch/spool';
}

function crossCheck(settings: Settings): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { cloudflared, supervisor, edge, logs } = settings;
  if (cloudflared.token !== undefined && cloudflared.tokenFile !== undefined) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'cloudflared.tokenFile', 'cloudflared.token and cloudflared.tokenFile are both set', 'Keep one: tokenFile is preferred, as the token then never sits in the environment.'),
    );
  }
  if (supervisor.restartBackoffInitial > supervisor.restartBackoffMax) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'supervisor.restartBackoffInitial', 'supervisor.restartBackoffInitial is longer than supervisor.restartBackoffMax', 'Make restartBackoffInitial no longer than restartBackoffMax.'),
    );
  }
  if (edge.apiToken !== undefined && edge.accountId === undefined) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'edge.accountId', 'edge.apiToken is set but edge.accountId is missing, so the edge view cannot ask for the tunnel', 'Set edge.accountId (TUNNELWATCH_EDGE_ACCOUNT_ID) to the account that owns the tunnel.'),
    );
  }
  if (supervisor.restoreQuicAfter > 0 && edge.reachabilityInterval === 0) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'supervisor.restoreQuicAfter', 'supervisor.restoreQuicAfter is set but edge.reachabilityInterval is 0s, so nothing ever sees QUIC answer again', 'Set edge.reachabilityInterval (e.g. 1m), or restoreQuicAfter to 0s.'),
    );
  }
  if (settings.endToEnd.timeout >= settings.endToEnd.interval) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'endToEnd.timeout', 'endToEnd.timeout is not shorter than endToEnd.interval, so a check would still wait when the next is due', 'Make endToEnd.timeout shorter than endToEnd.interval.'),
    );
  }
  if (logs.loki && (logs.loki.username === undefined) !== (logs.loki.password === undefined)) {
    out.push(
      settingsError('TW_ERR_SETTINGS_CONFLICT', 'logs.loki.username', 'logs.loki.username and logs.loki.password must be set together', 'Set both for basic auth, or neither.'),
    );
  }
  return out;
}
