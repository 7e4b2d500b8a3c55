// The public face of src/supervisor/: what the rest of tunnelwatch may use from it.
export type { ChildExit } from './child.js';
export { buildCommand, type Command } from './command.js';
export { HeldWatch } from './held-watch.js';
export { describeReason, RESTART_REASONS, type RestartReason } from './restart-policy.js';
export { Supervisor, supervisorOptions } from './supervisor.js';
