import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fenceVerdict, type EdgeConnector, type HealthSnapshot, type OriginView, type PeerView } from '../src/state/index.js';
import { CONNECTOR_ID, healthySnapshot } from './helpers/health-snapshots.js';

// The three hostnames of healthySnapshot(): app and ssh up there, api down.
const HOSTS = 'app.example.com, api.example.com, ssh.example.com';
const PEER = 'http://tunnelwatch-1.tunnelwatch:9464';
const PEER_ID = '9f8e7d6c-1111-4222-8333-444455556666';
const PEER2 = 'http://tunnelwatch-2.tunnelwatch:9464';
const PEER2_ID = '5b6c7d8e-2222-4333-8444-555566667777';

const live = (id: string): EdgeConnector => ({ id, version: '2026.8.2', connections: [{ id: `${id}-c0`, colo: 'ord02', pendingReconnect: false }] });

/** This replica with every origin at `state`; the edge lists it and the peers' connectors `listed` (live). */
function self(state: OriginView['state'] = 'down', listed: readonly EdgeConnector[] = [live(PEER_ID), live(PEER2_ID)]): HealthSnapshot {
  const s = healthySnapshot();
  const own = s.edge.connectors.find((c) => c.id === CONNECTOR_ID);
  return {
    ...s,
    origins: s.origins.map((o) => ({ ...o, state, ...(state === 'down' ? { reason: 'connect ECONNREFUSED' } : {}) })),
    edge: { ...s.edge, connectors: [...(own ? [own] : []), ...listed] },
  };
}

/** A sibling that serves the app hostname, as its /status reads. */
function peer(over: Partial<PeerView> = {}): PeerView {
  return {
    url: PEER,
    state: 'healthy',
    fenced: false,
    connectorId: PEER_ID,
    origins: [
      { key: 'rule0:http://web:8080', hostname: 'app.example.com', state: 'up' },
      { key: 'rule1:http://api:9000', hostname: 'api.example.com', state: 'down' },
    ],
    ...over,
  };
}

const against = (problems: string): string => `every origin is down here (${HOSTS}) but only 0 of the required 1 siblings serve them (${problems})`;

describe('fenceVerdict: this replica', () => {
  it.each<[string, HealthSnapshot, string]>([
    ['no origin probed yet', self('unknown'), 'no origin has been probed yet'],
    ['some origin up here (one of three down)', healthySnapshot(), 'this replica reaches some of its origins'],
    ['every origin up here', self('up'), 'this replica reaches some of its origins'],
  ])('%s: no fence, whatever the siblings serve', (_name, snapshot, why) => {
    const verdict = fenceVerdict(snapshot, [peer()], 1);
    expect(verdict.wouldFence).toBe(false);
    expect(verdict.why).toBe(why);
  });

  it('no fence while the probed origins are not all down: one unknown and the others up', () => {
    const s = self('down');
    const snapshot = { ...s, origins: s.origins.map((o, i) => ({ ...o, state: i === 0 ? ('unknown' as const) : ('up' as const) })) };
    expect(fenceVerdict(snapshot, [peer()], 1)).toMatchObject({ wouldFence: false, why: 'this replica reaches some of its origins' });
  });

  it('origins not probed yet do not stand against fencing once the probed ones are all down', () => {
    const s = self('down');
    const snapshot = { ...s, origins: s.origins.map((o, i) => (i === 2 ? { ...o, state: 'unknown' as const } : o)) };
    expect(fenceVerdict(snapshot, [peer()], 1)).toEqual({ wouldFence: true, servingPeers: [PEER], why: `every origin is down here (app.example.com, api.example.com) while ${PEER} serves them` });
  });
});

