// The public face of src/state/: what the rest of tunnelwatch may use from it.
export { applyEvent, initialConnections, slotsUp, type ConnectionsState, type DownCause, type Slot } from './connections.js';
export { HealthModel, healthOptions } from './health-model.js';
export { PROCESS_PHASES, TUNNEL_STATUSES, type EdgeConnection, type EdgeConnector, type EdgeObservation, type MetricsObservation, type Observation, type OriginObservation, type OriginTargetsObservation, type ProcessObservation, type ReadyObservation, type TunnelStatus } from './observations.js';
export { CONNECTOR_STATES, REASON_CODES, type ConnectorState, type HealthSnapshot, type OriginView, type Reason, type ReasonCode } from './snapshot.js';
export { fenceVerdict, type FenceVerdict, type PeerView } from './fence.js';
export { History, HISTORY_SAMPLES, LossCounter, sampleOf, type HistorySample, type HistoryView } from './history.js';
export { SERVICE_STATES, serviceView, type ServiceState, type ServiceView } from './service.js';
export { stateReasons } from './reasons.js';
