import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSelfSigned } from '../src/emulator/self-signed-cert.js';
import { Spool } from '../src/telemetry/sinks/spool.js';
import { TRUNCATION_MARKER } from '../src/telemetry/sinks/syslog-format.js';
import type { SyslogRecord } from '../src/telemetry/sinks/syslog-format.js';
import { createSyslogSender } from '../src/telemetry/sinks/syslog-sender.js';
import { SyslogShipper } from '../src/telemetry/sinks/syslog-shipper.js';
import type { SyslogShipperOptions } from '../src/telemetry/sinks/syslog-shipper.js';

/** A stream receiver that parses octet-counting frames; `onFrame` may decide to cut the connection. */
interface Receiver { port: number; messages: string[]; badFrames: string[]; connections: number; server: Server }

let dir: string;
const closers: (() => Promise<void>)[] = [];
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'syslog-send-')); });
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

function frameReader(r: Receiver, onMessage: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) => {
    r.connections++;
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let sp = buf.indexOf(0x20); sp >= 0 && !socket.destroyed; sp = buf.indexOf(0x20)) {
        const len = buf.toString('ascii', 0, sp);
        if (!/^[1-9]\d{0,8}$/.test(len)) { r.badFrames.push(buf.toString('utf8', 0, 40)); socket.destroy(); return; }
        if (buf.length < sp + 1 + Number(len)) return;
        r.messages.push(buf.toString('utf8', sp + 1, sp + 1 + Number(len)));
        buf = buf.subarray(sp + 1 + Number(len));
        onMessage(socket);
      }
    });
  };
}

/** Listens on 127.0.0.1; the test's cleanup resets open connections, then closes the server. */
async function listen(server: Server, sockets: Set<Socket>, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    if (server.listening) server.close(() => { resolve(); }); else resolve();
  }));
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

