// Headless Chromium (Debian package `chromium`) driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on fd 3, replies and events on fd 4, each one JSON message ended by NUL), so
// a test can set the viewport width, read the DOM with script and take screenshots without a driver package.
// The pages under test run no script of their own: Runtime.evaluate is DevTools', which no page CSP governs.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this machine refuses.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--remote-debugging-pipe'];

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly sessionId?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly message: string };
}

export class Chromium {
  readonly #child: ChildProcess;
  readonly #profile: string;
  readonly #out: Writable;
  #next = 1;
  #buffer = '';
  readonly #replies = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  readonly #listeners = new Set<(m: Message) => void>();

  private constructor(child: ChildProcess, profile: string) {
    this.#child = child;
    this.#profile = profile;
    const [, , , out, input] = child.stdio as [unknown, unknown, unknown, Writable, Readable];
    this.#out = out;
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => { this.#read(chunk); });
    child.once('exit', (code, signal) => {
      for (const { reject } of this.#replies.values()) reject(new Error(`chromium exited (${String(code ?? signal)})`));
      this.#replies.clear();
    });
  }

  static async launch(): Promise<Chromium> {
    try {
      accessSync(CHROMIUM, constants.X_OK);
    } catch {
      throw new Error(`${CHROMIUM} not found: install the Debian package chromium (apt-get install chromium) to run this test`);
    }
    const profile = await mkdtemp(join(tmpdir(), 'tw-chromium-'));
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new Chromium(child, profile);
  }

  #read(chunk: string): void {
    this.#buffer += chunk;
    for (let end = this.#buffer.indexOf('\0'); end !== -1; end = this.#buffer.indexOf('\0')) {
      const message = JSON.parse(this.#buffer.slice(0, end)) as Message;
      this.#buffer = this.#buffer.slice(end + 1);
      const waiting = message.id === undefined ? undefined : this.#replies.get(message.id);
      if (waiting !== undefined && message.id !== undefined) {
        this.#replies.delete(message.id);
        if (message.error) waiting.reject(new Error(message.error.message));
        else waiting.resolve(message);
      }
      for (const listener of this.#listeners) listener(message);
    }
  }

  /** One DevTools command (to the browser, or to a page's session); resolves with its result. */
  async send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const reply = new Promise<Message>((resolve, reject) => { this.#replies.set(id, { resolve, reject }); });
    this.#out.write(`${JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) })}\0`);
    return (await reply).result ?? {};
  }

  /** Resolves with the first event `method` of `sessionId` after the call; rejects after `timeoutMs`. */
  event(method: string, sessionId: string, timeoutMs = 15_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`no ${method} within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      const listener = (m: Message): void => {
        if (m.method !== method || m.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(m);
      };
      this.#listeners.add(listener);
    });
  }

  /** A new tab showing `url` in a viewport `width` CSS pixels wide (a phone's when narrow), once it has loaded. */
  async open(url: string, width: number, height: number): Promise<Tab> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    if (typeof sessionId !== 'string') throw new Error('Target.attachToTarget gave no session');
    const tab = new Tab(this, sessionId);
    await tab.send('Page.enable');
    await tab.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: width < 600 });
    await tab.load(url);
    return tab;
  }

  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      await exited;
    }
    // Chromium's helper processes can still be writing the profile after the browser exits: rm retries ENOTEMPTY.
    await rm(this.#profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

export class Tab {
  readonly #browser: Chromium;
  readonly #session: string;

  constructor(browser: Chromium, session: string) {
    this.#browser = browser;
    this.#session = session;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#browser.send(method, params, this.#session);
  }

  /** Navigates to `url` and waits for its load event. */
  async load(url: string): Promise<void> {
    const loaded = this.#browser.event('Page.loadEventFired', this.#session);
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** The value of a script expression evaluated in the page. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', { expression, returnByValue: true })) as { result?: { value?: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails !== undefined) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result?.value as T;
  }

  /** A PNG of the whole page, however long, at the viewport's width; returns its size in bytes. */
  async screenshot(path: string): Promise<number> {
    const { cssContentSize } = (await this.send('Page.getLayoutMetrics')) as { cssContentSize: { width: number; height: number } };
    const width = await this.evaluate<number>('window.innerWidth');
    const clip = { x: 0, y: 0, width, height: Math.ceil(cssContentSize.height), scale: 1 };
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true })) as { data: string };
    const png = Buffer.from(data, 'base64');
    writeFileSync(path, png);
    return png.length;
  }
}
