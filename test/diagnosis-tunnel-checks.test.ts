// Checks through the tunnel read as the diagnosis reads them: who answered (Cloudflare's own pages, the origin,
// nobody), one line of evidence per check, and the causes they prove next to the connector's state and the
// origin probes.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../src/diagnosis/index.js';
import { describeCheck, tunnelCheckFindings, tunnelVerdict, type TunnelCheckView, type TunnelVerdict } from '../src/diagnosis/tunnel-checks.js';
import { downSnapshot, healthySnapshot, NOW, TUNNEL_ID } from './helpers/health-snapshots.js';

const BASE = 'http://127.0.0.1:9464/docs/runbooks';
const AT = NOW - 1000;

function check(fields: Partial<TunnelCheckView> = {}): TunnelCheckView {
  return { url: 'http://app.example.com/', at: AT, durationMs: 42, ...fields };
}

/** Cloudflare's own error page: `server: cloudflare` and a plain `error code: N` body. */
const cloudflarePage = (status: number, code: number = status): TunnelCheckView =>
  check({ status, server: 'cloudflare', ray: '8f1e2d3c4b5a6978-LAX', head: `error code: ${String(code)}\n` });

/** Cloudflare took the request and nothing came back before the deadline. */
const hangOn = (url: string): TunnelCheckView => check({ url, error: 'timeout after 3s in first_byte', durationMs: 3000 });

describe('tunnelVerdict: who answered', () => {
  const cases: readonly [string, TunnelCheckView, TunnelVerdict][] = [
    ['200 from the origin (nginx)', check({ status: 200, server: 'nginx', head: 'hello' }), 'served'],
    ['503 from the origin, no Cloudflare page', check({ status: 503, server: 'nginx', head: '<html>maintenance</html>' }), 'served'],
    ['503 with no server header and no body', check({ status: 503, head: '' }), 'served'],
    ['530 with error code 1033', cloudflarePage(530, 1033), 'no_connector'],
    ['502 Cloudflare page', cloudflarePage(502), 'origin_error'],
    ['504 Cloudflare page', cloudflarePage(504), 'origin_error'],
    ['524 Cloudflare page', cloudflarePage(524), 'not_serving'],
    ['no answer: timeout in first_byte', check({ error: 'timeout after 3s in first_byte', durationMs: 3000 }), 'not_serving'],
    ['no answer: timeout in connect', check({ error: 'timeout after 3s in connect', durationMs: 3000 }), 'edge_error'],
    ['no answer: connection refused', check({ error: 'connect ECONNREFUSED 127.0.0.1:9' }), 'edge_error'],
    ['no answer: timeout in the TLS handshake with Cloudflare', check({ error: 'timeout after 3s in tls', durationMs: 3000 }), 'edge_error'],
    ['500 Cloudflare page', cloudflarePage(500), 'edge_error'],
    ['502 from an origin that is not Cloudflare (no error code head)', check({ status: 502, server: 'nginx', head: '<html>Bad Gateway</html>' }), 'served'],
    // Without the `error code` body even `server: cloudflare` is not enough: it may be the origin's own page behind Cloudflare.
    ['502 with server cloudflare but an HTML body', check({ status: 502, server: 'cloudflare', head: '<html>Bad Gateway</html>' }), 'served'],
    ['server header in other case (Cloudflare)', check({ status: 502, server: 'Cloudflare', head: 'error code: 502' }), 'origin_error'],
    // Cloudflare sends 530 with many 1xxx errors; only 1033 means no connector (1016: the origin's DNS).
    ['530 with error code 1016', cloudflarePage(530, 1016), 'edge_error'],
    ['530 from an origin that is not Cloudflare', check({ status: 530, server: 'nginx', head: 'error code: 1033' }), 'served'],
  ];
  it.each(cases)('%s', (_name, view, verdict) => {
    expect(tunnelVerdict(view)).toBe(verdict);
  });
});

