// The public face of src/state/: what the rest of tunnelwatch may use from it.
export { applyEvent, initialConnections, slotsUp, type ConnectionsState, type DownCause, type Slot } from './connections.js';
export { HealthModel, healthOptions } from './health-model.js';
export { PROCESS_PHASES, TUNNEL_STATUSES, type EdgeConnection, type EdgeConnector, type EdgeObservation, type MetricsObservation, type Observation, type OriginObservation, type OriginTargetsObservation, type ProcessObservation, type ReadyObservation, type TunnelStatus } from './observations.js';
export { CONNECTOR_STATES, REASON_CODES, type ConnectorState, type HealthSnapshot, type OriginView } from './snapshot.js';
export { fenceVerdict, type FenceVerdict, type PeerView } from './fence.js';
