// The Fencing controller against siblings that are real local HTTP servers answering /status with bodies the tests
// set, a stand-in supervisor that records hold() and release(), and this replica's snapshot as the tests set it.
// check() is called directly; with fencing.after and fencing.unfenceAfter at 0s the timers they arm fire on the
// next turn of the event loop.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../src/config/index.js';
import { Fencing } from '../src/sidecar/fencing.js';
import type { HealthSnapshot, OriginView } from '../src/state/index.js';
import type { Supervisor } from '../src/supervisor/index.js';
import type { Logger, OwnLevel } from '../src/telemetry/logs/index.js';
import { CONNECTOR_ID, NOW, healthySnapshot } from './helpers/health-snapshots.js';

// healthySnapshot()'s edge lists this connector with a live connection: the sibling's, confirmed by the API.
const PEER_ID = '9f8e7d6c-1111-4222-8333-444455556666';
const HOSTS = 'app.example.com, api.example.com, ssh.example.com';

interface StatusBody {
  state?: string;
  connectorId?: string;
  fence?: { fenced: boolean };
  origins?: { key: string; hostname?: string; state: string }[];
}

/** A sibling serving the app hostname. */
const serving = (): StatusBody => ({
  state: 'healthy',
  connectorId: PEER_ID,
  fence: { fenced: false },
  origins: [{ key: 'rule0:http://web:8080', hostname: 'app.example.com', state: 'up' }],
});

interface Peer {
  readonly url: string;
  body: StatusBody;
  status: number;
  readonly seen: IncomingHttpHeaders[];
}

let servers: Server[] = [];
let fencings: Fencing[] = [];
afterEach(async () => {
  for (const f of fencings) f.stop();
  fencings = [];
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  servers = [];
});

