// What the sidecar drives and listens to: the cloudflared tunnelwatch runs itself (Supervisor) or one beside it
// that it only follows (AttachedConnector). Same events, same verbs; what a verb cannot do there, it says false.
import type { Supervisor } from './supervisor.js';

export type Connector = Pick<Supervisor, 'on' | 'once' | 'state' | 'metricsAddress' | 'pid' | 'alive' | 'start' | 'stop' | 'hold' | 'release' | 'pauseOutput' | 'restartChild'>;
