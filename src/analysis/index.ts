// The public face of src/analysis/: what the rest of tunnelwatch may use from it.
export { diagnoseLog } from './causes.js';
export { summarise, type LogSummary } from './summary.js';
export type { TimelineEntry } from './timeline.js';
