// The public face of src/incidents/: incident bundles, assembled, gathered from cloudflared and stored.
export { renderBundle, type BundleInput, type Fetched } from './bundle.js';
export { CONNECTOR_PATHS, gatherConnector } from './gather.js';
export { INCIDENT_TRIGGERS, incidentMetrics, type IncidentTrigger } from './metrics.js';
export { IncidentStore, type StoredBundle } from './store.js';
