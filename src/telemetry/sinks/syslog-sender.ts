import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, isIPv6 } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { octetFrame } from './syslog-format.js';

/**
 * Puts formatted syslog lines on the wire. TCP and TLS use RFC 6587 octet counting (RFC 5425 for TLS) on one
 * long-lived connection, opened on the first send and again after any failure; UDP sends one message per
 * datagram (RFC 5426).
 *
 * Plain syslog over TCP has no acknowledgement, so "written" only means "in our kernel's send buffer". To keep
 * at-least-once honest, `send` resolves only after the bytes were flushed AND the connection then stayed open
 * for `settleMs`: a receiver that closes or resets meanwhile (restart, crash, idle timeout) makes `send`
 * reject, and the caller sends the batch again. A receiver that takes bytes into its socket buffer and dies
 * later than that can still lose them; only RELP (rsyslog-relp) closes that gap.
 */
export type SyslogProtocol = 'tcp' | 'udp' | 'tls';

export interface SyslogTarget {
  host: string;
  port: number;
  protocol: SyslogProtocol;
  /** PEM CA bundle for `tls`; default: Node's built-in CA store. */
  caFile?: string;
}

export interface SyslogSenderOptions extends SyslogTarget {
  connectTimeoutMs?: number;
  /** A write not flushed in this time (the receiver stopped reading) fails the connection. */
  writeTimeoutMs?: number;
  /** How long a stream connection must survive a flushed write before `send` resolves. Default 100 ms. */
  settleMs?: number;
}

export interface SyslogSender {
  /** Sends every line or rejects; after a rejection the next call reconnects. */
  send(lines: readonly string[]): Promise<void>;
  /** Closes gracefully (pending bytes are flushed) within `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

export function createSyslogSender(o: SyslogSenderOptions): SyslogSender {
  return o.protocol === 'udp' ? new UdpSender(o) : new StreamSender(o);
}

/** One stream connection and the promise that rejects when it breaks. */
interface Link { socket: Socket; broken: Promise<never>; dead: boolean }

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => { reject(new Error(`${what} timed out after ${ms} ms`)); }, ms); });
  return Promise.race([p, t]).finally(() => { clearTimeout(timer); });
}

class StreamSender implements SyslogSender {
  readonly #o: SyslogSenderOptions;
  readonly #where: string;
  #link: Link | undefined;
  #closed = false;

  constructor(o: SyslogSenderOptions) {
    this.#o = o;
    this.#where = `syslog ${o.protocol} ${o.host}:${o.port}`;
  }

  async send(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const link = this.#link && !this.#link.dead ? this.#link : await this.#connect();
    const data = Buffer.concat(lines.map(octetFrame));
    const written = new Promise<void>((resolve, reject) => {
      link.socket.write(data, (err) => { if (err) reject(err); else resolve(); });
    });
    try {
      await Promise.race([withTimeout(written, this.#o.writeTimeoutMs ?? 30_000, `${this.#where}: write`), link.broken]);
      await Promise.race([delay(this.#o.settleMs ?? 100), link.broken]);
    } catch (e) {
      link.socket.destroy();
      throw e;
    }
  }

  async close(timeoutMs = 2000): Promise<void> {
    this.#closed = true;
    const link = this.#link;
    this.#link = undefined;
    if (!link || link.dead) return;
    const closed = new Promise<void>((resolve) => link.socket.once('close', () => { resolve(); }));
    link.socket.end();
    await withTimeout(closed, timeoutMs, `${this.#where}: close`).catch(() => { link.socket.destroy(); });
  }

  async #connect(): Promise<Link> {
    const { host, port, protocol, caFile } = this.#o;
    const ca = protocol === 'tls' && caFile ? await readCa(caFile) : undefined;
    const socket = protocol === 'tls'
      ? tlsConnect({ host, port, ...(ca ? { ca } : {}), ...(isIP(host) ? {} : { servername: host }) })
      : netConnect({ host, port });
    let fail: (e: Error) => void = () => undefined;
    const link: Link = { socket, dead: false, broken: new Promise<never>((_, reject) => { fail = reject; }) };
    link.broken.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
    const die = (e: Error): void => {
      if (link.dead) return;
      link.dead = true;
      fail(e);
    };
    socket.on('error', (e: Error) => { die(this.#explain(e)); });
    socket.on('end', () => { die(new Error(`${this.#where}: the receiver closed the connection`)); });
    socket.on('close', () => { die(new Error(`${this.#where}: connection closed`)); });
    socket.on('data', () => undefined); // syslog receivers send nothing; reading is what surfaces FIN and RST
    const ready = new Promise<void>((resolve) => socket.once(protocol === 'tls' ? 'secureConnect' : 'connect', () => { resolve(); }));
    try {
      await Promise.race([withTimeout(ready, this.#o.connectTimeoutMs ?? 10_000, `${this.#where}: connect`), link.broken]);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    if (this.#closed) { // close() ran while connecting: leave no socket behind
      socket.destroy();
      throw new Error(`${this.#where}: the sender was closed`);
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    this.#link = link;
    return link;
  }

  #explain(e: Error): Error {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (this.#o.protocol === 'tls' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME/.test(code)) {
      return new Error(`${this.#where}: the receiver's certificate is not trusted (${code}: ${e.message}); set logs.syslog.caFile to the CA that signed it`);
    }
    return new Error(`${this.#where}: ${code ? `${code} ` : ''}${e.message}`);
  }
}

async function readCa(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`syslog tls: cannot read logs.syslog.caFile ${path} (${code}); point it at a readable PEM CA bundle`, { cause: e });
  }
}

class UdpSender implements SyslogSender {
  readonly #o: SyslogSenderOptions;
  #socket: DgramSocket | undefined;
  #error: Error | undefined;

  constructor(o: SyslogSenderOptions) {
    this.#o = o;
  }

  async send(lines: readonly string[]): Promise<void> {
    const { host, port } = this.#o;
    const socket = this.#open();
    for (const line of lines) {
      await new Promise<void>((resolve, reject) => {
        socket.send(Buffer.from(line, 'utf8'), port, host, (err) => {
          if (err) reject(new Error(`syslog udp ${host}:${port}: ${err.message}`));
          else resolve();
        });
      });
    }
    const err = this.#error;
    this.#error = undefined;
    if (err) throw err;
  }

  close(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    return new Promise((resolve) => { if (s) s.close(() => { resolve(); }); else resolve(); });
  }

  #open(): DgramSocket {
    if (this.#socket) return this.#socket;
    const s = createSocket(isIPv6(this.#o.host) ? 'udp6' : 'udp4');
    s.on('error', (e) => { this.#error = new Error(`syslog udp ${this.#o.host}:${this.#o.port}: ${e.message}`); });
    this.#socket = s;
    return s;
  }
}
