// The SDK's client core and tunnel resource loaded without its other resource modules (src/collectors/cloudflare-sdk.ts),
// in a fresh Node process so the module cache is this loader's alone. The calls themselves are exercised against the
// API emulator by the edge collector's tests and the demo.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const SCRIPT = `
import { createRequire } from 'node:module';
const { tunnelClient, tunnelSdk } = await import('./dist/src/collectors/cloudflare-sdk.js');
const require = createRequire(import.meta.url);
const tunnels = tunnelClient({ apiToken: 'not-a-real-token', baseURL: 'http://127.0.0.1:9/client/v4', maxRetries: 0 });
const resources = () => Object.keys(require.cache).filter((f) => f.includes('/cloudflare/resources/')).length;
const lean = resources();
const sdk = tunnelSdk();
const error = await tunnels.get('6f1c2b7e-4d3a-4b8e-9c1f-2a5d7e9b0c34', { account_id: 'a'.repeat(32) }).catch((e) => e);
const Full = require('cloudflare').default;
const full = new Full({ apiToken: 'not-a-real-token' });
console.log(JSON.stringify({
  lean,
  get: typeof tunnels.get, connections: typeof tunnels.connections.get,
  connectionError: error instanceof sdk.APIConnectionError,
  fullAfter: typeof full.zeroTrust.tunnels.cloudflared.get, fullResources: resources(),
}));`;

describe('the cloudflare SDK, tunnel resource only', () => {
  it('loads the client core and the cloudflared resource without the other resource modules, and leaves the whole SDK loadable', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toMatchObject({ get: 'function', connections: 'function', connectionError: true, fullAfter: 'function' });
    // The cloudflared subtree is 16 modules; the whole SDK about 1,900.
    expect(out.lean).toBeLessThan(40);
    expect(out.fullResources).toBeGreaterThan(1000);
  });
});
