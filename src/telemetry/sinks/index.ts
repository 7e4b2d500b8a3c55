// The public face of src/telemetry/sinks/: what the rest of tunnelwatch may use from it.
export { openLokiSink, type SpoolPlace } from './loki-sink.js';
export type { SpoolStats } from './spool.js';
export type { ShippingSource, SpoolShipperSink } from './spooled-sink.js';
export { openSyslogSink } from './syslog-sink.js';
