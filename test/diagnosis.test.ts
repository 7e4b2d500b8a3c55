// The diagnosis model on cloudflared's own words (lines as the real 2026.8.2 binary and the wild corpus write
// them) and on the health model's snapshots.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/index.js';
import { causeOfLine, diagnose, LineEvidence, originCause, renderCausesDoc, type CauseId, type ReachView } from '../src/diagnosis/index.js';
import type { HealthSnapshot, Observation } from '../src/state/index.js';
import { connected, edgeOk, fellBack, lost, proc, probe, refused, registerFails, run, T0, targets } from './helpers/state-observations.js';

const BASE = 'http://127.0.0.1:9464/docs/runbooks';

const LINES: readonly [string, CauseId | undefined][] = [
  ['2026-12-06T10:00:00Z ERR Register tunnel error from server side error="Unauthorized: Invalid tunnel secret" connIndex=0 event=0 ip=127.0.0.1', 'credentials_rejected'],
  ['2026-12-06T10:00:00Z ERR Register tunnel error from server side error="Unauthorized: Failed to get tunnel" connIndex=0 event=0 ip=127.0.0.1', 'tunnel_not_found'],
  ['Provided Tunnel token is not valid.', 'token_malformed'],
  ['Error opening metrics server listener: failed to bind to address (127.0.0.1:20241): listen tcp 127.0.0.1:20241: bind: address already in use', 'metrics_port_in_use'],
  ['2026-08-20T16:10:00Z ERR Initiating shutdown error="Could not lookup srv records on _v2-origintunneld._tcp.argotunnel.com: lookup _v2-origintunneld._tcp.argotunnel.com on 127.0.0.53:53: server misbehaving"', 'edge_dns_failed'],
  ['2026-08-20T16:10:00Z ERR edge discovery: error looking up Cloudflare edge IPs: the DNS query failed error="lookup region1.v2.argotunnel.com on 127.0.0.53:53: server misbehaving"', 'edge_dns_failed'],
  ['2026-08-20T16:10:00Z ERR Unable to establish connection with Cloudflare edge error="DialContext error: dial tcp 198.41.192.67:7844: i/o timeout" connIndex=0 event=0 ip=198.41.192.67', 'tcp_7844_blocked'],
  ['2026-08-20T16:10:00Z ERR Unable to establish connection with Cloudflare edge error="TLS handshake with edge error: read tcp 10.0.0.12:51234->198.41.192.67:7844: read: connection reset by peer" connIndex=0', 'edge_tls_failed'],
  ['2026-08-20T16:10:00Z ERR Failed to dial a quic connection error="failed to dial to edge with quic: timeout: no recent network activity" connIndex=0 event=0 ip=198.41.192.67', 'udp_7844_blocked'],
  ['2026-08-20T16:10:05Z INF Switching to fallback protocol http2 connIndex=0 event=0 ip=198.41.192.67', 'udp_7844_blocked'],
  ['{"level":"info","component":"UDP Connectivity","target":"region1.v2.argotunnel.com:7844","status":"FAIL","details":"reached 0/2 edge addresses","time":"2026-08-20T10:00:01Z","message":"precheck"}', 'udp_7844_blocked'],
  ['{"level":"info","component":"UDP Connectivity","target":"region1.v2.argotunnel.com:7844","status":"PASS","details":"reached 2/2 edge addresses","time":"2026-08-20T10:00:01Z","message":"precheck"}', undefined],
  ['2026-08-20T10:00:01Z ERR Couldn\'t start tunnel error="The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)"', 'config_invalid'],
  ['2026-12-06T10:00:00Z ERR  error="Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:9: connect: connection refused" connIndex=1 event=1 ingressRule=1 originService=http://127.0.0.1:9', 'origin_refused'],
  ['2026-12-06T10:00:00Z ERR  error="Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: tls: failed to verify certificate: x509: certificate signed by unknown authority" connIndex=1 event=1 ingressRule=2 originService=https://10.0.0.5', 'origin_tls_untrusted'],
  ['2026-12-06T10:00:00Z INF Registered tunnel connection connIndex=0 connection=5e1c0f7e-0000-4000-8000-000000000000 event=0 ip=127.0.0.1 location=lax01 protocol=quic', undefined],  ['2026-08-20T16:10:00Z ERR Failed to dial a quic connection error="failed to dial to edge with quic: CRYPTO_ERROR 0x12a (local): tls: failed to verify certificate: x509: certificate signed by unknown authority" connIndex=0 event=0 ip=198.41.192.67', 'edge_tls_failed'],
];