describe('describeCheck', () => {
  it('shows the status, the first line of an error page, the duration and the ray', () => {
    expect(describeCheck(check({ status: 502, server: 'cloudflare', head: 'error code: 502', ray: 'abc-LAX', durationMs: 12 }))).toBe(
      'GET http://app.example.com/ through the tunnel: 502 (error code: 502) after 0.0 s, ray abc-LAX',
    );
    expect(describeCheck(check({ status: 530, head: 'error code: 1033\nmore', durationMs: 1250 }))).toBe('GET http://app.example.com/ through the tunnel: 530 (error code: 1033) after 1.3 s');
  });

  it("leaves out a body that is not Cloudflare's error page", () => {
    expect(describeCheck(check({ status: 200, server: 'nginx', head: 'hello', durationMs: 80 }))).toBe('GET http://app.example.com/ through the tunnel: 200 after 0.1 s');
  });

  it("shows the probe's error when nothing answered, and says so when there is not even an error", () => {
    expect(describeCheck(check({ error: 'timeout after 3s in first_byte', durationMs: 3001 }))).toBe('GET http://app.example.com/ through the tunnel: timeout after 3s in first_byte after 3.0 s');
    expect(describeCheck(check({ durationMs: 0 }))).toBe('GET http://app.example.com/ through the tunnel: no answer after 0.0 s');
  });
});

