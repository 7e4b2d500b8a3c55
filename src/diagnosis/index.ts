// The public face of src/diagnosis/: why the connector is in the state it is, named, proven and with its fix.
export { CAUSE_IDS, CAUSES, CONNECTOR_CAUSES, DOMAINS, type CauseDefinition, type CauseId, type Domain } from './causes.js';
export { diagnose, originCause, type Confidence, type DiagnoseInput, type Diagnosis, type EdgeRtt, type Evidence, type EvidenceSource, type LatencyThresholds, type ReachView } from './diagnose.js';
export { renderCausesDoc } from './causes-doc.js';
export { tunnelVerdict, type TunnelCheckView, type TunnelVerdict } from './tunnel-checks.js';
export { causeOfLine } from './line-causes.js';
export { LineEvidence, type EvidenceLine, type LineProof } from './line-evidence.js';
