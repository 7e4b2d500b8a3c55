// Connectivity pre-checks (prechecks/*.go, cliutil.LogTable): an ASCII box titled CONNECTIVITY PRE-CHECKS,
// one INF line per row, then one structured `precheck` line per probe and `precheck complete`. Results
// follow the emulated network: UDP rows fail while QUIC is blocked, every transport row while the edge is
// unreachable.
import type { FieldValue } from '../../cloudflared/log/index.js';
import type { EmulatorLogger } from './logger.js';

type Status = 'PASS' | 'FAIL';

interface Row {
  readonly type: 'dns' | 'quic' | 'http2' | 'api';
  readonly component: string;
  readonly target: string;
  readonly status: Status;
  readonly details: string;
  readonly action: string;
}

export interface PrecheckInput {
  readonly region: string;
  readonly quicOk: boolean;
  readonly tcpOk: boolean;
  /** `--protocol` as given (`auto`, `quic`, `http2`). */
  readonly protocol: string;
  readonly runId: string;
}

function regionTargets(region: string): [string, string] {
  if (region === 'us') return ['us-region1.v2.argotunnel.com', 'us-region2.v2.argotunnel.com'];
  if (region === 'fed') return ['fed-region1.v2.argotunnel.com', 'fed-region2.v2.argotunnel.com'];
  return ['region1.v2.argotunnel.com', 'region2.v2.argotunnel.com'];
}

function rows(input: PrecheckInput): Row[] {
  const targets = regionTargets(input.region);
  const out: Row[] = targets.map((target) => ({ type: 'dns', component: 'DNS Resolution', target, status: 'PASS', details: 'DNS Resolved successfully', action: '' }));
  for (const target of targets) {
    out.push(
      input.quicOk
        ? { type: 'quic', component: 'UDP Connectivity', target, status: 'PASS', details: 'QUIC connection successful', action: '' }
        : { type: 'quic', component: 'UDP Connectivity', target, status: 'FAIL', details: 'QUIC connection failed', action: 'Allow outbound QUIC traffic on port 7844 or use HTTP2.' },
    );
  }
  for (const target of targets) {
    out.push(
      input.tcpOk
        ? { type: 'http2', component: 'TCP Connectivity', target, status: 'PASS', details: 'HTTP/2 connection successful', action: '' }
        : { type: 'http2', component: 'TCP Connectivity', target, status: 'FAIL', details: 'HTTP/2 connection is blocked or unreachable', action: 'Allow outbound TCP on port 7844.' },
    );
  }
  out.push({ type: 'api', component: 'Cloudflare API', target: 'api.cloudflare.com:443', status: 'PASS', details: 'API is reachable', action: '' });
  return out;
}

/** text/tabwriter with minwidth 0, padding 2: every column but the last padded to its widest cell + 2. */
function tabulate(cells: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of cells) row.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd((widths[i] ?? 0) + 2) : c)).join(''));
}

function box(lines: readonly string[], title: string): string[] {
  const max = Math.max(title.length, ...lines.map((l) => l.length));
  const border = `+${'-'.repeat(max + 4)}+`;
  const render = (line: string): string => `|  ${line}${' '.repeat(max - line.length)}  |`;
  const left = Math.floor((max - title.length) / 2);
  const centered = `${' '.repeat(left)}${title}${' '.repeat(max - title.length - left)}`;
  return [border, render(centered), border, ...lines.map(render), border];
}

/** Suggested protocol: an explicit override that did not fail, else QUIC when it passed, else HTTP/2. */
function suggestion(input: PrecheckInput): string | undefined {
  if (input.protocol === 'quic' && input.quicOk) return 'quic';
  if ((input.protocol === 'http2' || input.protocol === 'h2mux') && input.tcpOk) return 'http2';
  if (input.quicOk) return 'quic';
  return input.tcpOk ? 'http2' : undefined;
}

function summary(hardFail: boolean, warn: boolean, suggested: string | undefined): string {
  if (hardFail) return 'SUMMARY: Environment has critical failures. cloudflared may not be able to establish a tunnel.';
  if (warn) return suggested === undefined ? 'SUMMARY: Environment ready with degraded transport.' : `SUMMARY: Environment ready with degraded transport. cloudflared will proceed using '${suggested}'.`;
  return suggested === undefined ? 'SUMMARY: Environment is healthy.' : `SUMMARY: Environment is healthy. cloudflared will use '${suggested}' as primary protocol.`;
}

/** Logs the pre-check report. */
export function logPrechecks(log: EmulatorLogger, input: PrecheckInput): void {
  const results = rows(input);
  const hardFail = !input.quicOk && !input.tcpOk;
  const warn = !hardFail && input.quicOk !== input.tcpOk;
  const suggested = suggestion(input);
  const lines = tabulate([['COMPONENT', 'TARGET', 'STATUS', 'DETAILS'], ...results.map((r) => [r.component, r.target, r.status, r.details])]);
  for (const r of results) if (r.status === 'FAIL' && r.action !== '') lines.push(`${hardFail ? 'ERROR' : 'WARNING'}: ${r.action}`);
  lines.push('', summary(hardFail, warn, suggested));
  for (const line of box(lines, 'CONNECTIVITY PRE-CHECKS')) log.emit('info', line);
  for (const r of results) {
    log.emit('info', 'precheck', [
      ['run_id', input.runId], ['component', r.component], ['target', r.target], ['status', r.status.toLowerCase()], ['details', r.details],
    ]);
  }
  const complete: [string, FieldValue][] = [['run_id', input.runId], ['hard_fail', hardFail]];
  if (suggested !== undefined) complete.push(['suggested_protocol', suggested]);
  log.emit('info', 'precheck complete', complete);
}
