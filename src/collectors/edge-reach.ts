// Edge reachability as a live signal: cloudflared checks DNS and the edge ports only once, at start-up, in
// log lines. This collector repeats the checks on an interval (edge.reachabilityInterval) and keeps the last
// report for the metrics; it feeds no observation to the health model, because an unreachable port says why
// a connector might fail, not that it has.
import { checkEdgeReach, type EdgeReachOptions, type EdgeReachReport } from '../probers/index.js';
import type { Collector } from './collector.js';

export interface EdgeReachCollector extends Collector {
  /** The newest report; undefined before the first run. */
  readonly report: EdgeReachReport | undefined;
}

export function edgeReachCollector(intervalMs: number, options: Omit<EdgeReachOptions, 'signal'> = {}): EdgeReachCollector {
  let report: EdgeReachReport | undefined;
  return {
    name: 'edge_reach',
    intervalMs,
    get report() {
      return report;
    },
    async collect({ signal }) {
      report = await checkEdgeReach({ timeoutMs: Math.min(5000, intervalMs / 2), ...options, signal });
      return [];
    },
  };
}
