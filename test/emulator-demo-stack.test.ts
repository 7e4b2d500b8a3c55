// The emulators working together as in `tunnelwatch demo`: the tunnel status and connectors the Cloudflare
// API emulator reports (read through the real `cloudflare` SDK) follow what the emulated replicas do.
import Cloudflare from 'cloudflare';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoStack, type DemoStack } from '../src/emulator/demo-stack.js';

let stack: DemoStack;
let cf: Cloudflare;

async function status(): Promise<string | undefined> {
  return (await cf.zeroTrust.tunnels.cloudflared.get(stack.tunnelId, { account_id: stack.accountId })).status;
}

async function activeConns(): Promise<Record<string, number>> {
  const page = await cf.zeroTrust.tunnels.cloudflared.connections.get(stack.tunnelId, { account_id: stack.accountId });
  return Object.fromEntries(page.result.map((c) => [c.id ?? '', (c.conns ?? []).length]));
}

/** Polls until `check` holds; the replicas and the API are separate processes/servers, so state arrives asynchronously. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  stack = await startDemoStack({ timeScale: 0.02 });
  cf = new Cloudflare({ apiToken: readFileSync(stack.apiTokenFile, 'utf8'), baseURL: stack.api.url, maxRetries: 0 });
});

afterAll(async () => {
  await stack.stop();
});

describe('demo stack: API emulator state follows the emulated replicas', () => {
  it('two replicas with four connections each: healthy', async () => {
    await eventually(async () => Object.values(await activeConns()).join(',') === '4,4', 'two connectors with 4 conns');
    expect(await status()).toBe('healthy');
  });

  it('a lost connection lingers as pending reconnect: degraded', async () => {
    const replica = stack.replicas[0];
    if (!replica) throw new Error('no replica');
    const res = await fetch(`http://${replica.ports.control}/faults`, { method: 'POST', body: JSON.stringify({ fault: 'drop', conn: 2, reason: 'goaway' }) });
    expect(res.status).toBe(200);
    await eventually(async () => (await status()) === 'degraded', 'degraded');
  });

  it('a replica that shuts down gracefully takes its connector off the tunnel; the other keeps it up', async () => {
    const second = stack.replicas[1];
    if (!second) throw new Error('no replica');
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(second.child.exitCode).toBe(0);
    await eventually(async () => Object.keys(await activeConns()).length === 1, 'one connector left');
    expect(await status()).not.toBe('down');
  });

  it('no replica left: down', async () => {
    const first = stack.replicas[0];
    if (!first) throw new Error('no replica');
    first.child.kill('SIGTERM');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await eventually(async () => (await status()) === 'down', 'down');
  });
});
