import { describe, expect, it } from 'vitest';
import type { LogSummary } from '../src/analysis/summary.js';
import { summarise } from '../src/analysis/summary.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { runBin, runCli } from './helpers/cli.js';

const INCIDENT = 'examples/logs/cloudflared-incident.log';

function summaryOf(lines: string[]): LogSummary {
  return summarise(lines.map((l) => parseLogLine(l)));
}

const reg = (i: number, t: string, loc = 'lax01', proto = 'quic') =>
  `2026-08-20T10:00:${t}Z INF Registered tunnel connection connIndex=${String(i)} connection=5c94b68c-3f1d-4b2a-9e8f-7a6b5c4d3e2f event=0 ip=198.41.200.13 location=${loc} protocol=${proto}`;

describe('analyze --json over a real-format log (built executable)', () => {
  it('gives the summary worked out by hand from examples/logs/cloudflared-incident.log', async () => {
    const run = await runBin(['analyze', '--json', INCIDENT]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { events, summary } = JSON.parse(run.stdout) as { events: { type: string }[]; summary: LogSummary };
    expect(events).toHaveLength(101);
    expect(events.filter((e) => e.type === 'registered')).toHaveLength(14);
    expect(summary).toMatchObject({
      version: '2026.8.2',
      connectorId: '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b',
      tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef',
      connectionsUp: [0, 1, 2],
      registrations: 14,
      disconnects: 11,
      fallbacks: 1,
      originErrors: 3,
      disconnectReasons: [
        { reason: 'http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=""', count: 5 },
        { reason: 'graceful shutdown', count: 4 },
        { reason: 'connection with edge closed', count: 1 },
        { reason: 'failed to accept QUIC stream: timeout: no recent network activity', count: 1 },
      ],
      reconnectStorms: [{ start: Date.parse('2026-08-20T11:10:00Z'), end: Date.parse('2026-08-20T11:12:00Z'), disconnects: 5, connIndexes: [2, 3] }],
      protocols: { quic: 5, http2: 9 },
      formats: { console: 95, json: 4, empty: 1, plain: 1 },
    });
    expect(summary.originErrorsByService.map((o) => [o.originService, o.count])).toEqual([
      ['http://localhost:8080', 2],
      ['http://10.0.0.7:9000', 1],
    ]);
    expect(summary.configVersions.map((c) => [c.version, c.rules])).toEqual([
      [3, 3],
      [3, 3],
      [4, 3],
    ]);
  });

  it('reads standard input and prints the human report', async () => {
    const run = await runCli(['analyze'], { stdin: [reg(0, '01'), reg(1, '02', 'ams07')].join('\n') });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('connections up at end of log: 0 1');
    expect(run.stdout).toContain('registered at ams07 over quic edge 198.41.200.13');
  });

  it('says which file it cannot read, with exit code 1', async () => {
    const run = await runCli(['analyze', '/nonexistent/cloudflared.log']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot read \/nonexistent\/cloudflared.log: ENOENT/);
  });

  it('rejects two files and unknown flags with exit code 2', async () => {
    expect((await runCli(['analyze', 'a', 'b'])).code).toBe(2);
    expect((await runCli(['analyze', '--jsn'])).code).toBe(2);
  });
});

describe('summary semantics', () => {
  it('counts a loss once however many lines describe it, with the first error as the reason', () => {
    const s = summaryOf([
      reg(0, '01'),
      '2026-08-20T10:05:00Z INF Unregistered tunnel connection connIndex=0 event=0 ip=198.41.200.13',
      '2026-08-20T10:05:00Z ERR failed to accept incoming stream requests error="failed to accept QUIC stream: timeout: no recent network activity" connIndex=0 event=0 ip=198.41.200.13',
      '2026-08-20T10:05:00Z WRN Serve tunnel error error="accept stream listener encountered a failure while serving" connIndex=0 event=0 ip=198.41.200.13',
      '2026-08-20T10:05:00Z INF Retrying connection in up to 1s connIndex=0 event=0 ip=198.41.200.13',
      '2026-08-20T10:05:00Z WRN Connection terminated error="accept stream listener encountered a failure while serving" connIndex=0',
    ]);
    expect(s.disconnects).toBe(1);
    expect(s.disconnectReasons).toEqual([{ reason: 'failed to accept QUIC stream: timeout: no recent network activity', count: 1 }]);
    expect(s.connectionsUp).toEqual([]);
  });

  it('treats the 2022 wording like the current one', () => {
    const s = summaryOf([
      '2022-03-01T10:00:00Z INF Connection 5c94b68c-3f1d-4b2a-9e8f-7a6b5c4d3e2f registered connIndex=0 location=LAX ip=198.41.200.13',
      '2022-03-01T10:00:01Z INF Connection 6d94b68c-3f1d-4b2a-9e8f-7a6b5c4d3e2f registered connIndex=1 location=ORD ip=198.41.192.7',
      '2022-03-01T10:01:00Z INF Retrying connection in up to 2 seconds connIndex=1',
    ]);
    expect(s).toMatchObject({ registrations: 2, disconnects: 1, connectionsUp: [0], locations: { LAX: 1, ORD: 1 } });
    expect(s.disconnectReasons).toEqual([{ reason: 'unknown (cloudflared logged no error)', count: 1 }]);
  });

  it('ends every connection when a new process starts without a shutdown', () => {
    const s = summaryOf([reg(0, '01'), reg(1, '02'), '2026-08-20T11:00:00Z INF Starting tunnel tunnelID=6ff42ae2-765d-4adf-8112-31c55c1551ef']);
    expect(s.disconnects).toBe(2);
    expect(s.disconnectReasons).toEqual([{ reason: 'connector restarted without a clean shutdown', count: 2 }]);
    expect(s.connectionsUp).toEqual([]);
  });

  it('ranks edge registration refusals (bad token) separately', () => {
    const line = '2026-08-20T10:00:01Z ERR Register tunnel error from server side error="Unauthorized: Invalid tunnel secret" connIndex=0 event=0 ip=198.41.200.13';
    const s = summaryOf([line, line]);
    expect(s.registerErrors).toEqual([{ reason: 'Unauthorized: Invalid tunnel secret', count: 2 }]);
    expect(s.disconnects).toBe(0);
  });

  it('does not call four spaced-out losses a storm', () => {
    const lines: string[] = [];
    for (let k = 0; k < 4; k++) {
      lines.push(reg(0, `0${String(k)}`), `2026-08-20T10:0${String(k)}:30Z INF Lost connection with the edge connIndex=0`);
    }
    expect(summaryOf(lines).reconnectStorms).toEqual([]);
  });
});

describe('analyze names the causes, with the lines that prove them', () => {
  it('on the real binary exiting because the SRV lookup of the edge fails', async () => {
    const run = await runCli(['analyze', 'test/fixtures/real/dns-srv-failure.log']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('\nCauses\n  The edge cannot be found: DNS lookup failed [edge_dns_failed, edge_reachability]\n');
    expect(run.stdout).toContain('2026-12-06T19:23:10Z  edge discovery: error looking up Cloudflare edge IPs: the DNS query failed: lookup _v2-origintunneld._tcp.argotunnel.com on 10.255.255.53:53: no such host\n');
    expect(run.stdout).toMatch(/fix: cloudflared finds the edge through DNS/);
  });

  it('on a failed pre-check table, in --json too', async () => {
    const lines = [
      '{"level":"info","run_id":"4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","component":"UDP Connectivity","target":"region1.v2.argotunnel.com:7844","status":"FAIL","details":"Allow outbound QUIC traffic on port 7844","time":"2026-08-20T10:00:01Z","message":"precheck"}',
      '{"level":"info","run_id":"4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","component":"TCP Connectivity","target":"region1.v2.argotunnel.com:7844","status":"FAIL","details":"Allow outbound TCP traffic on port 7844","time":"2026-08-20T10:00:01Z","message":"precheck"}',
    ];
    const run = await runCli(['analyze', '--json', '-'], { stdin: `${lines.join('\n')}\n` });
    const { diagnosis } = JSON.parse(run.stdout) as { diagnosis: { cause: string; evidence: { text: string }[] }[] };
    expect(diagnosis.map((d) => d.cause)).toEqual(['tcp_7844_blocked', 'udp_7844_blocked']);
    expect(diagnosis[1]?.evidence[0]?.text).toBe('precheck UDP Connectivity region1.v2.argotunnel.com:7844: FAIL (Allow outbound QUIC traffic on port 7844)');
  });
});