const last = (observations: readonly Observation[]): HealthSnapshot => run(observations).snapshots.at(-1) as HealthSnapshot;

function diagnosisOf(snapshot: HealthSnapshot, lines: readonly string[] = [], reach?: ReachView) {
  const evidence = new LineEvidence();
  lines.forEach((line, i) => evidence.observe(parseLogLine(line), T0 + i));
  return diagnose({ snapshot, lines: evidence.proofs(snapshot.at), runbookBaseUrl: BASE, ...(reach ? { reach } : {}) });
}

describe('the cause a cloudflared line proves', () => {
  it.each(LINES)('%s', (line, cause) => {
    expect(causeOfLine(parseLogLine(line))).toBe(cause);
  });
});

describe('diagnose', () => {
  it('names a bad token over HTTP/2 by the line, with the evidence, the fix and the runbook', () => {
    const s = last([proc(T0, 'running'), refused(T0 + 10, 0)]);
    const [d, ...rest] = diagnosisOf(s, [LINES[0]?.[0] ?? '']);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ cause: 'credentials_rejected', domain: 'credentials', confidence: 'high', runbook: `${BASE}/causes.md#credentials_rejected` });
    expect(d?.evidence.map((e) => e.source)).toEqual(['log', 'reason']);
    expect(d?.evidence[0]?.text).toBe('Register tunnel error from server side: Unauthorized: Invalid tunnel secret');
    expect(d?.remediation).toMatch(/token/);
  });

  it('infers a rejected token over QUIC, where cloudflared logs no words, from the failed registrations: medium confidence', () => {
    const s = last([...connected(T0, 4), registerFails(T0 + 10, 0), ...[0, 1, 2, 3].map((i) => lost(T0 + 61_000 * (i + 1), i)), registerFails(T0 + 300_000, 3)]);
    const d = diagnosisOf(s);
    expect(d.map((x) => [x.cause, x.confidence])).toEqual([['credentials_rejected', 'medium']]);
    expect(d[0]?.evidence[0]?.text).toMatch(/^registration_refused: .*cloudflared does not log the reason over QUIC/);
  });

  it('clears the start-up causes once a connection registers, but keeps the fallback while it lasts', () => {
    const s = last([...connected(T0, 4), fellBack(T0 + 20, 0)]);
    const lines = [LINES[6]?.[0] ?? '', LINES[8]?.[0] ?? '', LINES[9]?.[0] ?? '', '2026-12-06T10:00:00Z INF Registered tunnel connection connIndex=0 connection=5e1c0f7e-0000-4000-8000-000000000000 event=0 ip=127.0.0.1 location=lax01 protocol=http2'];
    expect(diagnosisOf(s, lines).map((d) => d.cause)).toEqual(['udp_7844_blocked']);
  });

  it('says the fallback outlived its cause when the live UDP check reaches the edge again', () => {
    const s = last([...connected(T0, 4), fellBack(T0 + 20, 0)]);
    const reach: ReachView = { checks: [{ check: 'udp', target: 'region1.v2.argotunnel.com', address: '198.41.192.7', port: 7844, status: 'reachable' }] };
    const d = diagnosisOf(s, [LINES[9]?.[0] ?? ''], reach);
    expect(d.map((x) => x.cause)).toEqual(['quic_fallback_persists']);
    expect(d[0]?.evidence.at(-1)?.text).toBe('UDP 198.41.192.7:7844 answers QUIC now');
  });

  it('reports a crash by its fatal line, not as a bare crash, and a kill from outside as one', () => {
    const crashing = last([proc(T0, 'running'), proc(T0 + 10, 'breaker_open', 'exit 1; its last error: Error opening metrics server listener: ...')]);
    expect(diagnosisOf(crashing, [LINES[3]?.[0] ?? '']).map((d) => d.cause)).toEqual(['metrics_port_in_use']);
    expect(diagnosisOf(crashing).map((d) => d.cause)).toEqual(['connector_crashed']);
    const killed = last([...connected(T0, 4), proc(T0 + 30, 'backoff', 'signal SIGKILL')]);
    expect(diagnosisOf(killed).map((d) => [d.cause, d.evidence[0]?.text])).toEqual([['connector_killed', 'restarting; last exit: signal SIGKILL']]);
    const hung = last([...connected(T0, 4), proc(T0 + 30, 'backoff', 'hang; its last error: ...')]);
    expect(diagnosisOf(hung).map((d) => d.cause)).toEqual(['connector_hung']);
    const gone = last([...connected(T0, 4), proc(T0 + 30, 'backoff', 'disconnected_too_long')]);
    expect(diagnosisOf(gone).map((d) => d.cause)).toEqual(['disconnected_too_long']);
  });

  it('names each dead origin by what its probe found', () => {
    const keys = ['rule0:http://127.0.0.1:8000', 'rule1:https://10.0.0.5', 'rule2:http://nowhere.internal'];
    const down = (key: string, error: string): Observation[] => [probe(T0 + 10, key, false, error), probe(T0 + 20, key, false, error), probe(T0 + 30, key, false, error)];
    const s = last([
      ...connected(T0, 4),
      targets(T0 + 5, keys),
      ...down(keys[0] ?? '', 'connect ECONNREFUSED 127.0.0.1:8000'),
      ...down(keys[1] ?? '', 'self-signed certificate not trusted (set originRequest.caPool)'),
      ...down(keys[2] ?? '', 'getaddrinfo ENOTFOUND nowhere.internal'),
    ]);
    const d = diagnosisOf(s);
    expect(d.map((x) => x.cause)).toEqual(['origin_refused', 'origin_unknown_host', 'origin_tls_untrusted']);
    expect(d[0]?.evidence[0]).toMatchObject({ source: 'probe', text: 'rule0:http://127.0.0.1:8000 (http://127.0.0.1:8000): connect ECONNREFUSED 127.0.0.1:8000' });
    expect(d.find((x) => x.cause === 'origin_tls_untrusted')?.remediation).toMatch(/caPool.*originServerName.*noTLSVerify only hides/);
  });

  it('ignores a failed pre-check once a connection registered in the same run', () => {
    const evidence = new LineEvidence();
    const registeredLine = LINES[15]?.[0] ?? '';
    const udpFail = LINES[10]?.[0] ?? '';
    evidence.observe(parseLogLine(registeredLine), T0);
    expect(evidence.observe(parseLogLine(udpFail), T0 + 1)).toBeUndefined();
    evidence.observe(parseLogLine('2026-12-06T10:00:00Z INF Version 2026.8.2 (Checksum 9cff32bed55007b1ecc84f27b812648172cf765ab69b0678f05c81a410cff51d)'), T0 + 2);
    expect(evidence.observe(parseLogLine(udpFail), T0 + 3)).toBe('udp_7844_blocked');
  });

  it('names the cause of the real binary exiting on a failed SRV lookup (2026.8.2, no edge DNS)', () => {
    const text = readFileSync(new URL('fixtures/real/dns-srv-failure.log', import.meta.url), 'utf8');
    const evidence = new LineEvidence({ forget: false });
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const event = parseLogLine(line);
      evidence.observe(event, event.timestamp);
    }
    const d = diagnose({ lines: evidence.proofs(0), runbookBaseUrl: BASE });
    expect(d.map((x) => x.cause)).toEqual(['edge_dns_failed']);
    expect(d[0]?.evidence.at(-1)?.text).toBe('5 such lines in all');
  });

  it.each([
    ['timeout after 10s in tls', 'origin_timeout'],
    ['certificate expired', 'origin_tls_untrusted'],
    ['certificate not valid for the server name (set originRequest.originServerName)', 'origin_tls_untrusted'],
    ['connect ECONNREFUSED 10.0.0.5:443', 'origin_refused'],
    ['getaddrinfo EAI_AGAIN db.internal', 'origin_unknown_host'],
    ['status 503', 'origin_5xx'],
    ['no SSH banner: got "HTTP/1.1 400"', undefined],
  ])('reads the probe error %j as %s', (error, cause) => {
    expect(originCause(error)).toBe(cause);
  });

  it('lets origin lines fade five minutes after the last one', () => {
    const evidence = new LineEvidence();
    evidence.observe(parseLogLine(LINES[13]?.[0] ?? ''), T0);
    expect([...evidence.proofs(T0 + 299_000).keys()]).toEqual(['origin_refused']);
    expect([...evidence.proofs(T0 + 301_000).keys()]).toEqual([]);
  });

  it('reads the HA picture from the edge view: one connector, versions apart', () => {
    const alone = last([...connected(T0, 4), edgeOk(T0 + 10, [{ id: 'c-1', n: 4 }])]);
    expect(diagnosisOf(alone).map((d) => d.cause)).toEqual(['single_replica']);
    const apart = last([...connected(T0, 4), edgeOk(T0 + 10, [{ id: 'c-1', n: 4, version: '2026.8.2' }, { id: 'c-2', n: 4, version: '2025.6.1' }])]);
    expect(diagnosisOf(apart).map((d) => [d.cause, d.evidence[0]?.text])).toEqual([['version_skew', 'connectors run 2026.8.2 and 2025.6.1: c-1 2026.8.2, c-2 2025.6.1']]);
  });

  it('names slow origins and a slow path to the edge by the thresholds', () => {
    const key = 'rule0:http://127.0.0.1:8000';
    const slow = (at: number): Observation => ({ kind: 'origin', at, key, ok: true, durationMs: 2500 });
    const s = last([...connected(T0, 4), targets(T0 + 5, [key]), slow(T0 + 10), slow(T0 + 20), slow(T0 + 30)]);
    const thresholds = { originLatencyMs: 2000, edgeRttMs: 500 };
    const d = diagnose({ snapshot: s, lines: new Map(), runbookBaseUrl: BASE, thresholds, edgeRtt: [{ connIndex: 0, smoothedRttMs: 40 }, { connIndex: 2, smoothedRttMs: 730 }] });
    expect(d.map((x) => [x.cause, x.domain, x.evidence[0]?.text])).toEqual([
      ['origin_slow', 'latency', `${key}: answered in 2500 ms (threshold 2000 ms)`],
      ['edge_slow', 'latency', 'cloudflared_quic_client_smoothed_rtt{conn_index="2"} 730 ms (threshold 500 ms)'],
    ]);
    expect(diagnose({ snapshot: s, lines: new Map(), runbookBaseUrl: BASE, thresholds: { originLatencyMs: 3000, edgeRttMs: 1000 }, edgeRtt: [{ connIndex: 2, smoothedRttMs: 730 }] })).toEqual([]);
  });

  it('names a replica running another tunnel than edge.tunnelId', () => {
    const starting = parseLogLine('2026-12-06T19:23:10Z INF Starting tunnel tunnelID=6ff42ae2-765d-4adf-8112-31c55c1551ef');
    const s = last([proc(T0, 'running'), { kind: 'log', at: T0 + 1, event: starting }]);
    const other = diagnose({ snapshot: s, lines: new Map(), runbookBaseUrl: BASE, expectedTunnelId: '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d' });
    expect(other.map((d) => [d.cause, d.evidence[0]?.text])).toEqual([['other_tunnel', 'cloudflared runs tunnel 6ff42ae2-765d-4adf-8112-31c55c1551ef; edge.tunnelId is 3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d']]);
    expect(diagnose({ snapshot: s, lines: new Map(), runbookBaseUrl: BASE, expectedTunnelId: '6FF42AE2-765D-4ADF-8112-31C55C1551EF' })).toEqual([]);
  });

  it('keeps the first line and the latest two, and counts the rest', () => {
    const s = last([proc(T0, 'running')]);
    const line = LINES[6]?.[0] ?? '';
    const [d] = diagnosisOf(s, [line, line, line, line, line]);
    expect(d?.evidence.map((e) => e.at ?? e.text)).toEqual([T0, T0 + 3, T0 + 4, '5 such lines in all']);
  });
});

describe('docs/runbooks/causes.md', () => {
  it('is the render of the catalogue (run `npm run docs` after changing a cause)', () => {
    expect(readFileSync(new URL('../docs/runbooks/causes.md', import.meta.url), 'utf8')).toBe(renderCausesDoc());
  });
});