async function tcpReceiver(onMessage: (socket: Socket, r: Receiver) => void = () => undefined, port = 0): Promise<Receiver> {
  const r: Receiver = { port: 0, messages: [], badFrames: [], connections: 0, server: createServer() };
  const sockets = new Set<Socket>();
  r.server.on('connection', (s) => { sockets.add(s); frameReader(r, (sock) => { onMessage(sock, r); })(s); });
  r.port = await listen(r.server, sockets, port);
  return r;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const rec = (i: number): SyslogRecord => ({ level: 30, time: 1_795_811_764_554 + i, msg: `record ${i} ✓ é 🚇`, source: 'tunnelwatch', tunnel_id: 't"1]', i });
const indexOf = (line: string): number => (JSON.parse(line.slice(line.indexOf(' {"') + 1)) as { i: number }).i;

async function shipper(o: Partial<SyslogShipperOptions> & Pick<SyslogShipperOptions, 'port' | 'protocol'>): Promise<{ spool: Spool<SyslogRecord>; s: SyslogShipper }> {
  const spool = await Spool.open<SyslogRecord>({ dir: join(dir, 'spool'), maxBytes: 1e7 });
  const s = new SyslogShipper({ spool, host: '127.0.0.1', appName: 'tunnelwatch', hostname: 'edge-1', procId: 7, batchRecords: 10, idleMs: 20, backoffBaseMs: 5, backoffCapMs: 40, settleMs: 20, random: () => 0.5, ...o });
  closers.push(async () => { await s.stop(500); await spool.close(); });
  s.start();
  return { spool, s };
}

describe('SyslogShipper over TCP (octet counting)', () => {
  it('delivers every record once, in order, framed by UTF-8 byte length', async () => {
    const r = await tcpReceiver();
    const { spool, s } = await shipper({ port: r.port, protocol: 'tcp' });
    for (let i = 0; i < 50; i++) spool.append([rec(i)]);
    s.wake();
    await until(() => s.stats.shipped === 50, '50 shipped');
    expect(r.badFrames).toEqual([]);
    expect(r.messages.map(indexOf)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(r.messages[3]).toBe(
      '<14>1 2026-11-27T20:36:04.557Z edge-1 tunnelwatch 7 tunnelwatch [tunnelwatch@32473 tunnel_id="t\\"1\\]" source="tunnelwatch"] '
      + '{"level":30,"time":1795811764557,"msg":"record 3 ✓ é 🚇","source":"tunnelwatch","tunnel_id":"t\\"1]","i":3}',
    );
    expect(s.stats).toMatchObject({ shipped: 50, retries: 0, truncated: 0, dropped: 0, lastError: null });
    expect(r.connections).toBe(1);
  });

  it('receiver resets, then closes, mid-stream: reconnects, nothing lost, duplicates only from the batch in flight', async () => {
    let cuts = 0;
    const r = await tcpReceiver((socket, rr) => {
      if (cuts === 0 && rr.messages.length >= 23) { cuts++; socket.resetAndDestroy(); }
      if (cuts === 1 && rr.messages.length >= 97) { cuts++; socket.end(); socket.destroy(); }
    });
    const { spool, s } = await shipper({ port: r.port, protocol: 'tcp' });
    for (let i = 0; i < 200; i++) { spool.append([rec(i)]); if (i % 7 === 0) { s.wake(); await new Promise((res) => setImmediate(res)); } }
    s.wake();
    await until(() => new Set(r.messages.map(indexOf)).size === 200, 'all 200 records', 15_000);
    const got = r.messages.map(indexOf);
    const firstSeen = got.filter((v, k) => got.indexOf(v) === k);
    expect(firstSeen).toEqual(Array.from({ length: 200 }, (_, i) => i));
    // Each cut may re-send one batch (10 records): duplicates are whole runs of at most one batch per cut.
    expect(got.length - 200).toBeLessThanOrEqual(2 * 10);
    expect(r.connections).toBe(3);
    expect(s.stats.retries).toBeGreaterThanOrEqual(2);
    expect(s.stats.lastError).toMatch(/syslog tcp 127\.0\.0\.1:\d+: /);
    await until(() => s.stats.shipped >= 200, 'shipped count');
    expect((await spool.stats()).records).toBe(0);
  });

  it('receiver not up yet: retries with backoff, then delivers everything', async () => {
    const probe = await tcpReceiver();
    const port = probe.port;
    await new Promise<void>((resolve) => probe.server.close(() => { resolve(); }));
    const { spool, s } = await shipper({ port, protocol: 'tcp' });
    spool.append([rec(0), rec(1), rec(2)]);
    s.wake();
    await until(() => s.stats.retries >= 2, 'retries');
    expect(s.stats.lastError).toMatch(/ECONNREFUSED/);
    const r = await tcpReceiver(undefined, port);
    await until(() => r.messages.length === 3, '3 messages');
    expect(r.messages.map(indexOf)).toEqual([0, 1, 2]);
  });

  it('stop() gives up at its deadline while the receiver is down and keeps the records spooled', async () => {
    const probe = await tcpReceiver();
    await new Promise<void>((resolve) => probe.server.close(() => { resolve(); }));
    const { spool, s } = await shipper({ port: probe.port, protocol: 'tcp' });
    spool.append([rec(0), rec(1)]);
    const t0 = Date.now();
    await s.stop(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(s.stats.lastError).toMatch(/ECONNREFUSED/);
    expect((await spool.stats()).records).toBe(2);
  });
});

describe('SyslogShipper over TLS', () => {
  async function tlsReceiver(): Promise<{ r: Receiver; caFile: string }> {
    const { cert, key } = createSelfSigned({ commonName: 'syslog.test', altNames: ['127.0.0.1', 'localhost'] });
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, cert);
    const r: Receiver = { port: 0, messages: [], badFrames: [], connections: 0, server: createTlsServer({ cert, key }) };
    const sockets = new Set<Socket>();
    r.server.on('secureConnection', (sock: Socket) => { sockets.add(sock); frameReader(r, () => undefined)(sock); });
    r.port = await listen(r.server, sockets);
    return { r, caFile };
  }

  it('delivers with the receiver CA from caFile', async () => {
    const { r, caFile } = await tlsReceiver();
    const { spool, s } = await shipper({ port: r.port, protocol: 'tls', caFile });
    spool.append([rec(0), rec(1), rec(2)]);
    s.wake();
    await until(() => r.messages.length === 3, '3 messages over TLS');
    expect(r.messages.map(indexOf)).toEqual([0, 1, 2]);
    expect(r.badFrames).toEqual([]);
  });

  it('a wrong CA fails clearly, naming the setting to fix, and sends nothing', async () => {
    const { r } = await tlsReceiver();
    const wrong = join(dir, 'wrong-ca.pem');
    await writeFile(wrong, createSelfSigned({ commonName: 'other', altNames: ['127.0.0.1'] }).cert);
    const sender = createSyslogSender({ host: '127.0.0.1', port: r.port, protocol: 'tls', caFile: wrong });
    await expect(sender.send(['<14>1 - - - - - - x'])).rejects.toThrow(
      /^syslog tls 127\.0\.0\.1:\d+: the receiver's certificate is not trusted \(\w+: .+\); set logs\.syslog\.caFile to the CA that signed it$/,
    );
    await sender.close();
    const missing = createSyslogSender({ host: '127.0.0.1', port: r.port, protocol: 'tls', caFile: join(dir, 'nope.pem') });
    await expect(missing.send(['x'])).rejects.toThrow(/cannot read logs\.syslog\.caFile .*nope\.pem \(ENOENT\)/);
    const { spool, s } = await shipper({ port: r.port, protocol: 'tls', caFile: wrong });
    spool.append([rec(0)]);
    s.wake();
    await until(() => s.stats.retries >= 2, 'retries');
    expect(s.stats.lastError).toMatch(/not trusted/);
    expect(s.stats.shipped).toBe(0);
    expect(r.messages).toEqual([]);
  });
});

describe('SyslogShipper over UDP', () => {
  it('one message per datagram, no framing; oversized messages are cut to the cap with a marker and counted', async () => {
    const server: DgramSocket = createSocket('udp4');
    const datagrams: Buffer[] = [];
    server.on('message', (m) => { datagrams.push(m); });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => { server.close(() => { resolve(); }); }));
    const { spool, s } = await shipper({ port: server.address().port, protocol: 'udp', maxMessageBytes: 600 });
    spool.append([rec(0), { ...rec(1), msg: 'é'.repeat(1000) }, rec(2)]);
    s.wake();
    await until(() => datagrams.length === 3, '3 datagrams');
    const texts = datagrams.map((d) => d.toString('utf8'));
    expect(texts[0]).toMatch(/^<14>1 \S+ edge-1 tunnelwatch 7 tunnelwatch \[tunnelwatch@32473 /);
    expect(indexOf(texts[0] ?? '')).toBe(0);
    expect(datagrams[1]?.length).toBeLessThanOrEqual(600);
    expect(texts[1]?.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(texts[1]).not.toContain('\uFFFD');
    expect(indexOf(texts[2] ?? '')).toBe(2);
    await until(() => s.stats.shipped === 3, 'shipped');
    expect(s.stats.truncated).toBe(1);
  });
});
