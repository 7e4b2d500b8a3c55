// The public face of src/cloudflared/metrics/: what the rest of tunnelwatch may use from it.
export { connectAddress } from './connect-address.js';
export { readConnectorMetrics, type ConnectorMetrics, type QuicConnectionMetrics } from './connector-metrics.js';
export { parseExposition } from './exposition.js';
export { connectorFamilies, isConnectorFamily } from './exposition-filter.js';