describe('fenceVerdict: siblings', () => {
  it('every origin down here and one sibling serving: fence, naming the hostnames and the sibling', () => {
    expect(fenceVerdict(self(), [peer()], 1)).toEqual({ wouldFence: true, servingPeers: [PEER], why: `every origin is down here (${HOSTS}) while ${PEER} serves them` });
  });

  it('a degraded sibling serves too', () => {
    expect(fenceVerdict(self(), [peer({ state: 'degraded' })], 1)).toMatchObject({ wouldFence: true, servingPeers: [PEER] });
  });

  it('a sibling up for an origin without a hostname (a target) matches it by key', () => {
    const s = self();
    const snapshot = { ...s, origins: [{ key: 'target:db', service: 'tcp://db:5432', state: 'down' as const, since: s.at }] };
    const verdict = fenceVerdict(snapshot, [peer({ origins: [{ key: 'target:db', state: 'up' }] })], 1);
    expect(verdict).toEqual({ wouldFence: true, servingPeers: [PEER], why: `every origin is down here (target:db) while ${PEER} serves them` });
  });

  it.each<[string, Partial<PeerView>, string]>([
    ['down', { state: 'down' }, 'its connector is down'],
    ['inactive (held, stopped)', { state: 'inactive' }, 'its connector is inactive'],
    ['in an unknown state', { state: 'unknown' }, 'its connector is unknown'],
    ['without a state', { state: undefined }, 'its connector is unknown'],
    ['unreachable', { error: 'its /status could not be read: fetch failed' }, 'its /status could not be read: fetch failed'],
    ['fenced itself', { fenced: true }, 'it is fenced itself'],
    [
      'up only where this replica is up too (no hostname down here)',
      { origins: [{ key: 'rule9:http://other:80', hostname: 'other.example.com', state: 'up' }] },
      'it reaches none of the origins this replica cannot',
    ],
    [
      'down for the same hostnames',
      { origins: [{ key: 'rule0:http://web:8080', hostname: 'app.example.com', state: 'down' }, { key: 'rule1:http://api:9000', hostname: 'api.example.com', state: 'unknown' }] },
      'it reaches none of the origins this replica cannot',
    ],
    ['without origins', { origins: [] }, 'it reaches none of the origins this replica cannot'],
  ])('a sibling %s is not counted, and the why says so', (_name, over, problem) => {
    // Without `state` in the view (a /status without it), the key must be absent, not undefined.
    const view = { ...peer(), ...over };
    if (over.state === undefined && 'state' in over) delete (view as { state?: string }).state;
    const verdict = fenceVerdict(self(), [view], 1);
    expect(verdict).toEqual({ wouldFence: false, servingPeers: [], why: against(`${PEER}: ${problem}`) });
  });

  it('an error wins over whatever else the view says', () => {
    expect(fenceVerdict(self(), [peer({ error: 'its /status answered HTTP 401', fenced: true })], 1).why).toBe(against(`${PEER}: its /status answered HTTP 401`));
  });

  it('lists the problem of each sibling not counted, in order', () => {
    const verdict = fenceVerdict(self(), [peer({ state: 'down' }), peer({ url: PEER2, connectorId: PEER2_ID, fenced: true })], 1);
    expect(verdict.wouldFence).toBe(false);
    expect(verdict.why).toBe(against(`${PEER}: its connector is down; ${PEER2}: it is fenced itself`));
  });

  it('without any sibling: no fence, and no list', () => {
    expect(fenceVerdict(self(), [], 1)).toEqual({ wouldFence: false, servingPeers: [], why: `every origin is down here (${HOSTS}) but only 0 of the required 1 siblings serve them` });
  });

  it('minServingPeers 2 with one serving: no fence; the one serving is still named', () => {
    const verdict = fenceVerdict(self(), [peer(), peer({ url: PEER2, connectorId: PEER2_ID, state: 'down' })], 2);
    expect(verdict).toEqual({ wouldFence: false, servingPeers: [PEER], why: `every origin is down here (${HOSTS}) but only 1 of the required 2 siblings serve them (${PEER2}: its connector is down)` });
  });

  it('minServingPeers 2 with two serving: fence, naming both', () => {
    const verdict = fenceVerdict(self(), [peer(), peer({ url: PEER2, connectorId: PEER2_ID })], 2);
    expect(verdict).toEqual({ wouldFence: true, servingPeers: [PEER, PEER2], why: `every origin is down here (${HOSTS}) while ${PEER}, ${PEER2} serve them` });
  });
});

