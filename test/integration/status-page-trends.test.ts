// The status page of a running `tunnelwatch run` (emulated world) as someone woken at 3 am reads it, in real headless
// Chromium at a phone's width (390 px) and a desktop's (1280 px). The demo's dead origin is down, so
// TunnelOriginUnreachable is pending (its `for` is 2m; the test is over well before); one connection is dropped so
// the reconnects trend has a bar; the history is sampled every 250 ms (server.historyInterval) instead of 30 s.
// The page must show the trends, the pending alert counting down, next steps, who this replica is, and never
// scroll sideways. The screenshots go to docs/ (README links the desktop one).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chromium } from '../helpers/chromium.js';
import { connectorFault, get, serverAddress, statusUntil, type StatusBody } from '../helpers/run-observe.js';
import { poll, trackedProcesses } from '../helpers/run-process.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const SAMPLES = 12;

const p = trackedProcesses();

type WithPending = StatusBody & { readonly pendingAlerts?: readonly { readonly alertname: string; readonly firesAt: number }[] };

/** What the test reads from the page's DOM, in one evaluation. */
interface PageFacts {
  readonly viewport: number;
  readonly scrollWidth: number;
  readonly charts: Readonly<Record<string, { readonly width: number; readonly shapes: number }>>;
  readonly who: readonly string[];
  readonly states: readonly string[];
  readonly pending: readonly { readonly alert: string; readonly countdown: string }[];
  readonly nextSteps: readonly string[];
  readonly runbooks: number;
  readonly times: number;
}

const FACTS = `(() => {
  const text = (el) => (el?.textContent ?? '').replace(/\\s+/g, ' ').trim();
  const charts = {};
  for (const svg of document.querySelectorAll('svg[data-chart]')) charts[svg.dataset.chart] = { width: svg.getBoundingClientRect().width, shapes: svg.querySelectorAll('rect, path').length };
  const pendingSection = [...document.querySelectorAll('section')].find((s) => text(s.querySelector('h2')) === 'Pending alerts');
  return {
    viewport: window.innerWidth,
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    charts,
    who: [...document.querySelectorAll('#top .who > span')].map(text),
    states: [...document.querySelectorAll('#top .pair')].map(text),
    pending: [...(pendingSection?.querySelectorAll('tbody tr') ?? [])].map((tr) => ({ alert: text(tr.querySelector('a')), countdown: text(tr.querySelector('.countdown')) })),
    nextSteps: [...document.querySelectorAll('#why .next')].map(text),
    runbooks: document.querySelectorAll('#why .next a').length,
    times: document.querySelectorAll('time[datetime]').length,
  };
})()`;

describe('the status page in Chromium, phone and desktop', () => {
  const shared = p.shared(
    {
      TUNNELWATCH_SERVER_HISTORY_INTERVAL: '250ms',
      TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
      TUNNELWATCH_ORIGINS_INTERVAL: '1s',
      TUNNELWATCH_ORIGINS_FAILURES_TO_DOWN: '1',
      TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: '250ms',
      TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      TUNNELWATCH_IDENTITY_REPLICA: 'tunnelwatch-0',
      TUNNELWATCH_IDENTITY_ZONE: 'eu-west-1a',
    },
    { start: 'beforeAll' },
  );
  let browser: Chromium | undefined;
  let url = '';

  beforeAll(async () => {
    const run = shared();
    await run.registered();
    await statusUntil(run, (s: WithPending) => (s.origins.some((o) => o.state === 'down') && s.pendingAlerts?.some((a) => a.alertname === 'TunnelOriginUnreachable') === true ? s : undefined), 'an origin down and TunnelOriginUnreachable pending', 30_000);
    await connectorFault(run, { fault: 'drop', conn: 2 });
    await statusUntil(run, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'connection 2 back', 30_000);
    await poll(async () => {
      const count = /(\d+) samples, one every/.exec((await get(run, '/')).body)?.[1];
      return Number(count ?? 0) >= SAMPLES ? true : undefined;
    }, `${String(SAMPLES)} samples in the history`, 20_000);
    url = `http://${await serverAddress(run)}/`;
    browser = await Chromium.launch();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each([
    ['desktop', 1280, 900],
    ['phone', 390, 844],
  ] as const)('at %s width (%i px): trends, the pending alert counting down, next steps, no sideways scroll; screenshot in docs/', async (name, width, height) => {
    if (browser === undefined) throw new Error('chromium did not start');
    const tab = await browser.open(url, width, height);
    // The page refreshes itself every 5 s: with the page's clock paused, the DOM read and the screenshot are of one page.
    await tab.send('Emulation.setVirtualTimePolicy', { policy: 'pause' });
    const facts = await tab.evaluate<PageFacts>(FACTS);

    expect(facts.viewport).toBe(width);
    expect(facts.scrollWidth).toBeLessThanOrEqual(width);
    for (const chart of ['connector-state', 'service-state', 'connections', 'reconnects', 'latency']) {
      expect(facts.charts[chart]?.shapes, chart).toBeGreaterThan(0);
      // Drawn across the content's width, whatever the screen.
      expect(facts.charts[chart]?.width, chart).toBeGreaterThan(width < 600 ? 300 : 250);
    }
    expect(facts.who).toEqual(['replica tunnelwatch-0', 'zone eu-west-1a', expect.stringMatching(/^tunnel [0-9a-f-]{36}$/)]);
    expect(facts.states).toEqual(['connector healthy', 'service degraded']);
    expect(facts.pending).toContainEqual({ alert: 'TunnelOriginUnreachable', countdown: expect.stringMatching(/^fires in (1m( \d+s)?|\d+s)$/) as unknown });
    expect(facts.nextSteps.some((s) => s.startsWith('Next step:'))).toBe(true);
    expect(facts.runbooks).toBeGreaterThan(0);
    expect(facts.times).toBeGreaterThan(10);

    expect(await tab.screenshot(join(DOCS, `status-page-${name}.png`))).toBeGreaterThan(20 * 1024);
  });
});
