// The loopback edge (test/edge/) as a child process: started on four loopback addresses (one per HA connection, as
// cloudflared makes one connection per edge address), driven through its admin API, and asked as a visitor through
// its public listener. Every wait has a deadline; stop() is idempotent. Lives under bench/ because the bench compiles
// from bench/ and src/ only; test/real/helpers/edge.ts re-exports it.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';

export interface EdgeInfo {
  readonly edges: readonly { readonly address: string; readonly colo: string }[];
  readonly public: string;
  readonly admin: string;
  readonly caCert: string;
  readonly pid: number;
}

/** One connection as the edge holds it (GET /connections). */
export interface EdgeConnection {
  readonly id: string;
  readonly protocol: 'quic' | 'http2';
  readonly edge: string;
  readonly colo: string;
  /** RFC 3339, when the transport connection was accepted. */
  readonly openedAt: string;
  readonly registered: boolean;
  readonly unregistered: boolean;
  readonly connIndex: number;
  readonly connectorId?: string;
  readonly version?: string;
  readonly remotelyManaged: boolean;
  readonly configVersion: number;
}

/** A fault for POST /faults (see test/edge/admin.go). */
export interface EdgeFault {
  readonly action: 'close' | 'mute' | 'unmute' | 'graceful' | 'refuse' | 'accept' | 'block-udp' | 'unblock-udp' | 'slow';
  readonly conn?: string;
  readonly connIndex?: number;
  readonly edge?: string;
  readonly cause?: string;
  readonly retryAfterMs?: number;
  readonly forMs?: number;
  readonly delayMs?: number;
}

export interface Visit {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export const COLOS = ['lax01', 'lax08', 'sjc05', 'sjc01'] as const;

export class LoopbackEdge {
  log = '';
  readonly #child: ChildProcess;
  readonly info: EdgeInfo;
  #exited: Promise<void>;

  private constructor(child: ChildProcess, info: EdgeInfo, log: string, exited: Promise<void>) {
    this.#child = child;
    this.info = info;
    this.log = log;
    this.#exited = exited;
    child.stderr?.on('data', (d: Buffer) => { this.log += d.toString('utf8'); });
  }

  /**
   * Starts the edge. `addresses` defaults to four loopback addresses on free ports; give the previous ones to
   * restart an edge where cloudflared already looks for it (the CA in `dir` is kept, as cloudflared loads it once).
   */
  static async start(binary: string, dir: string, options: { api?: string; addresses?: readonly string[] } = {}): Promise<LoopbackEdge> {
    const addresses = options.addresses ?? COLOS.map((_, i) => `127.0.0.${String(i + 1)}:0`);
    const args = ['--ca-dir', join(dir, 'edge-ca'), '--ready-file', join(dir, 'edge-ready.json')];
    addresses.forEach((address, i) => args.push('--edge', `${address}=${COLOS[i % COLOS.length] ?? 'lax01'}`));
    if (options.api !== undefined) args.push('--api', options.api);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d: Buffer) => { log += d.toString('utf8'); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
    const info = await new Promise<EdgeInfo>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the loopback edge did not start within 10 s:\n${log}`)); }, 10_000);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line === undefined) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as EdgeInfo);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the loopback edge exited (${String(code)}) before it was ready:\n${log}`));
      });
    });
    child.stderr.removeAllListeners('data');
    return new LoopbackEdge(child, info, log, exited);
  }

  /** cloudflared's flags to reach this edge: one --edge per address and the CA. */
  cloudflaredArgs(): string[] {
    return [...this.info.edges.flatMap((e) => ['--edge', e.address]), '--cacert', this.info.caCert];
  }

  async #admin<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`http://${this.info.admin}${path}`, {
      method,
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`loopback edge ${method} ${path}: HTTP ${String(res.status)} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Applies a fault; resolves with how many connections or edge addresses it hit. */
  async fault(fault: EdgeFault): Promise<number> {
    return (await this.#admin<{ targets: number }>('POST', '/faults', fault)).targets;
  }

  connections(): Promise<EdgeConnection[]> {
    return this.#admin('GET', '/connections');
  }

  /** The registered connections, once `count` of them are (polled every 50 ms). */
  async registered(count: number, timeoutMs = 30_000): Promise<EdgeConnection[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const live = (await this.connections()).filter((c) => c.registered && !c.unregistered);
      if (live.length === count) return live;
      if (Date.now() > end) throw new Error(`the edge holds ${String(live.length)} registered connections, not ${String(count)}, after ${String(timeoutMs)} ms:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pushes a configuration version to every registered connection (of `tunnelId`, when given). */
  pushConfig(version: number, config: unknown, tunnelId?: string): Promise<{ conn: string; answer?: string; error?: string }[]> {
    return this.#admin('POST', '/config', { version, config, ...(tunnelId === undefined ? {} : { tunnelId }) });
  }

  /** What cloudflared reported of its local configuration (UpdateLocalConfiguration), if anything. */
  async localConfig(tunnelId: string): Promise<unknown> {
    const res = await fetch(`http://${this.info.admin}/local-config?tunnelId=${tunnelId}`, { signal: AbortSignal.timeout(10_000) });
    return res.status === 404 ? undefined : await res.json();
  }

  /** A visitor's GET through the public listener, as to Cloudflare (node:http: fetch would drop the Host header). */
  visit(host: string, path = '/'): Promise<Visit> {
    const at = this.info.public.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const req = request({ host: this.info.public.slice(0, at), port: Number(this.info.public.slice(at + 1)), path, headers: { host }, agent: false, timeout: 30_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.once('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ status: res.statusCode ?? 0, body, headers });
        });
        res.once('error', reject);
      });
      req.once('timeout', () => { req.destroy(new Error(`visit ${host}${path} timed out`)); });
      req.once('error', reject);
      req.end();
    });
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
  }
}
