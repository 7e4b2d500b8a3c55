// The public face of src/collectors/: what the rest of tunnelwatch may use from it.
export type { Collector } from './collector.js';
export { connectorCollector } from './connector.js';
export { edgeReachCollector, type EdgeReachCollector } from './edge-reach.js';
export type { EdgeCollector } from './edge.js';
export { collectorMetrics } from './metrics.js';
export { originsCollector, readConfig, type OriginsCollector } from './origins.js';
export { tunnelCheckMetrics } from './tunnel-check-metrics.js';
export { tunnelChecksCollector, type TunnelChecksCollector } from './tunnel-checks.js';
export { boundedFetch } from './bounded-fetch.js';
export { tunnelClient } from './cloudflare-sdk.js';
export { CollectorRunner, type CollectorStats } from './runner.js';
export { fetchNodeZone, inClusterAccess, ZONE_VALUE, type NodeZone } from './node-zone.js';
