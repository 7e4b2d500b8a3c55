// A dashboard-managed tunnel: the loopback edge pushes the API's configuration to the real cloudflared after it
// registers, and every new version after a change through the Cloudflare API; tunnelwatch derives the origins it
// probes from the version cloudflared runs.
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusUntil } from '../helpers/run-observe.js';
import { poll, trackedProcesses } from '../helpers/run-process.js';
import { ACCOUNT, HOSTS, startRealWorld, TUNNEL, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

describe.each(['quic', 'http2'] as const)('remote configuration of the real cloudflared over %s', (protocol) => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol, remote: true }); });
  afterAll(async () => { await world.stop(); });

  it('runs version 1 from the edge, then version 2 after a change through the API; the probed origins follow', async () => {
    const run = p.run(world.env(), [], world.cloudflared);
    const hosts = (s: { origins: readonly { hostname?: string }[] }): string[] => s.origins.map((o) => o.hostname ?? '').sort();
    const v1 = await statusUntil(run, (s) => (s.state === 'healthy' && s.origins.length === 2 ? s : undefined), 'healthy with the origins of version 1', 60_000);
    expect(hosts(v1)).toEqual([HOSTS.app, HOSTS.dead]);
    // The edge pushes to each connection just after it registered: wait for the last push.
    const pushed = await poll(async () => {
      const held = await world.edge.registered(4);
      return held.every((c) => c.configVersion === 1) ? held : undefined;
    }, 'version 1 pushed to all four connections');
    expect(pushed.every((c) => c.remotelyManaged)).toBe(true);

    const sdk = new Cloudflare({ apiToken: world.apiToken, baseURL: world.api.url, maxRetries: 0 });
    await sdk.zeroTrust.tunnels.cloudflared.configurations.update(TUNNEL, {
      account_id: ACCOUNT,
      config: { ingress: [{ hostname: 'api.real.example', service: `http://${world.app.address}` }, { hostname: '', service: 'http_status:404' }] },
    });
    const v2 = await statusUntil(run, (s) => (hosts(s).join() === 'api.real.example' ? s : undefined), 'the origins of version 2', 30_000);
    expect(v2.origins[0]).toMatchObject({ service: `http://${world.app.address}` });
    const config = await run.until(() => run.records.find((r) => r.source === 'cloudflared' && r.event === 'config_updated' && String(r.fields?.config).includes('api.real.example')), 'cloudflared applying version 2');
    expect(config.level).toBe(30);
    expect((await world.edge.visit('api.real.example')).status).toBe(200);
    expect((await world.edge.visit(HOSTS.app)).status).toBe(404);
  });
});
