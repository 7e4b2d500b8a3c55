// A real Grafana Loki (single binary, filesystem storage, on loopback) for the integration suite and the Loki
// benchmark: built from source by scripts/build-loki.sh (cached by checksum), started with its own data directory
// and free ports, stopped, killed and started again on the same data, and queried through its HTTP API. Lives under
// bench/ because the bench compiles from bench/ and src/ only; test/helpers/loki.ts re-exports it. A missing
// binary or a failed build is an error with the script's words, never a skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort, waitFor } from './obs-servers.js';

const BUILD = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../scripts/build-loki.sh' : '../scripts/build-loki.sh', import.meta.url));

let built: string | undefined;

/** The Loki binary: built (or found in the cache) once per process by scripts/build-loki.sh. */
export function lokiBinary(): string {
  if (built !== undefined) return built;
  try {
    built = execFileSync(BUILD, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 }).trim().split('\n').pop() ?? '';
  } catch (error) {
    throw new Error(`a real Loki is needed and ${BUILD} failed: ${(error as Error).message}`, { cause: error });
  }
  return built;
}

export interface LokiOptions {
  /** Merged into `limits_config` (e.g. `{ ingestion_rate_mb: 0.5 }`). */
  readonly limits?: Readonly<Record<string, unknown>>;
  /** Multi-tenant: every request needs `X-Scope-OrgID`. */
  readonly authEnabled?: boolean;
}

/** One entry as Loki returns it from a query: its stream's labels (with what Loki added), time and line. */
export interface LokiEntry {
  readonly labels: Readonly<Record<string, string>>;
  readonly ns: string;
  readonly line: string;
}

export interface QueryOptions {
  readonly tenant?: string;
  /** Unix ms; default an hour ago and now plus a minute. */
  readonly startMs?: number;
  readonly endMs?: number;
  readonly limit?: number;
}

interface QueryAnswer {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: readonly { readonly stream?: Record<string, string>; readonly values?: readonly [string | number, string][]; readonly metric?: Record<string, string> }[] };
}

export class RunningLoki {
  readonly url: string;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #log = '';
  readonly #config: string;
  readonly #ports: readonly [number, number];

  private constructor(dir: string, ports: readonly [number, number]) {
    this.url = `http://127.0.0.1:${String(ports[0])}`;
    this.dir = dir;
    this.#config = join(dir, 'loki.yaml');
    this.#ports = ports;
  }

  /** Starts Loki on free loopback ports with a fresh data directory and waits for `/ready`. */
  static async start(options: LokiOptions = {}): Promise<RunningLoki> {
    const bin = lokiBinary();
    const dir = mkdtempSync(join(tmpdir(), 'tw-loki-'));
    const loki = new RunningLoki(dir, [await freePort(), await freePort()]);
    loki.reconfigure(options);
    await loki.resume(bin);
    return loki;
  }

  /** Writes a new configuration (same ports and data); it takes effect on the next `resume()`. */
  reconfigure(options: LokiOptions): void {
    writeFileSync(this.#config, stringify(lokiConfig(this.dir, this.#ports[0], this.#ports[1], options)));
  }

  /** Loki's own output so far (for a failing test's message). */
  get log(): string {
    return this.#log;
  }

  /** Starts Loki again on the same ports and data (after stop or kill) and waits for `/ready`. */
  async resume(bin = lokiBinary()): Promise<void> {
    if (this.#child !== undefined) throw new Error('Loki is already running');
    const child = spawn(bin, [`-config.file=${this.#config}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (chunk: Buffer): void => { this.#log = (this.#log + chunk.toString('utf8')).slice(-20_000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', () => { if (this.#child === child) this.#child = undefined; });
    await waitFor(async () => {
      if (this.#child !== child) throw new Error(`Loki exited while starting:\n${this.#log.slice(-3000)}`);
      const text = await fetch(`${this.url}/ready`).then((r) => r.text(), () => '');
      return text.trim() === 'ready' ? true : undefined;
    }, `Loki at ${this.url} to be ready`, 60_000);
  }

  /** SIGTERM (Loki flushes and leaves its ring) and waits for the exit. */
  stop(): Promise<void> {
    return this.#end('SIGTERM');
  }

  /** SIGKILL: what an OOM kill or a node loss does; the WAL in the data directory is what remains. */
  kill(): Promise<void> {
    return this.#end('SIGKILL');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    this.#child = undefined;
  }

  /** Stops Loki and removes its data directory. */
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `GET /loki/api/v1/query_range` for a log query: every entry, oldest first. */
  async entries(logql: string, options: QueryOptions = {}): Promise<LokiEntry[]> {
    const answer = await this.query(logql, options);
    if (answer.data?.resultType !== 'streams') throw new Error(`${logql}: expected streams, Loki answered ${answer.data?.resultType ?? 'nothing'}`);
    const out = answer.data.result.flatMap((s) => (s.values ?? []).map(([ns, line]) => ({ labels: s.stream ?? {}, ns: String(ns), line })));
    return out.sort((a, b) => (BigInt(a.ns) < BigInt(b.ns) ? -1 : BigInt(a.ns) > BigInt(b.ns) ? 1 : 0));
  }

  /** `GET /loki/api/v1/query_range`, answered as Loki answers it; throws on an error status with Loki's words. */
  async query(logql: string, options: QueryOptions = {}): Promise<QueryAnswer> {
    const now = Date.now();
    const params = new URLSearchParams({
      query: logql,
      start: `${String(options.startMs ?? now - 3_600_000)}000000`,
      end: `${String(options.endMs ?? now + 60_000)}000000`,
      limit: String(options.limit ?? 5000),
      direction: 'forward',
    });
    const res = await fetch(`${this.url}/loki/api/v1/query_range?${params.toString()}`, { headers: options.tenant === undefined ? {} : { 'x-scope-orgid': options.tenant } });
    const text = await res.text();
    if (!res.ok) throw new Error(`Loki answered HTTP ${String(res.status)} to ${logql}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as QueryAnswer;
  }

  /** `GET /loki/api/v1/label/<name>/values`. */
  async labelValues(name: string, tenant?: string): Promise<string[]> {
    const res = await fetch(`${this.url}/loki/api/v1/label/${encodeURIComponent(name)}/values`, { headers: tenant === undefined ? {} : { 'x-scope-orgid': tenant } });
    const body = (await res.json()) as { data?: string[] };
    return body.data ?? [];
  }
}

/** The configuration from ../shared/reference/loki.md, with fast start and stop for tests, and the given limits. */
function lokiConfig(dir: string, http: number, grpc: number, options: LokiOptions): Record<string, unknown> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const data = join(dir, 'data');
  return {
    auth_enabled: options.authEnabled ?? false,
    server: { http_listen_address: '127.0.0.1', http_listen_port: http, grpc_listen_address: '127.0.0.1', grpc_listen_port: grpc, log_level: 'warn' },
    common: {
      instance_addr: '127.0.0.1',
      path_prefix: data,
      storage: { filesystem: { chunks_directory: join(data, 'chunks'), rules_directory: join(data, 'rules') } },
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
    },
    // Ready at once and gone at once: a test starts and stops several.
    ingester: { lifecycler: { min_ready_duration: '0s', final_sleep: '0s' } },
    schema_config: { configs: [{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }] },
    // Each query reads what is stored now, not an answer cached by an earlier one.
    query_range: { cache_results: false },
    limits_config: { ...options.limits },
    analytics: { reporting_enabled: false },
  };
}
