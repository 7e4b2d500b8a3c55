import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEdgeReach, edgeSrvName, type EdgeResolver } from '../src/probers/edge-reach.js';
import { checkUdp, quicVersionProbe } from '../src/probers/edge-udp.js';

let tcpOpen: number;
let tcpClosed: number;
let udpEcho: number;
let udpSilent: number;
let udpClosed: number;
let tcpServer: Server;
const udpSockets: UdpSocket[] = [];

async function udp(onMessage: (socket: UdpSocket, msg: Buffer, port: number, address: string) => void): Promise<number> {
  const socket = createSocket('udp4');
  udpSockets.push(socket);
  socket.on('message', (msg, rinfo) => { onMessage(socket, msg, rinfo.port, rinfo.address); });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket.address().port;
}

beforeAll(async () => {
  tcpServer = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', resolve));
  tcpOpen = (tcpServer.address() as AddressInfo).port;
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  tcpClosed = (gone.address() as AddressInfo).port;
  await new Promise((resolve) => gone.close(resolve));
  // A QUIC server answers an unknown version with Version Negotiation: version 0, echoing the CIDs.
  udpEcho = await udp((socket, msg, port, address) => {
    const reply = Buffer.concat([Buffer.from([0x80, 0, 0, 0, 0]), msg.subarray(5, 23), Buffer.from([0, 0, 0, 1])]);
    socket.send(reply, port, address);
  });
  udpSilent = await udp(() => undefined);
  udpClosed = await udp(() => undefined);
  udpSockets.pop()?.close();
});

afterAll(() => {
  tcpServer.close();
  for (const s of udpSockets) s.close();
});

const enodata = (name: string): Error => Object.assign(new Error(`queryAaaa ENODATA ${name}`), { code: 'ENODATA' });

function resolver(srv: readonly { name: string; port: number }[] | Error, a: Record<string, string[]>): EdgeResolver {
  return {
    resolveSrv: (name) => (srv instanceof Error ? Promise.reject(srv) : name === 'srv.test' ? Promise.resolve(srv) : Promise.reject(new Error('wrong name'))),
    resolve4: (host) => Promise.resolve(a[host] ?? []),
    resolve6: (host) => Promise.reject(enodata(host)),
  };
}

const twoRegions = resolver(
  [
    { name: 'region1.test', port: 7844 },
    { name: 'region2.test', port: 7844 },
  ],
  { 'region1.test': ['127.0.0.1', '127.0.0.2'], 'region2.test': ['127.0.0.1'] },
);

