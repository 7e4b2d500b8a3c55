import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import type { FieldValue } from '../src/cloudflared/log/event.js';
import { type EdgeProxy, type EdgeProxyHooks, startEdgeProxy } from '../src/emulator/cloudflared/edge-proxy.js';
import {
  reserveDeadPort,
  type RunningOrigin,
  startBlackholeOrigin,
  startHttpOrigin,
  startTcpOrigin,
  startTlsOrigin,
} from '../src/emulator/origins.js';

const CONNECTOR = '2b7a1c4e-9f0d-4e1a-8c3b-5d6e7f8a9b0c';
const EDGE_IP = '198.41.200.13';
const UNREACHABLE = 'Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: ';

interface LogCall {
  readonly level: string;
  readonly message: string;
  readonly fields?: Readonly<Record<string, FieldValue>>;
  readonly error?: string;
}

/** ProxyHooks recording every call, with a promise for "no request in flight any more". */
function fakeHooks(yaml: string, options: { connIndex?: number | null; protocol?: 'quic' | 'http2' } = {}) {
  const { config, diagnostics } = parseCloudflaredConfig(yaml, 'config.yml');
  if (!config) throw new Error(JSON.stringify(diagnostics));
  const rec = { logs: [] as LogCall[], started: 0, ended: 0, responses: [] as number[], errors: 0 };
  const idle: (() => void)[] = [];
  const hooks: EdgeProxyHooks = {
    rules: () => config.rules,
    pickConnIndex: () => (options.connIndex === null ? undefined : (options.connIndex ?? 2)),
    edgeIp: () => EDGE_IP,
    connectorId: CONNECTOR,
    log: (level, message, fields, error) => {
      rec.logs.push({ level, message, ...(fields ? { fields } : {}), ...(error === undefined ? {} : { error }) });
    },
    onRequestStart: () => {
      rec.started++;
    },
    onRequestEnd: () => {
      rec.ended++;
      if (rec.ended === rec.started) for (const resolve of idle.splice(0)) resolve();
    },
    onResponse: (status) => {
      rec.responses.push(status);
    },
    onError: () => {
      rec.errors++;
    },
    ...(options.protocol ? { protocol: () => options.protocol } : {}),
  };
  /** Resolves once `n` requests have started and every started one has ended. */
  const settled = (n = 1): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (rec.started >= n && rec.ended === rec.started) resolve();
        else idle.push(check);
      };
      check();
    });
  return { hooks, rec, settled };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function visit(edge: EdgeProxy, host: string, path = '/', options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const [hostname, port] = [edge.address.slice(0, edge.address.lastIndexOf(':')), Number(edge.address.slice(edge.address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: { host, ...options.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

interface Echo {
  origin: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A TCP server that reads and never answers, telling the test when a request arrived. */
function hungServer(): Promise<{ server: Server; port: number; arrived: Promise<void> }> {
  return new Promise((resolve) => {
    let arrivedResolve = (): void => undefined;
    const arrived = new Promise<void>((r) => (arrivedResolve = r));
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        arrivedResolve();
      });
    });
    server.on('close', () => {
      for (const s of sockets) s.destroy();
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0, arrived });
    });
  });
}

const origins: RunningOrigin[] = [];
let alpha: RunningOrigin;
let beta: RunningOrigin;
let tlsOrigin: RunningOrigin & { cert: string };
let sshOrigin: RunningOrigin;
let unixOrigin: RunningOrigin;
let blackhole: RunningOrigin;
let deadPort: number;
let dir: string;
let caFile: string;
let edge: EdgeProxy | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tw-edge-'));
  alpha = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'alpha' });
  beta = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'beta' });
  tlsOrigin = await startTlsOrigin({ listen: '127.0.0.1:0', name: 'secure' });
  sshOrigin = await startTcpOrigin({ listen: '127.0.0.1:0' });
  unixOrigin = await startHttpOrigin({ listen: join(dir, 'app.sock'), name: 'unix' });
  blackhole = await startBlackholeOrigin();
  origins.push(alpha, beta, tlsOrigin, sshOrigin, unixOrigin, blackhole);
  deadPort = await reserveDeadPort();
  caFile = join(dir, 'origin-ca.pem');
  await writeFile(caFile, tlsOrigin.cert);
});

