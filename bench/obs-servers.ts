// Real Debian observability servers for the alerting end-to-end tests and the alert-latency bench: Alertmanager
// (prometheus-alertmanager) and Prometheus on free loopback ports with temp configs, and a webhook receiver
// (node:http) that records every notification with the time it arrived. Lives under bench/ because the bench
// compiles from bench/ and src/ only; test/helpers/obs-servers.ts re-exports it. A missing binary is an error
// naming its Debian package, never a skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const PROMETHEUS_BIN = '/usr/bin/prometheus';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws, naming the Debian package, when `bin` is not installed. */
export function requireBinary(bin: string, debianPackage: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian package with \`apt-get install -y --no-install-recommends ${debianPackage}\``);
}

/** Polls `check` every 25 ms until it returns a value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A port free on 127.0.0.1 right now (the servers take a fixed --web.listen-address, so it is picked first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => { resolve(port); });
    });
  });
}

/** One alert of a webhook notification (Alertmanager's webhook payload), with when its notification arrived. */
export interface NotifiedAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Unix ms. */
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
  /** Unix ms when the webhook received the notification carrying it. */
  readonly receivedAt: number;
}

export interface Webhook {
  readonly url: string;
  /** Every alert of every notification so far, in arrival order. */
  readonly alerts: NotifiedAlert[];
  /** Alerts named `alertname` (and with `status`, when given) whose labels include `labels`. */
  find(alertname: string, status?: 'firing' | 'resolved', labels?: Readonly<Record<string, string>>): NotifiedAlert[];
  close(): Promise<void>;
}

interface WebhookPayload {
  readonly alerts?: readonly { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }[];
}

/** The receiver Alertmanager's webhook_configs point at. */
export async function startWebhook(): Promise<Webhook> {
  const alerts: NotifiedAlert[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const receivedAt = Date.now();
      try {
        const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
        for (const a of payload.alerts ?? []) {
          alerts.push({ status: a.status, labels: a.labels, annotations: a.annotations, startsAt: Date.parse(a.startsAt), endsAt: Date.parse(a.endsAt), generatorURL: a.generatorURL, receivedAt });
        }
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/`,
    alerts,
    find: (alertname, status, labels = {}) =>
      alerts.filter((a) => a.labels.alertname === alertname && (status === undefined || a.status === status) && Object.entries(labels).every(([k, v]) => a.labels[k] === v)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => { resolve(); });
    }),
  };
}

/** A server process this module started; `stop` is SIGTERM, then SIGKILL after `graceMs`. */
export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(graceMs?: number): Promise<void>;
}

/** Every server process started here, so a caller can check none outlived it. */
const started = new Set<ChildProcess>();

/** Pids of servers started here that are still running. */
export function runningServers(): number[] {
  return [...started].filter((c) => c.exitCode === null && c.signalCode === null).flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
}

function launch(name: string, bin: string, args: readonly string[]): ServerProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    // Only the tail matters for an error message; the servers log every few seconds.
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  return {
    name,
    child,
    output: () => output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function ready(server: ServerProcess, base: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited (${String(server.child.exitCode)}) before it was ready:\n${server.output()}`);
    try {
      return (await fetch(`${base}/-/ready`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, `${server.name} at ${base}/-/ready`, timeoutMs);
}

export interface Alertmanager {
  readonly url: string;
  readonly port: number;
  process: ServerProcess;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same config and storage. */
  start(): Promise<void>;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

/**
 * Alertmanager routing every alert, each in its own group (`group_by: ['...']`), to `webhookUrl` with
 * resolved notifications; group_wait/group_interval 1 s so delivery is quick, repeat_interval 1 h so a repeat
 * within a test is a bug, not a reminder. No gossip: `--cluster.listen-address=` (empty).
 */
/** `extraConfig`: YAML appended to the config, e.g. the text of alerts/alertmanager-inhibit.yaml. */
export async function startAlertmanager(webhookUrl: string, extraConfig = ''): Promise<Alertmanager> {
  requireBinary(ALERTMANAGER_BIN, 'prometheus-alertmanager');
  const dir = mkdtempSync(join(tmpdir(), 'tw-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: webhook',
      "  group_by: ['...']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: webhook',
      '    webhook_configs:',
      `      - url: ${JSON.stringify(webhookUrl)}`,
      '        send_resolved: true',
      extraConfig,
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const args = [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${String(port)}`, '--cluster.listen-address=', '--log.level=warn'];
  const am: Alertmanager = {
    url,
    port,
    process: launch('prometheus-alertmanager', ALERTMANAGER_BIN, args),
    stop: () => am.process.stop(),
    async start() {
      am.process = launch('prometheus-alertmanager', ALERTMANAGER_BIN, args);
      await ready(am.process, url);
    },
    async close() {
      await am.process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await ready(am.process, url);
  return am;
}

export interface PrometheusOptions {
  /** host:port targets serving /metrics (job `tunnelwatch`). */
  readonly targets: readonly string[];
  /** Text of the one rule file to load. */
  readonly rules: string;
  /** host:port of the Alertmanager to send alerts to. */
  readonly alertmanager: string;
  /** Added to every alert Prometheus sends, e.g. `{ via: 'prometheus' }` to tell its alerts from the built-in ones. */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

export interface Prometheus {
  readonly url: string;
  readonly process: ServerProcess;
  /** Stops it and removes its temp dir. */
  close(): Promise<void>;
}

/** Prometheus scraping and evaluating every second. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  requireBinary(PROMETHEUS_BIN, 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'tw-prom-'));
  writeFileSync(join(dir, 'rules.yaml'), options.rules);
  // JSON is YAML: no hand-written indentation to get wrong.
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', external_labels: options.externalLabels ?? {} },
    rule_files: [join(dir, 'rules.yaml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
    scrape_configs: [{ job_name: 'tunnelwatch', static_configs: [{ targets: options.targets }] }],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${String(port)}`;
  const server = launch('prometheus', PROMETHEUS_BIN, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${String(port)}`,
    '--log.level=warn',
  ]);
  await ready(server, url);
  return {
    url,
    process: server,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Prometheus rule file (text) with `alert`'s `for` set to `forText` and its keep_firing_for to 0s, so the
 * alert fires and resolves within a test; everything else stays as written (comments included).
 */
export function compressedRules(text: string, alert: string, forText: string): string {
  const doc = parseDocument(text);
  const groups = doc.get('groups');
  if (!isSeq(groups)) throw new Error('compressedRules: the rule file has no groups list');
  let found = 0;
  for (const group of groups.items) {
    const rules = isMap(group) ? group.get('rules') : undefined;
    if (!isSeq(rules)) continue;
    for (const rule of rules.items) {
      if (!isMap(rule) || rule.get('alert') !== alert) continue;
      rule.set('for', forText);
      rule.set('keep_firing_for', '0s');
      found += 1;
    }
  }
  if (found !== 1) throw new Error(`compressedRules: expected one rule for ${alert}, found ${String(found)}`);
  // lineWidth 0: no folding of long annotations, so only the two changed lines differ.
  return doc.toString({ lineWidth: 0 });
}