/** A sibling's tunnelwatch: GET /status answers `body` (changeable) with `status`. */
async function peer(body: StatusBody = serving()): Promise<Peer> {
  const p: Peer = { url: '', body, status: 200, seen: [] };
  const server = createServer((req, res) => {
    p.seen.push(req.headers);
    if (req.url !== '/status') res.writeHead(404).end();
    else res.writeHead(p.status, { 'content-type': 'application/json' }).end(JSON.stringify(p.body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(p, { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}` });
}

/** This replica with every origin at `state`. */
function here(state: OriginView['state']): HealthSnapshot {
  const s = healthySnapshot();
  return { ...s, origins: s.origins.map((o) => ({ ...o, state })) };
}

interface Rig {
  readonly fencing: Fencing;
  readonly calls: ('hold' | 'release')[];
  readonly records: { level: OwnLevel; fields: Record<string, unknown>; msg: string }[];
  readonly held: string[];
  /** This replica's snapshot, as check() reads it. */
  self: HealthSnapshot;
  /** The supervisor's state when set (breaker_open, stopping); else running, or held after hold(). */
  supervisorState?: string;
}

function settings(peers: readonly Peer[], sets: readonly string[] = []): Settings {
  const loaded = loadSettings({
    env: {},
    sets: ['fencing.enabled=true', `fencing.peers=${peers.map((p) => p.url).join(',')}`, 'fencing.after=0s', 'fencing.unfenceAfter=0s', ...sets],
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.settings;
}

function rig(peers: readonly Peer[], sets: readonly string[] = []): Rig {
  const calls: ('hold' | 'release')[] = [];
  let held = false;
  // Only what Fencing uses of a Supervisor: its state, hold() drains and keeps it down, release() only undoes a hold.
  const supervisor = {
    get state() {
      return r.supervisorState ?? (held ? 'held' : 'running');
    },
    hold: () => {
      calls.push('hold');
      held = true;
      return Promise.resolve(true);
    },
    release: () => {
      calls.push('release');
      if (!held) return false;
      held = false;
      return true;
    },
  } as unknown as Supervisor;
  const records: Rig['records'] = [];
  const method = (level: OwnLevel) => (first: Record<string, unknown> | string, second?: string): void => {
    records.push(typeof first === 'string' ? { level, fields: {}, msg: first } : { level, fields: first, msg: second ?? '' });
  };
  const log = { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') } as Logger;
  const r: Omit<Rig, 'fencing'> & { fencing?: Fencing } = { calls, records, held: [], self: here('down') };
  const fencing = new Fencing({
    settings: settings(peers, sets),
    supervisor,
    log,
    snapshot: () => r.self,
    onHeld: (why) => r.held.push(why),
    now: () => NOW,
  });
  fencings.push(fencing);
  r.fencing = fencing;
  return r as Rig;
}

/** Lets the 0 ms timers of fencing.after and fencing.unfenceAfter fire. */
const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Fencing', () => {
  it('every origin down here and a sibling serving: holds cloudflared once, with a record, the state and onHeld', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    await r.fencing.check();
    await tick();

    const why = `every origin is down here (${HOSTS}) while ${sibling.url} serves them`;
    expect(r.calls).toEqual(['hold']);
    expect(r.fencing.state).toEqual({ fenced: true, since: NOW, why });
    expect(r.held).toEqual([`fenced: ${why}`]);
    const warns = r.records.filter((x) => x.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.fields).toEqual({ event: 'fence', why });
    expect(warns[0]?.msg).toMatch(/^fencing this replica: every origin is down here .* draining cloudflared \(grace 30s\)/);
    expect(sibling.seen).toHaveLength(1);

    // Still fenced, still nothing answering here, the sibling still serving: nothing more happens.
    await r.fencing.check();
    await tick();
    expect(r.calls).toEqual(['hold']);
    expect(r.fencing.state.fenced).toBe(true);
  });

  it('fenced, then some origin answers here: released after fencing.unfenceAfter, because some origin answers again', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    await r.fencing.check();
    await tick();
    expect(r.fencing.state.fenced).toBe(true);

    r.self = { ...here('down'), origins: here('down').origins.map((o, i) => (i === 0 ? { ...o, state: 'up' as const } : o)) };
    await r.fencing.check();
    await tick();
    expect(r.calls).toEqual(['hold', 'release']);
    expect(r.fencing.state).toEqual({ fenced: false, since: NOW, why: 'some origin answers again' });
    const unfence = r.records.filter((x) => x.level === 'warn')[1];
    expect(unfence?.fields).toEqual({ event: 'unfence', why: 'some origin answers again' });
    expect(unfence?.msg).toBe('unfencing this replica: some origin answers again; starting cloudflared again');
  });

  it('waits fencing.unfenceAfter with the origin answering without a break before it releases', async () => {
    const sibling = await peer();
    const r = rig([sibling], ['fencing.unfenceAfter=300ms']);
    await r.fencing.check();
    await tick();
    expect(r.fencing.state.fenced).toBe(true);

    // Up, then down again before 300 ms: the clock starts over.
    r.self = here('up');
    await r.fencing.check();
    await tick(50);
    r.self = here('down');
    await r.fencing.check();
    await tick(400);
    expect(r.calls).toEqual(['hold']);

    r.self = here('up');
    await r.fencing.check();
    await tick(50);
    expect(r.calls).toEqual(['hold']);
    await tick(400);
    expect(r.calls).toEqual(['hold', 'release']);
  });

  it('fenced with the origins still down and the sibling gone down too: released at once, too few siblings serve', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    await r.fencing.check();
    await tick();
    expect(r.fencing.state.fenced).toBe(true);

    sibling.body = { ...serving(), state: 'down' };
    await r.fencing.check();
    // At once: no timer to wait for.
    expect(r.calls).toEqual(['hold', 'release']);
    expect(r.fencing.state.fenced).toBe(false);
    expect(r.fencing.state.why).toBe(
      `too few siblings serve any more (every origin is down here (${HOSTS}) but only 0 of the required 1 siblings serve them (${sibling.url}: its connector is down))`,
    );
    expect(r.records.at(-1)?.fields).toMatchObject({ event: 'unfence' });
  });

  it('a sibling that cannot be read any more ends the fence too', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    await r.fencing.check();
    await tick();
    sibling.status = 503;
    await r.fencing.check();
    expect(r.calls).toEqual(['hold', 'release']);
    expect(r.fencing.state.why).toContain(`${sibling.url}: its /status answered HTTP 503`);
  });

  it('does not count a sibling that is this replica (its own connector id)', async () => {
    const itself = await peer({ ...serving(), connectorId: CONNECTOR_ID });
    const r = rig([itself]);
    await r.fencing.check();
    await tick();
    expect(r.calls).toEqual([]);
    expect(r.fencing.state).toEqual({ fenced: false });

    // With a real sibling beside it, only the real one is named.
    const other = await peer();
    const r2 = rig([itself, other]);
    await r2.fencing.check();
    await tick();
    expect(r2.calls).toEqual(['hold']);
    expect(r2.fencing.state.why).toBe(`every origin is down here (${HOSTS}) while ${other.url} serves them`);
  });

  it('does not fence while some origin answers here, nor without a sibling that can be read', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    r.self = healthySnapshot();
    await r.fencing.check();
    await tick();
    expect(r.calls).toEqual([]);

    // Nothing listens where this sibling was.
    const gone = await peer();
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const r2 = rig([gone]);
    await r2.fencing.check();
    await tick();
    expect(r2.calls).toEqual([]);
    expect(r2.fencing.state.fenced).toBe(false);
  });

  it('reads the siblings with the bearer token of server.authToken', async () => {
    const sibling = await peer();
    const r = rig([sibling], ['server.authToken=tw-fence-token-4e1c']);
    await r.fencing.check();
    expect(sibling.seen[0]?.authorization).toBe('Bearer tw-fence-token-4e1c');
  });

  it('counts fences and unfences in tunnelwatch_fenced and tunnelwatch_fence_changes_total{action}', async () => {
    const sibling = await peer();
    const r = rig([sibling]);
    const registry = new Registry();
    r.fencing.metrics(registry);
    const scrape = async (): Promise<Record<string, number>> => {
      const text = await registry.metrics();
      return Object.fromEntries(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    };
    const changes = (fenced: number, fence: number, unfence: number): Record<string, number> => ({
      tunnelwatch_fenced: fenced,
      'tunnelwatch_fence_changes_total{action="fence"}': fence,
      'tunnelwatch_fence_changes_total{action="unfence"}': unfence,
    });
    expect(await scrape()).toEqual(changes(0, 0, 0));
    expect(await registry.metrics()).toContain('# TYPE tunnelwatch_fence_changes_total counter');

    await r.fencing.check();
    await tick();
    expect(await scrape()).toEqual(changes(1, 1, 0));

    r.self = here('up');
    await r.fencing.check();
    await tick();
    expect(await scrape()).toEqual(changes(0, 1, 1));
  });
});

describe('Fencing when there is nothing to drain', () => {
  it('does not fence while the crash-loop breaker is open: fencing would hide it', async () => {
    const r = rig([await peer()]);
    r.supervisorState = 'breaker_open';
    await r.fencing.check();
    await tick();
    expect(r.calls).toEqual([]);
    expect(r.held).toEqual([]);
    expect(r.fencing.state.fenced).toBe(false);
  });
});
