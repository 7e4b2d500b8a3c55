import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../src/telemetry/sinks/spool.js';
import type { SyslogRecord } from '../../src/telemetry/sinks/syslog-format.js';
import { SyslogShipper } from '../../src/telemetry/sinks/syslog-shipper.js';
import type { SyslogProtocol } from '../../src/telemetry/sinks/syslog-sender.js';

// The real rsyslog (Debian package `rsyslog`) as the SIEM-side receiver: imtcp (octet counting) and imudp on
// 127.0.0.1, one ruleset writing every message as a JSON line built from rsyslog's own parsed properties.

interface Received { app: string; procid: string; msgid: string; sd: string; sev: number; fac: number; host: string; msg: string }

function findRsyslogd(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, 'rsyslogd');
    try { accessSync(p, constants.X_OK); return p; } catch { /* try the next directory */ }
  }
  throw new Error('rsyslogd not found: install the Debian package rsyslog');
}

const TEMPLATE = [
  '{"app":"%app-name:::json%","procid":"%procid:::json%","msgid":"%msgid:::json%",',
  '"sd":"%structured-data:::json%","sev":%syslogseverity%,"fac":%syslogfacility%,',
  '"host":"%hostname:::json%","msg":"%msg:::json%"}\\n',
].join('').replace(/"/g, '\\"');

const conf = (dir: string, tcpPort: number, udpPort: number): string => `
global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
template(name="tw" type="string" string="${TEMPLATE}")
ruleset(name="siem") { action(type="omfile" file="${join(dir, 'received.log')}" template="tw") }
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="siem")
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="siem")
`;

let rsyslogd: string;
let dir = '';
let tcpPort: number;
let udpPort: number;
let child: ChildProcess | undefined;
const pids: number[] = [];
const cleanups: (() => Promise<void>)[] = [];

const freeTcpPort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const a = s.address();
    s.close(() => { resolve(typeof a === 'object' && a ? a.port : 0); });
  });
});
const freeUdpPort = (): Promise<number> => new Promise((resolve) => {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => { resolve(port); }); });
});

async function until<T>(get: () => Promise<T | undefined> | T | undefined, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const accepts = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => { resolve(false); });
});

async function startRsyslog(): Promise<void> {
  let stderr = '';
  const c = spawn(rsyslogd, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout.on('data', (d: Buffer) => { stderr += d.toString(); });
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  if (c.pid !== undefined) pids.push(c.pid);
  child = c;
  let exited = false;
  c.once('exit', () => { exited = true; });
  await until(async () => {
    if (exited) throw new Error(`rsyslogd exited during startup: ${stderr.trim()}`);
    return (await accepts(tcpPort)) ? true : undefined;
  }, `rsyslogd to accept on 127.0.0.1:${tcpPort}`);
}

async function stopRsyslog(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => { resolve(); }));
  c.kill('SIGTERM');
  const timer = setTimeout(() => { c.kill('SIGKILL'); }, 5000);
  await exited;
  clearTimeout(timer);
}

const pidAlive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

async function received(): Promise<Received[]> {
  const text = await readFile(join(dir, 'received.log'), 'utf8').catch(() => '');
  // rsyslog may be mid-write: only newline-terminated lines are complete.
  return text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Received);
}
const recordOf = (r: Received): SyslogRecord & { i: number; via: string } => JSON.parse(r.msg) as SyslogRecord & { i: number; via: string };

async function shipper(protocol: SyslogProtocol, port: number): Promise<{ spool: Spool<SyslogRecord>; s: SyslogShipper }> {
  const spool = await Spool.open<SyslogRecord>({ dir: join(dir, `spool-${protocol}-${cleanups.length}`), maxBytes: 1e7 });
  const s = new SyslogShipper({
    spool, host: '127.0.0.1', port, protocol, appName: 'tunnelwatch', hostname: 'edge-1', procId: 4242,
    batchRecords: 25, idleMs: 20, backoffBaseMs: 20, backoffCapMs: 200,
  });
  cleanups.push(async () => { await s.stop(1000); await spool.close(); });
  s.start();
  return { spool, s };
}

const rec = (via: string, i: number): SyslogRecord => ({
  level: i % 3 === 0 ? 50 : 30, time: 1_795_811_764_000 + i, msg: `${via} ${i}: héllo ✓ 🚇 "quoted" back\\slash ]`,
  source: 'cloudflared', tunnel_id: 'tun"nel]\\1', connector_id: 'c-é', replica: 'r0', zone: 'example.com', via, i,
});
const SD = '[tunnelwatch@32473 tunnel_id="tun\\"nel\\]\\\\1" connector_id="c-é" replica="r0" zone="example.com" source="cloudflared"]';