afterAll(async () => {
  await Promise.all(origins.map((o) => o.close()));
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await edge?.close();
  edge = undefined;
});

async function start(yaml: string, options?: Parameters<typeof fakeHooks>[1]) {
  const fake = fakeHooks(yaml, options);
  edge = await startEdgeProxy('127.0.0.1:0', fake.hooks);
  return { ...fake, edge };
}

function routingYaml(): string {
  return `
ingress:
  - hostname: app.example.com
    path: ^/api/
    service: http://${beta.address}
  - hostname: app.example.com
    service: http://${alpha.address}
  - hostname: "*.wild.example.com"
    service: http://${beta.address}
  - hostname: teapot.example.com
    service: http_status:418
  - service: http_status:404
`;
}

describe('routing', () => {
  it('matches by host with the port stripped, by path, by wildcard, and falls through to the catch-all', async () => {
    const { rec, settled, edge } = await start(routingYaml());
    const answers = [
      await visit(edge, 'app.example.com:8443', '/index.html'),
      await visit(edge, 'app.example.com', '/api/users'),
      await visit(edge, 'a.b.wild.example.com', '/'),
      await visit(edge, 'wild.example.com', '/'),
      await visit(edge, 'teapot.example.com', '/brew'),
    ];
    await settled(5);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 418]);
    expect((JSON.parse(answers[0]?.body ?? '') as Echo).origin).toBe('alpha');
    expect((JSON.parse(answers[1]?.body ?? '') as Echo).origin).toBe('beta');
    expect((JSON.parse(answers[2]?.body ?? '') as Echo).origin).toBe('beta');
    expect(answers[3]?.body).toBe('');
    expect(rec.responses).toEqual([200, 200, 200, 404, 418]);
    expect(rec).toMatchObject({ started: 5, ended: 5, errors: 0, logs: [] });
  });

  it('counts origin statuses as they come and streams request bodies through', async () => {
    const { rec, settled, edge } = await start(routingYaml());
    const missing = await visit(edge, 'app.example.com', '/status/503');
    const posted = await visit(edge, 'app.example.com', '/submit', { method: 'POST', body: 'name=tunnel' });
    await settled(2);
    expect(missing.status).toBe(503);
    expect(JSON.parse(posted.body)).toMatchObject({ method: 'POST', body: 'name=tunnel' });
    expect(rec.responses).toEqual([503, 200]);
  });

  it('answers 530 (error 1033) without touching cloudflared when no connection is up', async () => {
    const { rec, edge } = await start(routingYaml(), { connIndex: null });
    const answer = await visit(edge, 'app.example.com');
    expect(answer.status).toBe(530);
    expect(answer.body).toContain('Error 1033');
    expect(rec).toMatchObject({ started: 0, ended: 0, responses: [], errors: 0, logs: [] });
  });
});