describe('checkEdgeReach on loopback', () => {
  it('resolves SRV and A records and reaches TCP and UDP on the first address of each region', async () => {
    const report = await checkEdgeReach({
      resolver: twoRegions,
      srvName: 'srv.test',
      ipVersion: '4',
      tcpPorts: [tcpOpen],
      udpPort: udpEcho,
      timeoutMs: 1000,
    });
    expect(report.regions).toEqual([
      { host: 'region1.test', addresses: ['127.0.0.1'] },
      { host: 'region2.test', addresses: ['127.0.0.1'] },
    ]);
    expect(report.checks.map((c) => [c.check, c.target, c.address, c.port, c.status])).toEqual([
      ['dns_srv', 'srv.test', undefined, undefined, 'reachable'],
      ['dns_a', 'region1.test', undefined, undefined, 'reachable'],
      ['dns_a', 'region2.test', undefined, undefined, 'reachable'],
      ['tcp', 'region1.test', '127.0.0.1', tcpOpen, 'reachable'],
      ['udp', 'region1.test', '127.0.0.1', udpEcho, 'reachable'],
      ['tcp', 'region2.test', '127.0.0.1', tcpOpen, 'reachable'],
      ['udp', 'region2.test', '127.0.0.1', udpEcho, 'reachable'],
    ]);
    expect(report.checks.every((c) => c.error === undefined && c.durationMs >= 0)).toBe(true);
  });

  it('tells refused TCP, ICMP-refused UDP and silent UDP apart', async () => {
    const base = { resolver: twoRegions, srvName: 'srv.test', ipVersion: '4' as const, timeoutMs: 200, tcpPorts: [tcpClosed] };
    const refused = await checkEdgeReach({ ...base, udpPort: udpClosed });
    const tcp = refused.checks.find((c) => c.check === 'tcp');
    expect(tcp).toMatchObject({ status: 'unreachable', error: `connect ECONNREFUSED 127.0.0.1:${String(tcpClosed)}` });
    expect(refused.checks.find((c) => c.check === 'udp')).toMatchObject({
      status: 'unreachable',
      error: `udp 127.0.0.1:${String(udpClosed)}: port unreachable (ICMP)`,
    });
    const silent = await checkEdgeReach({ ...base, udpPort: udpSilent });
    expect(silent.checks.find((c) => c.check === 'udp')).toMatchObject({
      status: 'unverified',
      error: 'no reply within 0.2s; silence on UDP does not prove the path is open',
    });
  });

  it('falls back to the region hosts when the SRV lookup fails', async () => {
    const failing = resolver(Object.assign(new Error('querySrv ESERVFAIL srv.test'), { code: 'ESERVFAIL' }), { 'fallback.test': ['127.0.0.1'] });
    const report = await checkEdgeReach({
      resolver: failing,
      srvName: 'srv.test',
      fallbackHosts: ['fallback.test'],
      ipVersion: '4',
      tcpPorts: [tcpOpen],
      udpPort: udpEcho,
    });
    expect(report.checks[0]).toMatchObject({ check: 'dns_srv', status: 'unreachable', error: 'querySrv ESERVFAIL srv.test' });
    expect(report.regions).toEqual([{ host: 'fallback.test', addresses: ['127.0.0.1'] }]);
    expect(report.checks.filter((c) => c.status === 'reachable').map((c) => c.check)).toEqual(['dns_a', 'tcp', 'udp']);
  });

  it('flags an SRV answer with fewer than the two regions cloudflared needs', async () => {
    const one = resolver([{ name: 'region1.test', port: 7844 }], { 'region1.test': ['127.0.0.1'] });
    const report = await checkEdgeReach({ resolver: one, srvName: 'srv.test', ipVersion: '4', tcpPorts: [], udpPort: udpEcho });
    expect(report.checks[0]).toMatchObject({ status: 'unreachable', error: 'SRV srv.test named 1 region(s); cloudflared needs 2' });
    expect(report.regions.map((r) => r.host)).toEqual(['region1.test']);
  });

  it('treats a missing AAAA record as unverified with ipVersion auto, and bounds a hanging lookup', async () => {
    const auto = await checkEdgeReach({ resolver: twoRegions, srvName: 'srv.test', tcpPorts: [], udpPort: udpEcho, timeoutMs: 500 });
    expect(auto.checks.filter((c) => c.check === 'dns_aaaa').map((c) => [c.status, c.error])).toEqual([
      ['unverified', 'queryAaaa ENODATA region1.test'],
      ['unverified', 'queryAaaa ENODATA region2.test'],
    ]);
    const hanging: EdgeResolver = { ...twoRegions, resolveSrv: () => new Promise(() => undefined) };
    const report = await checkEdgeReach({ resolver: hanging, srvName: 'srv.test', fallbackHosts: [], timeoutMs: 200 });
    expect(report.checks).toEqual([
      expect.objectContaining({ check: 'dns_srv', status: 'unreachable', error: 'timeout after 0.2s in lookup SRV srv.test' }),
    ]);
  });

  it('stops dialling once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const report = await checkEdgeReach({
      resolver: twoRegions,
      srvName: 'srv.test',
      ipVersion: '4',
      tcpPorts: [tcpOpen],
      udpPort: udpEcho,
      signal: controller.signal,
    });
    expect(report.checks.filter((c) => c.check === 'tcp' || c.check === 'udp').map((c) => [c.status, c.error])).toEqual([
      ['unverified', 'aborted'],
      ['unverified', 'aborted'],
      ['unverified', 'aborted'],
      ['unverified', 'aborted'],
    ]);
  });
});

describe('edge names and the UDP probe', () => {
  it('derives the SRV name from the region as cloudflared does', () => {
    expect(edgeSrvName()).toBe('_v2-origintunneld._tcp.argotunnel.com');
    expect(edgeSrvName('us')).toBe('_us-v2-origintunneld._tcp.argotunnel.com');
  });

  it('sends a 1200-byte QUIC long-header packet with a reserved version', () => {
    const packet = quicVersionProbe();
    expect(packet.length).toBe(1200);
    expect((packet[0] ?? 0) & 0xc0).toBe(0xc0);
    expect(packet.readUInt32BE(1) & 0x0f0f0f0f).toBe(0x0a0a0a0a);
    expect([packet[5], packet[14]]).toEqual([8, 8]);
  });

  it('reports a reply as reachable', async () => {
    expect(await checkUdp('127.0.0.1', udpEcho, 1000)).toMatchObject({ status: 'reachable' });
  });
});