// A setup failure (rsyslogd missing or not starting) fails every test with its message: never a skip.
let setupError: Error | undefined;
const needRsyslog = (): void => { if (setupError !== undefined) throw setupError; };

beforeAll(async () => {
  try {
    rsyslogd = findRsyslogd();
    dir = await mkdtemp(join(tmpdir(), 'tw-rsyslog-'));
    tcpPort = await freeTcpPort();
    udpPort = await freeUdpPort();
    await writeFile(join(dir, 'rsyslog.conf'), conf(dir, tcpPort, udpPort));
    await startRsyslog();
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

afterAll(async () => {
  await stopRsyslog();
  const alive = pids.filter(pidAlive);
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  expect(alive, 'rsyslogd processes left running').toEqual([]);
});

describe('syslog to the real rsyslog', () => {
  it('TCP (octet counting): all N records arrive in order with header, SD params and UTF-8 intact', async () => {
    needRsyslog();
    const N = 300;
    const { spool, s } = await shipper('tcp', tcpPort);
    for (let i = 0; i < N; i++) { spool.append([rec('tcp', i)]); if (i % 40 === 0) s.wake(); }
    s.wake();
    const got = await until(async () => {
      const tcp = (await received()).filter((r) => recordOf(r).via === 'tcp');
      return tcp.length >= N ? tcp : undefined;
    }, `${N} TCP records in rsyslog's output file`);
    expect(got.map((r) => recordOf(r).i)).toEqual(Array.from({ length: N }, (_, i) => i));
    for (const [i, r] of got.entries()) {
      expect(r).toMatchObject({ app: 'tunnelwatch', procid: '4242', msgid: 'cloudflared', host: 'edge-1', fac: 1, sev: i % 3 === 0 ? 3 : 6, sd: SD });
      expect(recordOf(r)).toEqual(rec('tcp', i));
    }
    expect(s.stats).toMatchObject({ retries: 0, truncated: 0, lastError: null });
  });

  it('UDP: one message per datagram arrives with SD params and UTF-8 intact', async () => {
    needRsyslog();
    const { spool, s } = await shipper('udp', udpPort);
    // imudp binds with imtcp, but make sure before counting on datagrams that cannot be retried.
    await until(async () => {
      spool.append([{ level: 30, msg: 'udp ready?', via: 'probe', i: -1 }]);
      s.wake();
      await new Promise((r) => setTimeout(r, 50));
      return (await received()).some((r) => recordOf(r).via === 'probe') ? true : undefined;
    }, 'a UDP probe in the output file');
    spool.append([0, 1, 2, 3, 4].map((i) => rec('udp', i)));
    s.wake();
    const got = await until(async () => {
      const udp = (await received()).filter((r) => recordOf(r).via === 'udp');
      return udp.length >= 5 ? udp : undefined;
    }, '5 UDP records in the output file');
    expect(got.map((r) => recordOf(r).i).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of got) {
      expect(r).toMatchObject({ app: 'tunnelwatch', procid: '4242', msgid: 'cloudflared', sd: SD });
      expect(recordOf(r)).toEqual(rec('udp', recordOf(r).i));
    }
  });

  it('rsyslog restarted mid-stream: the sender reconnects and nothing sent after the restart is lost', async () => {
    needRsyslog();
    const { spool, s } = await shipper('tcp', tcpPort);
    const byVia = async (via: string): Promise<number[]> => (await received()).map(recordOf).filter((r) => r.via === via).map((r) => r.i);
    for (let i = 0; i < 100; i++) spool.append([rec('before', i)]);
    s.wake();
    await until(async () => ((await byVia('before')).length >= 100 ? true : undefined), 'records before the restart');
    await stopRsyslog();
    for (let i = 0; i < 30; i++) spool.append([rec('during', i)]);
    s.wake();
    await until(() => (s.stats.retries > 0 ? true : undefined), 'the sender to notice rsyslog is gone');
    expect(s.stats.lastError).toMatch(/syslog tcp 127\.0\.0\.1:\d+: /);
    await startRsyslog();
    for (let i = 0; i < 100; i++) { spool.append([rec('after', i)]); if (i % 10 === 0) s.wake(); }
    s.wake();
    await until(async () => ((await byVia('after')).length >= 100 ? true : undefined), 'records after the restart');
    const firstSeen = (xs: number[]): number[] => xs.filter((v, k) => xs.indexOf(v) === k);
    expect(firstSeen(await byVia('during'))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(firstSeen(await byVia('after'))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(firstSeen(await byVia('before'))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await byVia('after')).length).toBeLessThanOrEqual(100 + 25); // at most the batch in flight again
    await until(async () => ((await spool.stats()).records === 0 ? true : undefined), 'the spool to drain');
  });
});
