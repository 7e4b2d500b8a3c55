// One GET over an open connection: the status line is the answer; a little of the body is read and dropped
// so the origin is not cut off mid-write, then the connection is closed (no keep-alive, no pooling).
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { statusAllowed, type StatusRange } from './status.js';
import type { Outcome, ProbeRun } from './run.js';

/** Sent as User-Agent so origin logs show probe traffic for what it is. */
export const PROBE_USER_AGENT = 'tunnelwatch-probe';

/** At most this much body is read before the connection is closed. */
const MAX_BODY_BYTES = 4096;
/** Enough for Cloudflare's `error code: 1033` pages; the rest of a body is none of a probe's business. */
const KEPT_HEAD_BYTES = 256;

export interface GetSettings {
  readonly hostHeader: string;
  readonly path: string;
  readonly okStatus?: readonly StatusRange[];
  /** Keep the server and cf-ray headers and the head of the body (ProbeResult.answer). */
  readonly keepAnswer?: boolean;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Sends GET `path` over `socket`; any status is an answer, ok when it is in okStatus. */
export function getOnce(run: ProbeRun, socket: Socket, settings: GetSettings): Promise<Outcome> {
  run.enter('first_byte');
  run.limit(undefined);
  return new Promise((resolve, reject) => {
    const req = run.track(
      request({
        createConnection: () => socket,
        method: 'GET',
        path: settings.path,
        headers: { Host: settings.hostHeader, 'User-Agent': PROBE_USER_AGENT, Accept: '*/*', Connection: 'close' },
      }),
    );
    req.once('error', reject);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      run.found.status = status;
      const outcome: Outcome = statusAllowed(status, settings.okStatus) ? { ok: true } : { ok: false, error: `status ${String(status)}` };
      // From here a deadline or a broken body no longer changes the verdict: the origin has answered.
      run.answered = outcome;
      run.enter('body');
      let bytes = 0;
      // Who answered is known from the headers; the head of the body follows as it arrives, so a body cut by the
      // deadline still leaves what was read.
      const [server, ray] = [header(res.headers.server), header(res.headers['cf-ray'])];
      const head: Buffer[] = [];
      const keep = (): void => {
        if (settings.keepAnswer !== true) return;
        run.found.answer = { ...(server === undefined ? {} : { server }), ...(ray === undefined ? {} : { ray }), head: Buffer.concat(head).subarray(0, KEPT_HEAD_BYTES).toString('utf8') };
      };
      keep();
      const done = (): void => { resolve(outcome); };
      res.on('data', (chunk: Buffer) => {
        if (settings.keepAnswer === true && bytes < KEPT_HEAD_BYTES) {
          head.push(chunk);
          keep();
        }
        bytes += chunk.length;
        if (bytes >= MAX_BODY_BYTES) done();
      });
      res.once('end', done);
      res.once('close', done);
      res.on('error', done);
    });
    req.end();
  });
}
