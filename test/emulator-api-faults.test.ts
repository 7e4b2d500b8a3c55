// Rate limiting, injected failures and latency, seen through the SDK's retry logic and error classes.
import Cloudflare, { type APIError } from 'cloudflare';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiEmulator, type ApiEmulator } from '../src/emulator/api/main.js';
import type { RequestRecord } from '../src/emulator/api/server.js';
import { ACCOUNT, TOKEN, TUNNEL, client, manualClock, post, seed } from './emulator-api-helpers.js';

let emulator: ApiEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: { limit?: number; windowMs?: number; onRequest?: (r: RequestRecord) => void; now?: () => number } = {}) {
  const rateLimit = { limit: options.limit ?? 1200, windowMs: options.windowMs ?? 300_000 };
  const started = await startApiEmulator({ seed: seed({ rateLimit }), now: options.now, onRequest: options.onRequest });
  emulator = started;
  return started;
}

const get = (cf: Cloudflare) => cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT });

describe('rate limit', () => {
  it('sends Ratelimit headers, then 429 with retry-after once the budget is spent (RateLimitError without retries)', async () => {
    const clock = manualClock();
    const api = await start({ limit: 2, windowMs: 300_000, now: clock.now });
    const cf = client(api.url);
    const { response } = await get(cf).withResponse();
    expect(response.headers.get('ratelimit')).toBe('"default";r=1;t=300');
    expect(response.headers.get('ratelimit-policy')).toBe('"default";q=2;w=300');
    await get(cf);
    clock.advance(10_000);
    const error = await get(cf).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.RateLimitError);
    const apiError = error as APIError;
    expect(apiError.errors[0]).toEqual({ code: 971, message: 'Please wait and consider throttling your request speed' });
    // Going over blocks every call for a whole window from that moment.
    expect(apiError.headers?.get('retry-after')).toBe('300');
    clock.advance(299_000);
    expect(await get(cf).catch((e: unknown) => e)).toBeInstanceOf(Cloudflare.RateLimitError);
    clock.advance(1000);
    await expect(get(cf)).resolves.toMatchObject({ id: TUNNEL });
  });

  it('counts each token on its own', async () => {
    const api = await startApiEmulator({ seed: seed({ apiTokens: [TOKEN, 'second-token'], rateLimit: { limit: 1, windowMs: 60_000 } }) });
    emulator = api;
    await get(client(api.url));
    await expect(get(client(api.url, { token: 'second-token' }))).resolves.toMatchObject({ id: TUNNEL });
    await expect(get(client(api.url))).rejects.toBeInstanceOf(Cloudflare.RateLimitError);
  });

  it('is retried by the SDK after retry-after, and succeeds once the window has passed', async () => {
    const clock = manualClock();
    const records: RequestRecord[] = [];
    // The clock jumps a window as the 429 goes out, so the SDK's retry (after retry-after: 1) is let through.
    const api = await start({ limit: 1, windowMs: 1000, now: clock.now, onRequest: (r) => {
      records.push(r);
      if (r.status === 429) clock.advance(1000);
    } });
    const cf = client(api.url, { maxRetries: 1 });
    await get(cf);
    await expect(get(cf)).resolves.toMatchObject({ id: TUNNEL });
    expect(records.map((r) => r.status)).toEqual([200, 429, 200]);
  });

  it('can be changed at runtime through the control route', async () => {
    const api = await start();
    const cf = client(api.url);
    const res = await post(api.origin, '/__emulator/faults', { rateLimit: { limit: 1, windowMs: 60_000 } });
    expect(res.body).toMatchObject({ rateLimit: { limit: 1, windowMs: 60_000 } });
    await get(cf);
    await expect(get(cf)).rejects.toBeInstanceOf(Cloudflare.RateLimitError);
    await fetch(`${api.origin}/__emulator/faults`, { method: 'DELETE' });
    await expect(get(cf)).resolves.toMatchObject({ id: TUNNEL });
  });
});

describe('injected faults', () => {
  it('retries an injected 429 with a small retry-after and then succeeds', async () => {
    const records: RequestRecord[] = [];
    const api = await start({ onRequest: (r) => records.push(r) });
    api.setFaults({ status: 429, count: 1, retryAfter: 0.05 });
    await expect(get(client(api.url, { maxRetries: 2 }))).resolves.toMatchObject({ id: TUNNEL });
    expect(records.map((r) => r.status)).toEqual([429, 200]);
  });

  it('retries injected 503s and succeeds; with retries exhausted it is an InternalServerError', async () => {
    const records: RequestRecord[] = [];
    const api = await start({ onRequest: (r) => records.push(r) });
    const res = await post(api.origin, '/__emulator/faults', { status: 503, count: 2, retryAfter: 0 });
    expect(res.status).toBe(200);
    await expect(get(client(api.url, { maxRetries: 2 }))).resolves.toMatchObject({ id: TUNNEL });
    expect(records.filter((r) => r.path.startsWith('/client/v4/')).map((r) => r.status)).toEqual([503, 503, 200]);

    api.setFaults({ status: 503, count: 2, retryAfter: 0 });
    const error = await get(client(api.url, { maxRetries: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.InternalServerError);
    expect((error as APIError).errors[0]?.code).toBe(503);
  });

  it('only fails calls whose path matches', async () => {
    const api = await start();
    api.setFaults({ status: 500, count: 5, path: '/connections' });
    const cf = client(api.url);
    await expect(get(cf)).resolves.toMatchObject({ id: TUNNEL });
    await expect(cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT })).rejects.toBeInstanceOf(Cloudflare.InternalServerError);
  });

  it('delays answers by the injected latency, enough for an SDK timeout to fire', async () => {
    const api = await start();
    api.setFaults({ latencyMs: 300 });
    await expect(get(client(api.url, { timeout: 50 }))).rejects.toBeInstanceOf(Cloudflare.APIConnectionTimeoutError);
    const started = performance.now();
    await get(client(api.url, { timeout: 5000 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    api.setFaults({ latencyMs: 0 });
    await expect(get(client(api.url, { timeout: 100 }))).resolves.toMatchObject({ id: TUNNEL });
  });

  it('rejects a malformed fault patch with 400', async () => {
    const api = await start();
    const res = await post(api.origin, '/__emulator/faults', { count: 2 });
    expect(res.status).toBe(400);
    expect(() => {
      api.setFaults({ status: 200 });
    }).toThrow(/status/);
  });
});

describe('control routes', () => {
  it('shows the state without secrets or tokens', async () => {
    const api = await start();
    const res = await fetch(`${api.origin}/__emulator/state`);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, status: 'inactive' }, {}] }, {}] });
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.alloc(32, 7).toString('base64'));
  });
});
