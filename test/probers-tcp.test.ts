import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ORIGIN_REQUEST, type OriginRequest } from '../src/cloudflared/config/origin-request.js';
import { parseOriginService } from '../src/cloudflared/config/origin-service.js';
import { runProbe, type Prober, type ProbeService, type ProbeTarget } from '../src/probers/index.js';
import { probeTcp as tcpProber } from '../src/probers/tcp.js';

/** A prober in its frame, as the origins collector runs it. */
const framed = (prober: Prober) => (t: ProbeTarget, s: AbortSignal) => runProbe(t, s, prober);
const probeTcp = framed(tcpProber);

function target(service: string, timeoutMs = 2000, originRequest: Partial<OriginRequest> = {}): ProbeTarget {
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
const sockets = new Set<Socket>();

async function serve(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterEach(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('tcp prober', () => {
  it('connects to a tcp origin and times the connect', async () => {
    const port = await serve(() => undefined);
    const result = await probeTcp(target(`tcp://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: true });
    expect(result.phases.connectMs).toBeGreaterThanOrEqual(0);
    expect(result.banner).toBeUndefined();
  });

  it('reports a refused port for rdp and smb alike', async () => {
    const port = await closedPort();
    for (const scheme of ['rdp', 'smb', 'tcp']) {
      const result = await probeTcp(target(`${scheme}://127.0.0.1:${String(port)}`), signal);
      expect(result).toMatchObject({ ok: false, error: `connect ECONNREFUSED 127.0.0.1:${String(port)}` });
    }
  });

  it('reads the SSH identification line', async () => {
    const port = await serve((s) => s.write('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n'));
    const result = await probeTcp(target(`ssh://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: true, banner: 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13' });
    expect(result.phases.firstByteMs).toBeGreaterThanOrEqual(0);
  });

  it('skips lines before the identification line, even split across writes', async () => {
    const port = await serve((s) => {
      s.write('Welcome\r\nSSH-2.0-');
      setTimeout(() => s.write('dropbear_2022.83\r\n'), 20);
    });
    const result = await probeTcp(target(`ssh://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: true, banner: 'SSH-2.0-dropbear_2022.83' });
  });

  it('fails when an ssh origin speaks something else, showing what it said', async () => {
    const port = await serve((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const result = await probeTcp(target(`ssh://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: false, error: 'no SSH banner: got "HTTP/1.1 400 Bad Request"' });
  });

  it('fails when an ssh origin closes without a word', async () => {
    const port = await serve((s) => s.end());
    const result = await probeTcp(target(`ssh://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: false, error: 'connection closed in first_byte' });
  });

  it('ends an ssh origin that never sends its banner with a first_byte timeout', async () => {
    const port = await serve(() => undefined);
    const result = await probeTcp(target(`ssh://127.0.0.1:${String(port)}`, 200), signal);
    expect(result).toMatchObject({ ok: false, error: 'timeout after 0.2s in first_byte' });
    expect(result.phases.connectMs).toBeGreaterThanOrEqual(0);
  });

  it('names a stream service without a port', async () => {
    const result = await probeTcp(target('foo://127.0.0.1'), signal);
    expect(result).toMatchObject({ ok: false, error: 'foo://127.0.0.1 has no port' });
  });
});
