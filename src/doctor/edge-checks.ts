// Can this host reach the edge the way cloudflared would: DNS (SRV and the region names), TCP 7844 (HTTP/2),
// UDP 7844 (QUIC) and TCP 443 (API, updates). With --edge in cloudflared.extraArgs, those addresses instead.
import { edgeArgs } from '../cloudflared/config/index.js';
import type { Settings } from '../config/index.js';
import { CAUSES } from '../diagnosis/index.js';
import { checkEdgeReach, type EdgeReachReport } from '../probers/index.js';
import { type CheckResult, pass, problem, skip } from './check.js';

type Check = EdgeReachReport['checks'][number];

const where = (c: Check): string => `${c.check} ${c.target}${c.address === undefined || c.address === c.target ? '' : ` ${c.address}`}${c.port === undefined ? '' : `:${String(c.port)}`}`;
const said = (c: Check): string => `${where(c)}: ${c.status}${c.error === undefined ? '' : ` (${c.error})`}`;

const unreachable = (c: Check): boolean => c.status === 'unreachable';
/** UDP silence proves nothing for sure, but no QUIC answer from any address is what a blocked port looks like. */
const noQuicAnswer = (c: Check): boolean => c.status !== 'reachable';

function verdictOf(name: string, checks: readonly Check[], onFail: (bad: readonly Check[]) => CheckResult, isBad: (c: Check) => boolean = unreachable): CheckResult | undefined {
  if (checks.length === 0) return undefined;
  const bad = checks.filter(isBad);
  if (bad.length === 0) return pass(name, `${String(checks.length)} of ${String(checks.length)} answered`, checks.map(said));
  return { ...onFail(bad), evidence: checks.map(said) };
}

export async function checkEdge(settings: Settings, timeoutMs: number): Promise<CheckResult[]> {
  const where = edgeArgs(settings.cloudflared.extraArgs);
  const { edges } = where;
  const report = await checkEdgeReach({ timeoutMs, ...where });
  const of = (kind: string, port?: number): Check[] => report.checks.filter((c) => c.check === kind && (port === undefined || c.port === port));
  const edgePort = edges.length > 0 ? undefined : 7844;
  const quicOnly = settings.cloudflared.protocol === 'quic';
  const results = [
    edges.length > 0 ? skip('edge dns', `not used: --edge ${edges.join(', ')} names the edge`) : undefined,
    verdictOf('edge dns', [...of('dns_srv'), ...of('dns_a'), ...of('dns_aaaa')], () =>
      problem('FAIL', 'edge dns', 'the edge cannot be found through DNS', CAUSES.edge_dns_failed.remediation, { cause: 'edge_dns_failed' }),
    ),
    verdictOf('edge tcp 7844', of('tcp', edgePort), (bad) =>
      problem(bad.length === of('tcp', edgePort).length ? 'FAIL' : 'WARN', 'edge tcp 7844', `${String(bad.length)} edge address(es) refuse or drop TCP`, CAUSES.tcp_7844_blocked.remediation, { cause: 'tcp_7844_blocked' }),
    ),
    verdictOf(
      'edge udp 7844',
      of('udp'),
      (bad) =>
        quicOnly
          ? problem('FAIL', 'edge udp 7844', `${String(bad.length)} edge address(es) give no QUIC answer, and cloudflared.protocol is quic: it cannot connect`, CAUSES.udp_7844_blocked.remediation, { cause: 'udp_7844_blocked' })
          : problem('WARN', 'edge udp 7844', `${String(bad.length)} edge address(es) give no QUIC answer: cloudflared will fall back to HTTP/2`, CAUSES.udp_7844_blocked.remediation, { cause: 'udp_7844_blocked' }),
      noQuicAnswer,
    ),
    edges.length > 0
      ? undefined
      : verdictOf('edge tcp 443', of('tcp', 443), () =>
          problem('WARN', 'edge tcp 443', 'TCP 443 to the edge is blocked', 'cloudflared uses 443 for its API calls and updates; the tunnel itself needs only 7844.'),
        ),
  ];
  return results.filter((r): r is CheckResult => r !== undefined);
}