describe('fenceVerdict: the edge view', () => {
  const pendingOnly: EdgeConnector = { id: PEER_ID, version: '2026.8.2', connections: [{ id: 'p0', colo: 'ord02', pendingReconnect: true }, { id: 'p1', colo: 'dfw01', pendingReconnect: true }] };

  it.each<[string, readonly EdgeConnector[]]>([
    ['with a live connection', [live(PEER_ID)]],
    ['with one live connection beside a pending one', [{ id: PEER_ID, version: '2026.7.3', connections: [{ id: 'x1', colo: 'ord02', pendingReconnect: false }, { id: 'x2', colo: 'dfw01', pendingReconnect: true }] }]],
  ])('a sibling whose connector the edge lists %s counts', (_name, listed) => {
    expect(fenceVerdict(self('down', listed), [peer()], 1)).toMatchObject({ wouldFence: true, servingPeers: [PEER] });
  });

  it.each<[string, readonly EdgeConnector[], Partial<PeerView>, string]>([
    ['listed only with connections pending reconnect', [pendingOnly], {}, PEER_ID],
    ['not listed', [live(PEER2_ID)], {}, PEER_ID],
    ['listed with no connection', [{ id: PEER_ID, version: '2026.8.2', connections: [] }], {}, PEER_ID],
    ['without a connector id on its /status', [live(PEER_ID)], { connectorId: undefined }, '(unknown id)'],
  ])('a sibling %s does not count', (_name, listed, over, named) => {
    const view = { ...peer(), ...over };
    if ('connectorId' in over && over.connectorId === undefined) delete (view as { connectorId?: string }).connectorId;
    expect(fenceVerdict(self('down', listed), [view], 1)).toEqual({
      wouldFence: false,
      servingPeers: [],
      why: against(`${PEER}: the Cloudflare API lists no live connector ${named} for it`),
    });
  });

  it.each<[string, HealthSnapshot['edge']]>([
    ['unknown (the API cannot be reached)', { status: 'unknown', configured: true, error: 'fetch failed', connectors: [] }],
    ['not configured', { status: 'unknown', configured: false, connectors: [] }],
  ])('an edge view %s is not required', (_name, edge) => {
    expect(fenceVerdict({ ...self(), edge }, [peer()], 1)).toMatchObject({ wouldFence: true, servingPeers: [PEER] });
  });
});

describe('fenceVerdict: never all at once', () => {
  /** Replica `i`'s /status as a sibling reads it: decided at the same moment, so none fenced yet. */
  const view = (s: HealthSnapshot, url: string): PeerView => ({
    url,
    state: s.state,
    fenced: false,
    ...(s.connectorId === undefined ? {} : { connectorId: s.connectorId }),
    origins: s.origins.map((o) => ({ key: o.key, ...(o.hostname === undefined ? {} : { hostname: o.hostname }), state: o.state })),
  });

  /** Replicas with their own origin states; every edge view lists every connector, live. */
  function replicas(states: readonly (readonly OriginView['state'][])[]): HealthSnapshot[] {
    const ids = states.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const connectors = ids.map(live);
    const base = healthySnapshot();
    return states.map((origins, i) => ({
      ...base,
      connectorId: ids[i] ?? '',
      origins: base.origins.map((o, k) => ({ ...o, state: origins[k] ?? 'unknown' })),
      edge: { ...base.edge, connectors },
    }));
  }

  const verdicts = (all: readonly HealthSnapshot[], minServingPeers = 1): ReturnType<typeof fenceVerdict>[] => {
    const urls = all.map((_, i) => `http://tunnelwatch-${String(i)}.tunnelwatch:9464`);
    return all.map((s, i) => fenceVerdict(s, all.flatMap((p, j) => (j === i ? [] : [view(p, urls[j] ?? '')])), minServingPeers));
  };

  it('two replicas with every origin down, each the other\'s sibling: neither would fence', () => {
    const [a, b] = verdicts(replicas([['down', 'down', 'down'], ['down', 'down', 'down']]));
    for (const v of [a, b]) {
      expect(v?.wouldFence).toBe(false);
      expect(v?.why).toMatch(/: it reaches none of the origins this replica cannot\)$/);
    }
  });

  it('of two replicas, only the one whose origins are all down would fence', () => {
    const [a, b] = verdicts(replicas([['down', 'down', 'down'], ['up', 'down', 'down']]));
    expect(a?.wouldFence).toBe(true);
    expect(b?.wouldFence).toBe(false);
  });

  it('(property) a replica that would fence counts only siblings that would not, so some replica always stays', () => {
    const state = fc.constantFrom<OriginView['state']>('up', 'down', 'unknown');
    fc.assert(
      fc.property(fc.array(fc.array(state, { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 5 }), fc.integer({ min: 1, max: 3 }), (states, min) => {
        const all = verdicts(replicas(states), min);
        const urls = all.map((_, i) => `http://tunnelwatch-${String(i)}.tunnelwatch:9464`);
        const fencing = new Set(urls.filter((_, i) => all[i]?.wouldFence === true));
        for (const v of all) if (v.wouldFence) for (const url of v.servingPeers) expect(fencing.has(url), url).toBe(false);
        expect(all.every((v) => v.wouldFence)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
