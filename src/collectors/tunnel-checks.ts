// Requests through the tunnel as a visitor makes them (settings.endToEnd): each URL fetched through Cloudflare's
// entrance on an interval, keeping who answered (Cloudflare's own page or the origin) for the diagnosis and the
// metrics. Like the edge reachability checks it feeds no observation to the health model: a request that fails
// through the tunnel names a cause (diagnosis/tunnel-checks.ts); the connector's state stays its own.
import { DEFAULT_ORIGIN_REQUEST } from '../cloudflared/config/index.js';
import type { TunnelCheckView } from '../diagnosis/index.js';
import { goSplitHostPort } from '../go/index.js';
import { DEFAULT_PROBERS, runProbe, type ProbeTarget } from '../probers/index.js';
import type { Collector } from './collector.js';

export interface TunnelChecksSettings {
  readonly urls: readonly string[];
  readonly interval: number;
  readonly timeout: number;
  readonly entrance?: string | undefined;
}

export interface TunnelChecksCollector extends Collector {
  /** The newest check of each URL, in settings order; empty before the first run. */
  readonly checks: readonly TunnelCheckView[];
}

const unbracket = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** The probe of one public URL: connected to the entrance (or the URL's host), asking for the URL's host and path. */
export function tunnelTarget(url: string, entrance: string | undefined, timeoutMs: number): ProbeTarget {
  const u = new URL(url);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const at = entrance === undefined ? undefined : goSplitHostPort(entrance);
  const host = at === undefined ? unbracket(u.hostname) : at.host;
  const portText = at === undefined ? u.port : at.port;
  const port = portText === '' ? undefined : Number(portText);
  return {
    key: url,
    service: { kind: 'http', url: `${scheme}://${entrance ?? u.host}`, scheme, host, ...(port === undefined ? {} : { port }) },
    serviceText: url,
    originRequest: { ...DEFAULT_ORIGIN_REQUEST, httpHostHeader: u.host, originServerName: unbracket(u.hostname) },
    timeoutMs,
    path: `${u.pathname}${u.search}`,
    rules: [],
    keepAnswer: true,
  };
}

export function tunnelChecksCollector(settings: TunnelChecksSettings): TunnelChecksCollector {
  const targets = settings.urls.map((url) => tunnelTarget(url, settings.entrance, settings.timeout));
  let checks: readonly TunnelCheckView[] = [];
  return {
    name: 'end_to_end',
    intervalMs: settings.interval,
    get checks() {
      return checks;
    },
    async collect({ signal, now }) {
      const done = await Promise.all(
        targets.map(async (target): Promise<TunnelCheckView> => {
          const at = now();
          const r = await runProbe(target, signal, DEFAULT_PROBERS.http);
          const a = r.answer;
          return {
            url: target.key,
            at,
            durationMs: r.durationMs,
            ...(r.status === undefined ? {} : { status: r.status }),
            ...(r.status !== undefined || r.error === undefined ? {} : { error: r.error }),
            ...(a?.server === undefined ? {} : { server: a.server }),
            ...(a?.ray === undefined ? {} : { ray: a.ray }),
            ...(a === undefined ? {} : { head: a.head }),
          };
        }),
      );
      // A run stopped by tunnelwatch's own stop or deadline says nothing about the tunnel: the last checks stand.
      if (!signal.aborted) checks = done;
      return [];
    },
  };
}
