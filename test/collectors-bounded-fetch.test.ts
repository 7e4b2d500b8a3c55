// The Cloudflare SDK reads a whole answer into memory; the edge collector gives it a fetch that stops at 8 MiB: its
// own over node:http (which reads the answer before it resolves), or a given fetch wrapped (which fails while read).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { boundedFetch } from '../src/collectors/bounded-fetch.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => {
    s.closeAllConnections();
    s.close(resolve);
  })));
});

async function serve(bytes: number, declare: boolean): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...(declare ? { 'content-length': String(bytes) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
}

describe('boundedFetch', () => {
  it('refuses an answer whose Content-Length is over the bound, without reading it', async () => {
    const url = await serve(200 * 1024 * 1024, true);
    await expect(boundedFetch(1 << 20)(url)).rejects.toThrow('the API answer is 209715200 bytes, more than the 1048576 bytes read at most; check edge.baseUrl');
  });

  it('stops reading an answer of unknown length once it passes the bound', async () => {
    const url = await serve(3 << 20, false);
    await expect(boundedFetch(1 << 20)(url)).rejects.toThrow('the API answer is longer, more than the 1048576 bytes read at most');
  });

  it('bounds a given fetch too: by Content-Length, then while its body is read', async () => {
    await expect(boundedFetch(1 << 20, fetch)(await serve(2 << 20, true))).rejects.toThrow('the API answer is 2097152 bytes');
    const res = await boundedFetch(1 << 20, fetch)(await serve(3 << 20, false));
    await expect(res.text()).rejects.toThrow('the API answer is longer, more than the 1048576 bytes read at most');
  });

  it('passes an answer within the bound through unchanged', async () => {
    const url = await serve(1000, false);
    const res = await boundedFetch(1 << 20)(url);
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBe(1000);
  });
});
