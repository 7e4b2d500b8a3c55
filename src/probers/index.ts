// The probers' public face: what the collectors use to probe origins and the edge.
export { checkEdgeReach, type EdgeReachOptions, type EdgeReachReport } from './edge-reach.js';
export { runBounded } from './pool.js';
export { DEFAULT_PROBERS, proberFor, schemeOf, type ProberMap, type Scheme } from './prober.js';
export { runProbe, type Outcome, type Prober, type ProbeRun } from './run.js';
export { ANY_STATUS, statusAllowed, type StatusRange } from './status.js';
export { deriveTargets, type SkippedTarget } from './targets.js';
export type { ProbePhases, ProbeResult, ProbeService, ProbeTarget } from './types.js';