describe('tunnelCheckFindings', () => {
  // healthySnapshot: 4 registered connections; app.example.com probed up (http://web:8080),
  // api.example.com probed down (connect ECONNREFUSED 10.0.0.7:9000). downSnapshot: 0 registered.
  const hang = hangOn('http://app.example.com/');

  it('names a request that nobody answered while cloudflared holds registered connections: tunnel_not_serving, high', () => {
    const findings = tunnelCheckFindings([hang], healthySnapshot());
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ cause: 'tunnel_not_serving', confidence: 'high', since: AT });
    expect(findings[0]?.evidence).toEqual([
      { source: 'probe', at: AT, text: 'GET http://app.example.com/ through the tunnel: timeout after 3s in first_byte after 3.0 s' },
      { source: 'reason', at: AT, text: 'cloudflared reports 4 registered connection(s): it holds its connections but serves nothing through them' },
    ]);
  });

  it('says nothing of an unanswered request when no connection is registered: the connector causes say why', () => {
    expect(tunnelCheckFindings([hang], downSnapshot())).toEqual([]);
    expect(tunnelCheckFindings([cloudflarePage(524)], downSnapshot())).toEqual([]);
    expect(tunnelCheckFindings([hang], undefined)).toEqual([]);
  });

  it('reads a 502 for a hostname whose origin this replica reaches as the way through the connector: tunnel_not_serving, medium', () => {
    const findings = tunnelCheckFindings([cloudflarePage(502)], healthySnapshot());
    expect(findings.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_not_serving', 'medium']]);
    expect(findings[0]?.evidence[0]?.text).toBe('GET http://app.example.com/ through the tunnel: 502 (error code: 502) after 0.0 s, ray 8f1e2d3c4b5a6978-LAX');
    expect(findings[0]?.evidence[1]).toMatchObject({ source: 'probe', at: AT });
    expect(findings[0]?.evidence[1]?.text).toMatch(/^this replica's probe of app\.example\.com \(http:\/\/web:8080\) answers: the request did not get through a connector/);
  });

  it('reads a 502 for a hostname whose origin is down as the origin: tunnel_origin_error, high, with the probe reason', () => {
    const findings = tunnelCheckFindings([{ ...cloudflarePage(502), url: 'https://api.example.com/v1' }], healthySnapshot());
    expect(findings.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_origin_error', 'high']]);
    expect(findings[0]?.evidence[1]).toEqual({ source: 'probe', at: AT, text: "this replica's probe finds api.example.com down: connect ECONNREFUSED 10.0.0.7:9000" });
  });

  it('reads a 504 or a 502 for a hostname this replica does not probe as the origin too, saying no probe tells', () => {
    for (const view of [{ ...cloudflarePage(502), url: 'http://other.example.com/' }, { ...cloudflarePage(504), url: 'http://other.example.com/' }]) {
      const findings = tunnelCheckFindings([view], healthySnapshot());
      expect(findings.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_origin_error', 'high']]);
      expect(findings[0]?.evidence[1]?.text).toBe('this replica has no probe of other.example.com that tells: see the origin causes listed');
    }
  });

  it('names error 1033 tunnel_no_connector: medium while this replica holds connections (DNS may point elsewhere), high when it holds none', () => {
    const page = cloudflarePage(530, 1033);
    const withConnections = tunnelCheckFindings([page], healthySnapshot());
    expect(withConnections.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_no_connector', 'medium']]);
    expect(withConnections[0]?.evidence[1]).toEqual({ source: 'reason', at: AT, text: `this replica holds 4 registered connection(s) to tunnel ${TUNNEL_ID}` });
    const without = tunnelCheckFindings([page], downSnapshot());
    expect(without.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_no_connector', 'high']]);
    expect(without[0]?.evidence[1]?.text).toBe(`this replica holds 0 registered connection(s) to tunnel ${TUNNEL_ID}`);
  });

  it('names a request that never reached a connector tunnel_edge_error, with the check alone as evidence', () => {
    const findings = tunnelCheckFindings([check({ error: 'connect ECONNREFUSED 127.0.0.1:9' })], healthySnapshot());
    expect(findings).toEqual([{ cause: 'tunnel_edge_error', confidence: 'high', since: AT, evidence: [{ source: 'probe', at: AT, text: 'GET http://app.example.com/ through the tunnel: connect ECONNREFUSED 127.0.0.1:9 after 0.0 s' }] }]);
  });

  it('finds nothing in served requests, whatever the status', () => {
    const served = [check({ status: 200, server: 'nginx', head: 'hello' }), check({ status: 503, server: 'nginx', head: 'down' })];
    expect(tunnelCheckFindings(served, healthySnapshot())).toEqual([]);
    expect(tunnelCheckFindings(served, downSnapshot())).toEqual([]);
    expect(tunnelCheckFindings([], healthySnapshot())).toEqual([]);
  });
});

describe('diagnose with checks through the tunnel', () => {
  it('lists their causes in the end_to_end domain with the runbook link, certain ones first', () => {
    const checks = [
      hangOn('http://app.example.com/'),
      { ...cloudflarePage(530, 1033), url: 'http://gone.example.com/' },
      { ...cloudflarePage(502), url: 'http://api.example.com/' },
      check({ url: 'http://ok.example.com/', status: 200, server: 'nginx', head: 'hello' }),
    ];
    const all = diagnose({ snapshot: healthySnapshot(), lines: new Map(), runbookBaseUrl: BASE, tunnelChecks: checks });
    const endToEnd = all.filter((d) => d.domain === 'end_to_end');
    expect(endToEnd.map((d) => [d.cause, d.confidence])).toEqual([
      ['tunnel_not_serving', 'high'],
      ['tunnel_origin_error', 'high'],
      ['tunnel_no_connector', 'medium'],
    ]);
    const notServing = endToEnd[0];
    expect(notServing).toMatchObject({ runbook: `${BASE}/causes.md#tunnel_not_serving`, since: AT });
    expect(notServing?.title).toMatch(/Connected but not serving/);
    expect(notServing?.remediation).toMatch(/Restart the connector/);
    expect(notServing?.evidence.map((e) => e.source)).toEqual(['probe', 'reason']);
    // The origin probe that is down is also its own cause: the tunnel cause adds to it, it does not replace it.
    expect(all.map((d) => d.cause)).toContain('origin_refused');
  });

  it('adds nothing when every check was served, and nothing without checks', () => {
    const served = [check({ status: 200, server: 'nginx', head: 'hello' })];
    const plain = diagnose({ snapshot: healthySnapshot(), lines: new Map(), runbookBaseUrl: BASE });
    expect(diagnose({ snapshot: healthySnapshot(), lines: new Map(), runbookBaseUrl: BASE, tunnelChecks: served })).toEqual(plain);
    expect(plain.filter((d) => d.domain === 'end_to_end')).toEqual([]);
  });
});

describe('tunnelCheckFindings: the probe of the hostname', () => {
  it('matches a wildcard ingress hostname, case aside, as cloudflared does', () => {
    const s = healthySnapshot();
    const origins = s.origins.map((o) => (o.hostname === 'app.example.com' ? { ...o, hostname: '*.Example.com' } : o));
    const found = tunnelCheckFindings([cloudflarePage(502)], { ...s, origins });
    expect(found.map((f) => [f.cause, f.confidence])).toEqual([['tunnel_not_serving', 'medium']]);
  });

  it('says another replica took the request when the probe answers and this replica holds no connection', () => {
    const s = downSnapshot();
    const origins = healthySnapshot().origins;
    const found = tunnelCheckFindings([cloudflarePage(502)], { ...s, origins });
    expect(found[0]?.cause).toBe('tunnel_origin_error');
    expect(found[0]?.evidence[1]?.text).toMatch(/probe of app\.example\.com answers, but this replica holds no registered connection/);
  });
});
