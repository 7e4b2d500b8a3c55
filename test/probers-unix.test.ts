import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ORIGIN_REQUEST, type OriginRequest } from '../src/cloudflared/config/origin-request.js';
import { parseOriginService } from '../src/cloudflared/config/origin-service.js';
import { createSelfSigned } from '../src/emulator/self-signed-cert.js';
import { runProbe, type Prober, type ProbeService, type ProbeTarget } from '../src/probers/index.js';
import { createUnixProber, probeUnix as unixProber } from '../src/probers/unix.js';

/** A prober in its frame, as the origins collector runs it. */
const framed = (prober: Prober) => (t: ProbeTarget, s: AbortSignal) => runProbe(t, s, prober);
const probeUnix = framed(unixProber);

const dir = mkdtempSync(join(tmpdir(), 'tw-probe-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function target(service: string, originRequest: Partial<OriginRequest> = {}, timeoutMs = 2000): ProbeTarget {
  return {
    key: `rule0:${service}`,
    service: parseOriginService(service, false) as ProbeService,
    serviceText: service,
    originRequest: { ...DEFAULT_ORIGIN_REQUEST, ...originRequest },
    timeoutMs,
    rules: [0],
  };
}

const signal = new AbortController().signal;
const servers: Server[] = [];
let n = 0;

async function listen(server: Server): Promise<string> {
  const path = join(dir, `s${String(n++)}.sock`);
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return path;
}

afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('unix prober', () => {
  it('GETs over a unix socket with Host localhost, or httpHostHeader', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const path = await listen(createHttpServer((req, res) => { seen.push(req.headers); res.statusCode = 404; res.end(); }));
    expect(await probeUnix(target(`unix:${path}`), signal)).toMatchObject({ ok: true, status: 404 });
    await probeUnix(target(`unix:${path}`, { httpHostHeader: 'app.internal' }), signal);
    expect(seen.map((h) => h.host)).toEqual(['localhost', 'app.internal']);
  });

  it('reports a missing socket', async () => {
    const result = await probeUnix(target(`unix:${join(dir, 'missing.sock')}`), signal);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^connect ENOENT .*missing\.sock$/);
  });

  it('ends a socket that accepts and never answers with a first_byte timeout', async () => {
    const path = await listen(createHttpServer(() => undefined));
    const result = await probeUnix(target(`unix:${path}`, {}, 200), signal);
    expect(result).toMatchObject({ ok: false, error: 'timeout after 0.2s in first_byte' });
  });

  it('speaks TLS for unix+tls, verifying localhost unless originServerName says otherwise', async () => {
    const cert = createSelfSigned({ commonName: 'sock', altNames: ['sock.internal'] });
    const path = await listen(createHttpsServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end()));
    const prober = framed(createUnixProber({ readCaPool: () => Promise.resolve(cert.cert) }));
    const wrongName = await prober(target(`unix+tls:${path}`, { caPool: 'ca.pem' }), signal);
    expect(wrongName).toMatchObject({ ok: false, error: 'certificate not valid for the server name (set originRequest.originServerName)' });
    const right = await prober(target(`unix+tls:${path}`, { caPool: 'ca.pem', originServerName: 'sock.internal' }), signal);
    expect(right).toMatchObject({ ok: true, status: 200 });
    expect(right.tlsNotAfter).toBeGreaterThan(Date.now());
  });
});
