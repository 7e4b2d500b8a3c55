// Outages with a cause against a real Grafana Loki: a multi-tenant Loki and a push without a tenant, a basic-auth
// gateway in front of Loki (how hosted and shared Lokis are run: Loki itself checks no password) refusing the
// credentials, and Loki killed and started again mid-stream. Each time the records wait in the spool, the cause is
// reported once without the secret, nothing is quarantined, and after the fix every record is in Loki exactly once.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/base/index.js';
import { drained, lokiScope, record, type RunningLoki, seqs } from '../helpers/loki.js';
import { poll } from '../helpers/run-process.js';

const SELECTOR = '{job="tunnelwatch"}';
const servers: Server[] = [];
const scope = lokiScope();
const loki = (authEnabled = false): Promise<RunningLoki> => scope.loki({ authEnabled });
const { sink } = scope;

/** A gateway that lets through only `user:password` in Basic auth, as nginx or a hosted Loki's does. */
async function basicAuthGateway(upstream: string, user: string, password: string): Promise<string> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="loki"', 'content-type': 'text/plain' });
      res.end(`401 Unauthorized: ${req.headers.authorization ?? 'no credentials'}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
}, 60_000);

describe('tunnelwatch\'s Loki sink through outages of a real Loki', () => {
  it('multi-tenant Loki and no tenant set: "no org id" is an outage naming logs.loki.tenant; with the tenant, all arrive in it', async () => {
    const l = await loki(true);
    const spool = `${l.dir}/spool`;
    const without = await sink(l.url, {}, spool);
    await without.ship(Array.from({ length: 30 }, (_, i) => record(i)));
    const problem = await poll(() => without.problems[0], 'the sink to report a problem', 20_000);
    expect(problem).toBe('Loki runs multi-tenant and the push named no tenant (HTTP 401: no org id): set logs.loki.tenant');
    expect(without.stats.quarantined).toBe(0);
    await scope.stopSink(without);

    // The fix is a setting: tunnelwatch restarts with it and ships the same spool.
    const withTenant = await sink(l.url, { tenant: 'team-sre' }, spool);
    await drained(withTenant, 'the spool to drain into tenant team-sre');
    expect(seqs(await l.entries(SELECTOR, { tenant: 'team-sre' }))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await l.entries(SELECTOR, { tenant: 'team-other' })).toEqual([]);
  }, 60_000);

  it('a gateway refusing the password: an outage with the cause, the password nowhere; the right one ships everything', async () => {
    const l = await loki();
    const gateway = await basicAuthGateway(l.url, 'tunnelwatch', 'right-password');
    const spool = `${l.dir}/spool`;
    const wrong = await sink(gateway, { username: 'tunnelwatch', password: new Secret('stale-password') }, spool);
    await wrong.ship(Array.from({ length: 30 }, (_, i) => record(i)));
    const problem = await poll(() => wrong.problems[0], 'the sink to report a problem', 20_000);
    expect(problem).toBe('Loki rejected the credentials (HTTP 401): check logs.loki.username and logs.loki.password');
    const seen = JSON.stringify([wrong.problems, wrong.stats]);
    expect(seen).not.toContain('stale-password');
    expect(seen).not.toContain(Buffer.from('tunnelwatch:stale-password').toString('base64'));
    expect(wrong.stats.quarantined).toBe(0);
    expect(() => readFileSync(wrong.quarantinePath)).toThrow(/ENOENT/);
    await scope.stopSink(wrong);

    const right = await sink(gateway, { username: 'tunnelwatch', password: new Secret('right-password') }, spool);
    await drained(right, 'the spool to drain through the gateway');
    expect(seqs(await l.entries(SELECTOR))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  }, 60_000);

  it('Loki killed (SIGKILL) and started again on its data mid-stream: every record arrives exactly once, in order', async () => {
    const l = await loki();
    const s = await sink(l.url);
    let seq = 0;
    const burst = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++, seq++) {
        await s.ship([record(seq)]);
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    };
    await burst(500);
    await drained(s, 'the first burst in Loki');
    await burst(500);
    await l.kill();
    await burst(1000);
    await poll(() => (s.stats.lastError?.startsWith('network:') === true ? true : undefined), 'a refused push while Loki is down', 20_000);
    await l.resume();
    await burst(500);
    await drained(s, 'the spool to drain after Loki came back');
    expect(s.stats.quarantined).toBe(0);
    expect(seqs(await l.entries(SELECTOR))).toEqual(Array.from({ length: seq }, (_, i) => i));
  }, 90_000);
});
