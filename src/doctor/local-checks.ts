// What the handbook asks to check on the host itself: the cloudflared config, the token and which tunnel it names,
// proxy variables, and the metrics address (free, or served by the running cloudflared).
import { createServer } from 'node:net';
import { type Diagnostic, readTextOrUndefined } from '../base/index.js';
import { checkCloudflaredConfig, type CloudflaredConfig } from '../cloudflared/config/index.js';
import { parseTunnelToken } from '../cloudflared/token.js';
import type { Settings } from '../config/index.js';
import { goSplitHostPort } from '../go/index.js';
import { CAUSES } from '../diagnosis/index.js';
import { type CheckResult, pass, problem, skip } from './check.js';

const line = (d: Diagnostic): string => `${d.severity} ${d.code}${d.path === '' ? '' : ` at ${d.path}`}: ${d.message}`;

/** The config check, the config itself for the origin checks, and the lint's findings for the credentials check. */
export function checkConfig(settings: Settings): { result: CheckResult; config?: CloudflaredConfig; diagnostics?: readonly Diagnostic[] } {
  const file = settings.cloudflared.config;
  if (file === undefined) return { result: skip('config', 'no cloudflared.config: the ingress rules come from the dashboard (remote config) or the flags') };
  const text = readTextOrUndefined(file);
  if (text === undefined) {
    return { result: problem('FAIL', 'config', `cannot read ${file}`, `Check the path in cloudflared.config and that this user may read it.`, { cause: 'config_invalid' }) };
  }
  const { config, diagnostics } = checkCloudflaredConfig(text, file, { readFile: readTextOrUndefined });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  const found = { diagnostics, ...(config === undefined ? {} : { config }) };
  if (errors.length > 0) {
    return { ...found, result: problem('FAIL', 'config', `${file}: ${String(errors.length)} error(s) cloudflared stops on`, errors[0]?.fix ?? CAUSES.config_invalid.remediation, { evidence: errors.map(line), cause: 'config_invalid' }) };
  }
  if (warnings.length > 0) {
    return { ...found, result: problem('WARN', 'config', `${file}: valid, ${String(warnings.length)} warning(s)`, warnings[0]?.fix ?? 'See `tunnelwatch validate`.', { evidence: warnings.map(line) }) };
  }
  return { ...found, result: pass('config', `${file}: valid, ${String(config?.rules.length ?? 0)} ingress rule(s)`) };
}

/**
 * Without a token, cloudflared runs on the config's credentials-file: the lint's warnings about it (missing, not
 * JSON, cert.pem instead, another tunnel's) are failures then. Undefined when a token is set.
 */
export function checkCredentials(settings: Settings, config: CloudflaredConfig | undefined, diagnostics: readonly Diagnostic[]): CheckResult | undefined {
  const c = settings.cloudflared;
  if (c.token !== undefined || c.tokenFile !== undefined || config === undefined) return undefined;
  const file = config.flags.get('credentials-file');
  if (typeof file !== 'string' || file === '') return skip('credentials', `no credentials-file in ${config.origin}: cloudflared looks for <tunnel-id>.json in ~/.cloudflared and /etc/cloudflared`);
  const bad = diagnostics.filter((d) => d.code.startsWith('TW_WARN_CONFIG_CREDENTIALS'));
  const [first] = bad;
  if (first === undefined) return pass('credentials', `${file} reads as tunnel credentials${config.tunnel === undefined ? '' : ` for tunnel ${config.tunnel}`}`);
  return problem('FAIL', 'credentials', first.message, first.fix, { evidence: bad.map(line) });
}

/** The token's shape and which tunnel it names; never shows the token. */
export function checkToken(settings: Settings): CheckResult {
  const c = settings.cloudflared;
  const file = c.tokenFile;
  const token = c.token?.reveal() ?? (file === undefined ? undefined : readTextOrUndefined(file)?.trim());
  if (token === undefined) {
    if (file !== undefined) return problem('FAIL', 'token', `cannot read cloudflared.tokenFile ${file}`, 'Check the path and that this user may read it.', { cause: 'token_malformed' });
    if (c.config !== undefined) return skip('token', 'no tunnel token: cloudflared takes the tunnel and its credentials file from the config');
    return problem('FAIL', 'token', 'nothing names a tunnel: no token and no cloudflared config', 'Set cloudflared.tokenFile to a file holding the token from the dashboard (or cloudflared.config naming the tunnel and its credentials-file).');
  }
  const parsed = parseTunnelToken(token);
  if (!parsed.ok) return problem('FAIL', 'token', `the tunnel token cannot be read: ${parsed.reason}`, CAUSES.token_malformed.remediation, { cause: 'token_malformed' });
  const { tunnelId, accountTag } = parsed.token;
  const expected = settings.edge.tunnelId;
  if (expected !== undefined && expected !== tunnelId) {
    return problem('FAIL', 'token', `the token names tunnel ${tunnelId}, but edge.tunnelId is ${expected}`, 'This replica would serve another tunnel: use the token of the tunnel the other replicas run.', {
      evidence: [`token: tunnel ${tunnelId}, account ${accountTag}`],
    });
  }
  return pass('token', `names tunnel ${tunnelId} of account ${accountTag}`);
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** Proxy variables: cloudflared's edge connections never go through them. */
export function checkProxy(env: Readonly<Record<string, string | undefined>>): CheckResult {
  const set = PROXY_VARIABLES.filter((name) => (env[name] ?? '') !== '');
  if (set.length === 0) return pass('proxy', 'no proxy variables set');
  return problem('WARN', 'proxy', `${set.join(', ')} set: cloudflared does not send its edge connections through an HTTP proxy`, 'Outbound TCP and UDP 7844 to the edge must be allowed directly; the proxy only carries cloudflared\'s HTTPS calls (updates, API).', {
    evidence: set.map((name) => `${name} is set`),
  });
}

/** Whether host:port can be bound now: undefined when it can, else the error code (EADDRINUSE, EACCES, ...). */
function bindError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => { resolve(error.code ?? error.message); });
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(undefined); }); });
  });
}

/** The metrics address (a validated host:port): free, or already served by cloudflared (its /ready answered). */
export async function checkMetricsAddress(address: string, servedByCloudflared: boolean): Promise<CheckResult> {
  const { host = '', port = '' } = goSplitHostPort(address) ?? {};
  const error = await bindError(host, Number(port));
  if (error === undefined) return pass('metrics address', `${address} is free for cloudflared's metrics server`);
  if (servedByCloudflared) return pass('metrics address', `${address} is served by a running cloudflared`);
  return problem('FAIL', 'metrics address', `${address} cannot be bound (${error}) and no cloudflared answers /ready there`, CAUSES.metrics_port_in_use.remediation, {
    evidence: [`bind ${address}: ${error}`],
    cause: 'metrics_port_in_use',
  });
}
