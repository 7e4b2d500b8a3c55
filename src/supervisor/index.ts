// The public face of src/supervisor/: what the rest of tunnelwatch may use from it.
export { AttachedConnector } from './attached.js';
export type { ChildExit } from './child.js';
export { buildCommand, type Command } from './command.js';
export type { Connector } from './connector.js';
export { HeldWatch } from './held-watch.js';
export type { FollowEvent } from './log-follower.js';
export { describeReason, RESTART_REASONS, type RestartReason } from './restart-policy.js';
export { Supervisor, supervisorOptions } from './supervisor.js';
