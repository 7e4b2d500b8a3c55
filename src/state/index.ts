// The public face of src/state/: what the rest of tunnelwatch may use from it.
export { applyEvent, initialConnections, slotsUp, type ConnectionsState, type DownCause, type Slot } from './connections.js';
export { HealthModel, healthOptions } from './health.js';
export type { EdgeConnection, EdgeConnector, EdgeObservation, MetricsObservation, Observation, OriginObservation, OriginTargetsObservation, ProcessObservation, ReadyObservation, TunnelStatus } from './observations.js';
export { CONNECTOR_STATES, REASON_CODES, type ConnectorState, type HealthSnapshot, type OriginView } from './snapshot.js';
