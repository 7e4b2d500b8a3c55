// What the end-to-end tests of `tunnelwatch run` look at and poke while it runs: its HTTP server (/status,
// /metrics, the page), the emulated connector's fault control (a new port after every restart: the ports
// file is re-read) and the API emulator's fault route. Every wait is bounded.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Diagnosis } from '../../src/diagnosis/index.js';
import type { HealthSnapshot } from '../../src/state/snapshot.js';
import type { Ports, Rec, TunnelwatchRun } from './run-process.js';

export interface HttpReply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One HTTP exchange; rejects with the socket error (its `code` tells a refused connection from a reset). */
function http(address: string, method: string, path: string, body?: string): Promise<HttpReply> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: address.slice(0, at), port: Number(address.slice(at + 1)), path, method, headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.once('end', () => { resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }); });
      res.once('error', reject);
    });
    req.once('timeout', () => { req.destroy(new Error(`${method} http://${address}${path} timed out`)); });
    req.once('error', reject);
    req.end(body);
  });
}

/** Where tunnelwatch serves, from its `serving /metrics ...` record. */
export function serverAddress(run: TunnelwatchRun): Promise<string> {
  return run.until(() => {
    const address = run.records.find((r) => typeof r.msg === 'string' && r.msg.startsWith('serving /metrics'))?.address;
    return typeof address === 'string' ? address : undefined;
  }, 'the `serving /metrics` record');
}

/** GET `path` from tunnelwatch's HTTP server. */
export async function get(run: TunnelwatchRun, path: string): Promise<HttpReply> {
  return http(await serverAddress(run), 'GET', path);
}

/** What GET /status answers: the snapshot and the diagnosis. */
export type StatusBody = HealthSnapshot & { readonly diagnosis: readonly Diagnosis[] };

export async function status(run: TunnelwatchRun): Promise<StatusBody> {
  const reply = await get(run, '/status');
  if (reply.status !== 200) throw new Error(`/status answered ${String(reply.status)}: ${reply.body}`);
  return JSON.parse(reply.body) as StatusBody;
}

/** The reason codes of a snapshot, in order. */
export const codes = (s: HealthSnapshot): string[] => s.reasons.map((r) => r.code);

/** The diagnosed causes on /status, in order. */
export const causes = (s: StatusBody): string[] => s.diagnosis.map((d) => d.cause);

/** The diagnosis of `cause`, or undefined. */
export const diagnosisOf = (s: StatusBody, cause: string): Diagnosis | undefined => s.diagnosis.find((d) => d.cause === cause);

const brief = (s: StatusBody | undefined): string =>
  s === undefined
    ? 'none'
    : JSON.stringify({ state: s.state, reasons: codes(s), causes: causes(s), views: s.views, process: s.process, edge: s.edge.status, registered: s.registeredConnections });

/** cloudflared's last lines as tunnelwatch recorded them, for a failure's message. */
const lastConnectorLines = (run: TunnelwatchRun, n = 20): string =>
  run.records
    .filter((r) => r.source === 'cloudflared')
    .slice(-n)
    .map((r) => `  ${typeof r.raw === 'string' ? r.raw : JSON.stringify(r)}`)
    .join('\n');

/** Polls /status every 50 ms until `check` returns a value; the error shows the last snapshot and cloudflared's last lines. */
export async function statusUntil<T>(run: TunnelwatchRun, check: (s: StatusBody) => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: StatusBody | undefined;
  for (;;) {
    last = await status(run);
    const value = check(last);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}; last /status: ${brief(last)}\ncloudflared's last lines:\n${lastConnectorLines(run)}`);
    await sleep(50);
  }
}

/** The value of one series in a Prometheus text exposition: `name` with at least the given labels. */
export function metric(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m?.[1] !== name || m[3] === undefined) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

/** Polls /metrics until `check` returns a value. */
export async function metricsUntil<T>(run: TunnelwatchRun, check: (text: string) => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = (await get(run, '/metrics')).body;
    const value = check(text);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what} in /metrics`);
    await sleep(50);
  }
}

/**
 * POSTs one fault to the running connector's control endpoint. A refused connection means that connector
 * is gone and its successor has not written the ports file yet, so the file is read again; once the
 * request went out it is never repeated (a crash fault ends the process before it can answer).
 */
export async function connectorFault(run: TunnelwatchRun, fault: Readonly<Record<string, unknown>>, timeoutMs = 10_000): Promise<void> {
  const file = await run.portsFile();
  const end = Date.now() + timeoutMs;
  for (;;) {
    let control: string | undefined;
    try {
      control = (JSON.parse(readFileSync(file, 'utf8')) as Ports).control;
    } catch {
      control = undefined;
    }
    if (control !== undefined) {
      try {
        const reply = await http(control, 'POST', '/faults', JSON.stringify(fault));
        if (reply.status !== 200) throw new Error(`fault ${JSON.stringify(fault)} refused: HTTP ${String(reply.status)} ${reply.body}`);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') {
          if (fault.fault === 'crash') return;
          throw error;
        }
      }
    }
    if (Date.now() > end) throw new Error(`no connector control endpoint answered within ${String(timeoutMs)} ms (ports file ${file})`);
    await sleep(50);
  }
}

function apiAddress(run: TunnelwatchRun): Promise<string> {
  return run.until(() => /emulated Cloudflare world: API http:\/\/([^/\s]+)\//.exec(run.stderr)?.[1], 'the API emulator address on stderr');
}

/** POSTs a fault patch to the API emulator (`/__emulator/faults`), e.g. `{status: 429, count: 5, retryAfter: 0.5}`. */
export async function apiFault(run: TunnelwatchRun, patch: Readonly<Record<string, unknown>>): Promise<void> {
  const reply = await http(await apiAddress(run), 'POST', '/__emulator/faults', JSON.stringify(patch));
  if (reply.status !== 200) throw new Error(`API emulator fault ${JSON.stringify(patch)} refused: HTTP ${String(reply.status)} ${reply.body}`);
}

/** Clears every API emulator fault (DELETE `/__emulator/faults`). */
export async function apiFaultsCleared(run: TunnelwatchRun): Promise<void> {
  const reply = await http(await apiAddress(run), 'DELETE', '/__emulator/faults');
  if (reply.status !== 200) throw new Error(`API emulator fault reset: HTTP ${String(reply.status)} ${reply.body}`);
}

/** A tunnelwatch record (not a connector line) whose message starts with `prefix`, at or after `from`. */
export function ownRecord(run: TunnelwatchRun, prefix: string, from = 0): Rec | undefined {
  return run.records.slice(from).find((r) => r.source === 'tunnelwatch' && typeof r.msg === 'string' && r.msg.startsWith(prefix));
}

/** A connector line (source cloudflared) with message `msg`, at or after `from`. */
export function connectorLine(run: TunnelwatchRun, msg: string, from = 0): Rec | undefined {
  return run.records.slice(from).find((r) => r.source === 'cloudflared' && r.msg === msg);
}