describe('headers', () => {
  it('adds the edge and cloudflared headers and sends no User-Agent when the visitor sent none', async () => {
    const { settled, edge } = await start(routingYaml());
    const answer = await visit(edge, 'app.example.com', '/h', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    await settled();
    const echo = JSON.parse(answer.body) as Echo;
    const ray = answer.headers['cf-ray'];
    expect(ray).toMatch(/^[0-9a-f]{16}-LAX$/);
    expect(echo.headers).toMatchObject({
      host: 'app.example.com',
      'cf-ray': ray,
      'cf-warp-tag-id': CONNECTOR,
      'cf-connecting-ip': '127.0.0.1',
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-proto': 'https',
      connection: 'keep-alive',
    });
    expect(echo.headers).not.toHaveProperty('user-agent');
    expect(echo.headers).not.toHaveProperty('x-forwarded-host');
  });

  it('rewrites Host with httpHostHeader and passes the original as X-Forwarded-Host', async () => {
    const { settled, edge } = await start(`
ingress:
  - hostname: rewrite.example.com
    service: http://${alpha.address}
    originRequest:
      httpHostHeader: internal.local
  - service: http_status:404
`);
    const answer = await visit(edge, 'rewrite.example.com', '/', { headers: { 'user-agent': 'curl/8.5.0' } });
    await settled();
    expect((JSON.parse(answer.body) as Echo).headers).toMatchObject({
      host: 'internal.local',
      'x-forwarded-host': 'rewrite.example.com',
      'user-agent': 'curl/8.5.0',
    });
  });
});

/** The two lines cloudflared logs for an HTTP request it could not proxy over QUIC. */
function failureLines(error: string, ruleIndex: number, originService: string, host: string, path: string, ray: string): LogCall[] {
  return [
    { level: 'error', message: '', fields: { cfRay: ray, connIndex: 2, event: 1, ingressRule: ruleIndex, originService }, error },
    { level: 'error', message: 'Request failed', fields: { connIndex: 2, event: 0, ip: EDGE_IP, type: 'http', dest: `https://${host}${path}` }, error },
  ];
}

describe('origin failures', () => {
  function yaml(): string {
    return `
ingress:
  - hostname: down.example.com
    service: http://127.0.0.1:${String(deadPort)}
  - hostname: blackhole.example.com
    service: http://${blackhole.address}
    originRequest:
      connectTimeout: 150ms
  - hostname: drop.example.com
    service: http://${alpha.address}
  - hostname: wrong-port.example.com
    service: http://${sshOrigin.address}
  - hostname: nosock.example.com
    service: unix:${join(dir, 'missing.sock')}
  - hostname: sock.example.com
    service: unix:${unixOrigin.address}
  - service: http_status:404
`;
  }

  it('answers 502 for a refused connection and logs what cloudflared logs, counting an error but no response', async () => {
    const { rec, settled, edge } = await start(yaml());
    const answer = await visit(edge, 'down.example.com', '/x?y=1');
    await settled();
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('Bad gateway');
    const ray = String(answer.headers['cf-ray']);
    const error = `${UNREACHABLE}dial tcp 127.0.0.1:${String(deadPort)}: connect: connection refused`;
    expect(rec.logs).toEqual(failureLines(error, 0, `http://127.0.0.1:${String(deadPort)}`, 'down.example.com', '/x?y=1', ray));
    expect(rec).toMatchObject({ started: 1, ended: 1, errors: 1, responses: [] });
  });

  it('honours connectTimeout against an address that never accepts', async () => {
    const { rec, settled, edge } = await start(yaml());
    const answer = await visit(edge, 'blackhole.example.com');
    await settled();
    expect(answer.status).toBe(502);
    expect(rec.logs[0]?.error).toBe(`${UNREACHABLE}dial tcp ${blackhole.address}: i/o timeout`);
    expect(rec.errors).toBe(1);
  });

  it('reports an origin that hangs up without answering as EOF', async () => {
    const { rec, settled, edge } = await start(yaml());
    expect((await visit(edge, 'drop.example.com', '/drop')).status).toBe(502);
    await settled();
    expect(rec.logs[0]?.error).toBe(`${UNREACHABLE}EOF`);
  });

  it('reports a non-HTTP answer the way net/http rejects its status line', async () => {
    const { rec, settled, edge } = await start(yaml());
    expect((await visit(edge, 'wrong-port.example.com')).status).toBe(502);
    await settled();
    expect(rec.logs[0]?.error).toBe(`${UNREACHABLE}net/http: HTTP/1.x transport connection broken: malformed HTTP status code "Debian-2"`);
  });

  it('proxies over a Unix socket and words a missing socket like Go', async () => {
    const { rec, settled, edge } = await start(yaml());
    const ok = await visit(edge, 'sock.example.com', '/');
    const missing = await visit(edge, 'nosock.example.com', '/');
    await settled(2);
    expect([ok.status, missing.status]).toEqual([200, 502]);
    expect((JSON.parse(ok.body) as Echo).origin).toBe('unix');
    expect(rec.logs[0]?.error).toBe(`${UNREACHABLE}dial unix ${join(dir, 'missing.sock')}: connect: no such file or directory`);
    expect(rec.responses).toEqual([200]);
  });

  it('cuts the visitor off and logs unexpected EOF when the origin stops mid-body', async () => {
    const partial = createServer((socket) => {
      socket.once('data', () => {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      });
    });
    await new Promise<void>((resolve) => partial.listen(0, '127.0.0.1', resolve));
    const address = partial.address();
    try {
      const { rec, settled, edge } = await start(`
ingress:
  - service: http://127.0.0.1:${String(typeof address === 'object' && address !== null ? address.port : 0)}
`);
      await expect(visit(edge, 'partial.example.com')).rejects.toThrow();
      await settled();
      expect(rec.logs.map((l) => [l.message, l.error])).toEqual([
        ['', 'unexpected EOF'],
        ['Request failed', 'unexpected EOF'],
      ]);
      expect(rec).toMatchObject({ errors: 1, responses: [] });
    } finally {
      partial.close();
    }
  });

  it('words the follow-up line for HTTP/2 connections', async () => {
    const { rec, settled, edge } = await start(yaml(), { protocol: 'http2' });
    await visit(edge, 'down.example.com');
    await settled();
    expect(rec.logs[1]).toEqual({
      level: 'error',
      message: 'failed to serve incoming request',
      error: `Failed to proxy HTTP: ${UNREACHABLE}dial tcp 127.0.0.1:${String(deadPort)}: connect: connection refused`,
    });
  });
});

describe('visitor abort and hung origins', () => {
  it('logs "Incoming request ended abruptly" when the visitor leaves while the origin is silent', async () => {
    const hung = await hungServer();
    try {
      const { rec, settled, edge } = await start(`
ingress:
  - service: http://127.0.0.1:${String(hung.port)}
`);
      const [host, port] = [edge.address.split(':')[0], Number(edge.address.split(':')[1])];
      const req = request({ hostname: host, port, path: '/wait', headers: { host: 'hung.example.com' }, agent: false });
      req.on('error', () => undefined);
      req.end();
      await hung.arrived;
      req.destroy();
      await settled();
      expect(rec.logs.map((l) => [l.message, l.error])).toEqual([
        ['', 'Incoming request ended abruptly: context canceled'],
        ['Request failed', 'Incoming request ended abruptly: context canceled'],
      ]);
      expect(rec).toMatchObject({ errors: 1, responses: [], started: 1, ended: 1 });
    } finally {
      hung.server.close();
    }
  });

  it('honours tlsTimeout against an origin that never answers the handshake', async () => {
    const hung = await hungServer();
    try {
      const { rec, settled, edge } = await start(`
ingress:
  - service: https://127.0.0.1:${String(hung.port)}
    originRequest:
      tlsTimeout: 150ms
`);
      expect((await visit(edge, 'tls.example.com')).status).toBe(502);
      await settled();
      expect(rec.logs[0]?.error).toBe(`${UNREACHABLE}net/http: TLS handshake timeout`);
    } finally {
      hung.server.close();
    }
  });
});

describe('TLS origins', () => {
  const port = (): string => tlsOrigin.address.split(':')[1] ?? '';
  function yaml(): string {
    return `
ingress:
  - hostname: untrusted.example.com
    service: https://localhost:${port()}
  - hostname: trusted.example.com
    service: https://localhost:${port()}
    originRequest:
      caPool: ${caFile}
  - hostname: misnamed.example.com
    service: https://localhost:${port()}
    originRequest:
      caPool: ${caFile}
      originServerName: origin.internal
  - hostname: insecure.example.com
    service: https://127.0.0.1:${port()}
    originRequest:
      noTLSVerify: true
  - service: http_status:404
`;
  }

  it('verifies like Go: unknown authority, then trusted through caPool, name checked first, noTLSVerify', async () => {
    const { rec, settled, edge } = await start(yaml());
    const statuses = [
      (await visit(edge, 'untrusted.example.com')).status,
      (await visit(edge, 'trusted.example.com')).status,
      (await visit(edge, 'misnamed.example.com')).status,
      (await visit(edge, 'insecure.example.com')).status,
    ];
    await settled(4);
    expect(statuses).toEqual([502, 200, 502, 200]);
    expect(rec.logs.filter((l) => l.message === '').map((l) => l.error)).toEqual([
      `${UNREACHABLE}tls: failed to verify certificate: x509: certificate signed by unknown authority`,
      `${UNREACHABLE}tls: failed to verify certificate: x509: certificate is valid for localhost, not origin.internal`,
    ]);
    expect(rec.responses).toEqual([200, 200]);
  });

  it('checks the validity period before anything else, as crypto/x509 does', async () => {
    const expired = await startTlsOrigin({ listen: '127.0.0.1:0', name: 'stale', notAfter: new Date('2024-01-01T00:00:00Z') });
    try {
      const { rec, settled, edge } = await start(`
ingress:
  - service: https://${expired.address}
    originRequest:
      originServerName: wrong.name
`);
      expect((await visit(edge, 'stale.example.com')).status).toBe(502);
      await settled();
      expect(rec.logs[0]?.error).toMatch(
        /: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after 2024-01-01T00:00:00Z$/,
      );
    } finally {
      await expired.close();
    }
  });
});

describe('stream rules and WebSockets', () => {
  it('logs the raw dial error with destAddr for a down SSH origin, and only the transport line for a bastion without destination', async () => {
    const { rec, settled, edge } = await start(`
ingress:
  - hostname: ssh.example.com
    service: ssh://127.0.0.1:${String(deadPort)}
  - hostname: jump.example.com
    service: bastion
  - hostname: live.example.com
    service: ssh://${sshOrigin.address}
  - service: http_status:404
`);
    const ssh = await visit(edge, 'ssh.example.com');
    const jump = await visit(edge, 'jump.example.com');
    // A reachable stream origin: dialled, then closed, as the emulator does not speak the access protocol.
    const live = await visit(edge, 'live.example.com');
    await settled(3);
    expect([ssh.status, jump.status, live.status]).toEqual([502, 502, 502]);
    expect(rec.logs[0]).toEqual({
      level: 'error',
      message: '',
      fields: { cfRay: ssh.headers['cf-ray'], connIndex: 2, event: 1, ingressRule: 0, originService: `ssh://127.0.0.1:${String(deadPort)}`, destAddr: `ssh://127.0.0.1:${String(deadPort)}` },
      error: `dial tcp 127.0.0.1:${String(deadPort)}: connect: connection refused`,
    });
    expect(rec.logs.slice(2).map((l) => [l.message, l.error])).toEqual([
      ['Request failed', 'Did not receive final destination from client. The --destination flag is likely not set on the client side'],
    ]);
    expect(rec.errors).toBe(1);
    expect(rec.responses).toEqual([]);
  });

  it('passes a WebSocket upgrade through and does not count the 101', async () => {
    const wsOrigin = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
        socket.pipe(socket);
      });
    });
    await new Promise<void>((resolve) => wsOrigin.listen(0, '127.0.0.1', resolve));
    const address = wsOrigin.address();
    try {
      const { rec, settled, edge } = await start(`
ingress:
  - service: ws://127.0.0.1:${String(typeof address === 'object' && address !== null ? address.port : 0)}
`);
      const [host, port] = [edge.address.split(':')[0], Number(edge.address.split(':')[1])];
      const socket = connect(port, host);
      socket.write('GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      let received = '';
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          if (received.includes('\r\n\r\n') && !received.includes('ping')) socket.write('ping');
          if (received.endsWith('ping')) resolve();
        });
      });
      socket.end();
      await settled();
      expect(received).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(rec).toMatchObject({ started: 1, ended: 1, responses: [], errors: 0, logs: [] });
    } finally {
      wsOrigin.close();
    }
  });
});
