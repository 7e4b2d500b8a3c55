// Fidelity of the cloudflared emulator against the machine-readable table of cloudflared's outside surface
// (test/fixtures/fidelity/cloudflared-2026.8.2.yaml). The table, not the emulator, is the reference: a row the
// emulator does not reproduce fails here.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, type Exposition } from '../src/cloudflared/metrics/exposition.js';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { reserveDeadPort, startHttpOrigin } from '../src/emulator/origins.js';
import { Emulated, expectInOrder } from './emulator-cloudflared-harness.js';

interface RouteRow { path: string; state?: 'connected' | 'disconnected'; status: number; body?: string; bodyPattern?: string; contentType?: string }
interface LogRow { type: string; level?: string; levels?: string[]; message?: string; messagePattern?: string; fields: string[]; error?: boolean; errorPattern?: string }
interface MetricRow { name: string; type: string; help: string; labels: string[]; when: string }
interface Table { routes: RouteRow[]; logs: LogRow[]; sequences: { start: string[]; stop: string[] }; metrics: MetricRow[] }

const table = parse(readFileSync(new URL('fixtures/fidelity/cloudflared-2026.8.2.yaml', import.meta.url), 'utf8')) as Table;

function rowMatches(row: LogRow, e: LogEvent): boolean {
  if (e.type !== row.type) return false;
  if (row.message !== undefined ? e.message !== row.message : !new RegExp(row.messagePattern ?? '').test(e.message)) return false;
  return true;
}

function checkRow(row: LogRow, events: readonly LogEvent[]): void {
  const hits = events.filter((e) => rowMatches(row, e));
  expect(hits.length, `no ${row.type} line "${row.message ?? row.messagePattern ?? ''}"`).toBeGreaterThan(0);
  for (const e of hits) {
    const levels = row.levels ?? [row.level];
    expect(levels, `${row.type}: level of "${e.message}"`).toContain(e.level);
    for (const field of row.fields) expect(Object.keys(e.fields), `${row.type}: field ${field} of "${e.message}"`).toContain(field);
    if (row.errorPattern !== undefined) expect(e.error ?? '').toMatch(new RegExp(row.errorPattern));
    else if (row.error === true) expect(e.error, `${row.type}: error field`).toBeDefined();
  }
}

function checkMetrics(exposition: Exposition, when: readonly string[]): void {
  expect(exposition.errors).toEqual([]);
  for (const row of table.metrics.filter((m) => when.includes(m.when))) {
    const family = exposition.families.find((f) => f.name === row.name);
    expect(family, `metric family ${row.name}`).toBeDefined();
    expect({ name: row.name, type: family?.type, help: family?.help }).toEqual({ name: row.name, type: row.type, help: row.help });
    const labels = new Set(family?.samples.flatMap((s) => Object.keys(s.labels)).filter((l) => l !== 'le' && l !== 'quantile'));
    expect([...labels].sort(), `labels of ${row.name}`).toEqual(row.labels);
  }
}

function visit(edge: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${edge}/`, { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const startsWith = (prefix: string) => (e: LogEvent): boolean => e.message.startsWith(prefix);

/** An emulator whose scenario applies `fault` before its first dial. */
function withFaultFromStart(fault: string): Emulated {
  const scenario = join(mkdtempSync(join(tmpdir(), 'tw-fidelity-')), 'scenario.yaml');
  writeFileSync(scenario, `steps:\n  - { at: 0s, fault: ${fault} }\n`);
  return Emulated.start({ env: { CFEMU_SCENARIO: scenario } });
}

describe('cloudflared emulator fidelity (real processes, compressed time)', () => {
  const all: LogEvent[] = [];
  let origin: Awaited<ReturnType<typeof startHttpOrigin>>;
  let configFile: string;

  beforeAll(async () => {
    origin = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'fidelity' });
    const dead = await reserveDeadPort();
    configFile = join(mkdtempSync(join(tmpdir(), 'tw-fidelity-')), 'config.yml');
    writeFileSync(
      configFile,
      `ingress:\n  - hostname: app.example.com\n    service: http://${origin.address}\n  - hostname: dead.example.com\n    service: http://127.0.0.1:${String(dead)}\n  - service: http_status:404\n`,
    );
  });

  afterAll(async () => {
    await origin.close();
  });

  it('a healthy start, requests, a lost connection, a config push and a graceful stop', async () => {
    const emu = Emulated.start({ args: ['tunnel', '--no-autoupdate', '--metrics', '127.0.0.1:0', '--config', configFile, 'run'] });
    try {
      await emu.readyUntil((r) => r.body.readyConnections === 4, '4 connections');
      for (const row of table.routes.filter((r) => r.state !== 'disconnected')) {
        const res = await emu.get(row.path);
        const body = await res.text();
        expect(res.status, row.path).toBe(row.status);
        if (row.body !== undefined) expect(body, row.path).toBe(row.body);
        if (row.bodyPattern !== undefined) expect(body, row.path).toMatch(new RegExp(row.bodyPattern));
        if (row.contentType !== undefined) expect(res.headers.get('content-type'), row.path).toBe(row.contentType);
      }
      checkMetrics(parseExposition(await emu.metrics()), ['always', 'registered', 'quic']);

      const { edge } = await emu.ports();
      expect(await visit(edge ?? '', 'app.example.com')).toBe(200);
      expect(await visit(edge ?? '', 'dead.example.com')).toBe(502);
      await emu.waitFor((e) => e.type === 'request_error', 'Request failed');
      checkMetrics(parseExposition(await emu.metrics()), ['after_response']);

      await emu.fault({ fault: 'drop', conn: 1, reason: 'goaway' });
      await emu.waitFor((e) => e.type === 'registered' && e.connIndex === 1, 'conn 1 back', 2);
      await emu.fault({ fault: 'config_update', version: 7, config: { ingress: [{ service: 'http_status:503' }] } });
      await emu.waitFor((e) => e.type === 'config_updated', 'config update');

      const stopFrom = emu.events.length;
      emu.child.kill('SIGTERM');
      expect((await emu.exited).code).toBe(0);
      expectInOrder(emu.events, table.sequences.start.map(startsWith));
      expectInOrder(emu.events, table.sequences.stop.map(startsWith), stopFrom);
      all.push(...emu.events);
    } finally {
      await emu.stop();
    }
  });

  it('QUIC blocked from the start falls back to http2', async () => {
    const emu = withFaultFromStart('quic_blocked');
    try {
      const registered = await emu.waitFor((e) => e.type === 'registered', 'a registration');
      expect(registered.type === 'registered' && registered.protocol).toBe('http2');
      all.push(...emu.events);
    } finally {
      await emu.stop();
    }
  });

  it('the edge refusing registration keeps /ready at 503 and counts register_fail', async () => {
    const emu = withFaultFromStart('register_refused');
    try {
      await emu.waitFor((e) => e.type === 'register_error', 'a refused registration', 2);
      const row = table.routes.find((r) => r.path === '/ready' && r.state === 'disconnected');
      const res = await emu.get('/ready');
      expect(res.status).toBe(row?.status);
      expect(await res.text()).toMatch(new RegExp(row?.bodyPattern ?? ''));
      checkMetrics(parseExposition(await emu.metrics()), ['always', 'register_refused']);
      all.push(...emu.events);
    } finally {
      await emu.stop();
    }
  });

  it('every log row of the table was produced with its level and fields', () => {
    expect(all.length).toBeGreaterThan(0);
    for (const row of table.logs) checkRow(row, all);
  });
});
