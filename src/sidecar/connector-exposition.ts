// Fetches the connector's /metrics when Prometheus scrapes /cloudflared/metrics: the scrape then shows the
// connector as it is at that moment, and cloudflared's metrics server (which also serves pprof and /config) need
// not be reachable by anything but tunnelwatch.
import { connectAddress, connectorFamilies } from '../cloudflared/metrics/index.js';
import { boundedFetch } from '../collectors/index.js';

/** A real exposition is tens of kilobytes; this bounds a wrong answer, not a real one. */
const MAX_BYTES = 8 << 20;
const TIMEOUT_MS = 3000;

export type Exposition = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly why: string };

/** Asks the connector at `address()` for its metrics and keeps its own families; says why when it cannot. */
export function connectorExposition(address: () => string | undefined, fetchImpl?: typeof fetch): () => Promise<Exposition> {
  const get = boundedFetch(MAX_BYTES, fetchImpl, { answer: "the connector's /metrics answer", fix: 'check that cloudflared.metrics is the address of a cloudflared' });
  return async () => {
    const at = address();
    if (at === undefined) return { ok: false, why: 'no connector is running, or it has not said where its metrics server listens yet' };
    const url = `http://${connectAddress(at)}/metrics`;
    try {
      const res = await get(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) return { ok: false, why: `GET ${url} answered HTTP ${String(res.status)}` };
      return { ok: true, text: connectorFamilies(await res.text()) };
    } catch (error) {
      return { ok: false, why: `GET ${url} failed: ${(error as Error).message}` };
    }
  };
}
