// The prober for stream origins (tcp, ssh, rdp, smb and unknown schemes cloudflared proxies as raw TCP): a TCP
// connect, and for ssh the server's identification line (RFC 4253 §4.2), which proves an SSH daemon answers.
import type { Socket } from 'node:net';
import { dialTcp } from './dial.js';
import type { Outcome, Prober, ProbeRun } from './run.js';

/** RFC 4253 allows other lines before the identification line; give up after this much. */
const MAX_PREAMBLE_BYTES = 1024;

/** Control characters shown as `?`, at most `max` characters: server text is untrusted. */
function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** Waits for a line starting `SSH-`; its text becomes the banner. */
function readSshBanner(run: ProbeRun, socket: Socket): Promise<Outcome> {
  run.enter('first_byte');
  run.limit(undefined);
  return new Promise((resolve, reject) => {
    let text = '';
    const verdict = (): Outcome | undefined => {
      const lines = text.split('\n');
      const complete = lines.slice(0, -1).map((l) => l.replace(/\r$/, ''));
      const banner = complete.find((l) => l.startsWith('SSH-'));
      if (banner !== undefined) return { ok: true, banner: printable(banner, 255) };
      if (text.length < MAX_PREAMBLE_BYTES) return undefined;
      return { ok: false, error: `no SSH banner: got "${printable(complete[0] ?? text, 40)}"` };
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const outcome = verdict();
      if (outcome) {
        run.enter('done');
        resolve(outcome);
      }
    });
    socket.once('end', () => {
      const first = text.split('\n')[0] ?? '';
      const banner = first.replace(/\r$/, '');
      if (banner.startsWith('SSH-')) resolve({ ok: true, banner: printable(banner, 255) });
      else if (text === '') resolve({ ok: false, error: 'connection closed in first_byte' });
      else resolve({ ok: false, error: `no SSH banner: got "${printable(banner, 40)}"` });
    });
    socket.once('error', reject);
  });
}

export const probeTcp: Prober = async (target, run) => {
  const { service } = target;
  if (service.kind !== 'stream') return { ok: false, error: `${target.serviceText} is not a TCP service` };
  if (service.port === undefined) return { ok: false, error: `${target.serviceText} has no port` };
  const or = target.originRequest;
  const socket = await dialTcp(run, service.host, service.port, or.connectTimeout, !or.noHappyEyeballs);
  if (service.scheme === 'ssh') return readSshBanner(run, socket);
  run.enter('done');
  return { ok: true };
};
