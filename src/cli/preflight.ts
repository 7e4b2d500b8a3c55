// What `run` checks before cloudflared first starts. A missing binary, a missing or unreadable tunnel token or a
// taken metrics address would otherwise show only as a connector crash-looping until the breaker opens. Each
// problem is one sentence naming the setting, what was found and the fix; the token itself never appears.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { whyUnreadable } from '../base/index.js';
import { parseTunnelToken } from '../cloudflared/token.js';
import type { Settings } from '../config/index.js';
import { CAUSES } from '../diagnosis/index.js';
import { checkConnector, checkMetricsAddress } from '../doctor/index.js';
import { goSplitHostPort } from '../go/index.js';
import { EMULATOR_BINARY } from '../sidecar/index.js';
import { defaultConfigPaths } from './cloudflared-config-input.js';
import type { Io } from './io.js';

const SET_BINARY = 'set cloudflared.binary (--cloudflared) to its path';
// Where the child's lookup goes when PATH is unset (libuv falls back to _PATH_DEFPATH).
const DEFAULT_PATH = '/usr/bin:/bin';
// cloudflared flags in cloudflared.extraArgs that find the tunnel without cloudflared.token or tokenFile.
const TUNNEL_FLAGS = new Set(['config', 'token-file']);

/** A fix from the doctor's catalogue, as the clause after a semicolon. */
function clause(fix: string): string {
  return `${fix.charAt(0).toLowerCase()}${fix.slice(1)}`.replace(/\.$/, '');
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Why `path` cannot be run as the connector; undefined when it can. */
function fileProblem(path: string): string | undefined {
  let mode: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return `cloudflared binary ${path} is a directory; set cloudflared.binary (--cloudflared) to the cloudflared file itself`;
    mode = st.mode;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `cloudflared binary ${path} does not exist; install cloudflared or ${SET_BINARY}`;
    return `cloudflared binary ${path} cannot be read (${code ?? 'error'}); check its permissions or ${SET_BINARY}`;
  }
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return `cloudflared binary ${path} is not executable (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}); chmod +x it, or ${SET_BINARY}`;
  }
}

/** The binary as the child's spawn finds it: a path as given, a bare name on PATH. */
function binaryProblem(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  if (binary.includes('/')) return fileProblem(binary);
  const found = (env.PATH ?? DEFAULT_PATH)
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, binary))
    .filter(exists);
  const problems = found.map(fileProblem);
  if (problems.includes(undefined)) return undefined;
  // A file of that name that cannot be run says more than "not found".
  return problems[0] ?? `cloudflared binary ${JSON.stringify(binary)} not found on PATH; install cloudflared or ${SET_BINARY}`;
}

/** Whether cloudflared can find its tunnel without a token: from a config file, or a flag in extraArgs. */
function tunnelNamedOtherwise(c: Settings['cloudflared'], io: Io): boolean {
  if (c.config !== undefined) return true;
  if (c.extraArgs.some((arg) => TUNNEL_FLAGS.has(/^--?([a-z-]+)/.exec(arg)?.[1] ?? ''))) return true;
  // Without --config, cloudflared reads the first config.yml of its default directories.
  return defaultConfigPaths().some((path) => io.readText(path) !== undefined);
}

/** The token: present (unless cloudflared finds the tunnel another way), readable and well-formed. */
function tokenProblem(settings: Settings, io: Io): string | undefined {
  const c = settings.cloudflared;
  let token: string;
  let source: string;
  if (c.token !== undefined) {
    token = c.token.reveal();
    source = 'cloudflared.token';
  } else if (c.tokenFile !== undefined) {
    const text = io.readText(c.tokenFile);
    if (text === undefined) return `cannot read the tunnel token in cloudflared.tokenFile: ${whyUnreadable(c.tokenFile)}`;
    token = text.trim();
    source = `cloudflared.tokenFile ${c.tokenFile}`;
  } else {
    // The emulator without a token runs in an emulated world that makes its own.
    if (c.binary === EMULATOR_BINARY || tunnelNamedOtherwise(c, io)) return undefined;
    return 'no tunnel token, and no cloudflared config to name the tunnel; set cloudflared.tokenFile (TUNNELWATCH_CLOUDFLARED_TOKEN_FILE) to a file holding the token from the dashboard, or cloudflared.config to a config with tunnel: and credentials-file:';
  }
  if (token === '') return `the tunnel token in ${source} is empty; give the token of the tunnel from the dashboard`;
  const parsed = parseTunnelToken(token);
  return parsed.ok ? undefined : `the tunnel token in ${source} cannot be read: ${parsed.reason}; ${clause(CAUSES.token_malformed.remediation)}`;
}

/** The metrics address cloudflared will listen on, when it names a port: free, or held by a cloudflared. */
async function metricsProblem(settings: Settings): Promise<string | undefined> {
  const address = settings.cloudflared.metrics;
  if (goSplitHostPort(address)?.port === '0') return undefined;
  const bind = await checkMetricsAddress(address, false);
  if (bind.verdict !== 'FAIL') return undefined;
  // A cloudflared answering there may be the one a killed tunnelwatch left running, which Sidecar.start stops first.
  if ((await checkConnector(address, settings, 1000)) !== undefined) return undefined;
  return `cloudflared.metrics ${bind.summary}; ${clause(bind.fix ?? CAUSES.metrics_port_in_use.remediation)}`;
}

/** Every problem found, each one line without the `tunnelwatch run:` prefix; empty when cloudflared may start. */
export async function preflight(settings: Settings, io: Io): Promise<string[]> {
  // An attached cloudflared is started, given its token and bound to its port by someone else.
  if (settings.cloudflared.attach !== undefined) return [];
  const binary = settings.cloudflared.binary;
  const problems = [binary === EMULATOR_BINARY ? undefined : binaryProblem(binary, io.env), tokenProblem(settings, io), await metricsProblem(settings)];
  return problems.filter((p): p is string => p !== undefined);
}
