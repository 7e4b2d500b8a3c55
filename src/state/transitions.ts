// Which connector state changes the health model can make in one step, and what causes each. It documents the
// model and holds it to account; it does not drive it: test/state-transitions.test.ts drives the model through every
// pair, and test/state-health.test.ts fails on any change the model makes that the table calls impossible.
import { CONNECTOR_STATES, type ConnectorState } from './snapshot.js';

export type TransitionRule =
  | { readonly possible: true; readonly cause: string }
  | { readonly possible: false; readonly why: string };

const SAME: TransitionRule = { possible: false, why: 'not a transition: the state did not change' };

/**
 * TRANSITION_TABLE[from][to]. Two facts make four pairs impossible: evidence of connections (a log line or a
 * successful /ready) is never forgotten, so nothing that was healthy or degraded becomes unknown again; and a
 * connector that comes back from `stopped` holds no connections yet, so it is down (or unknown) before anything else.
 */
export const TRANSITION_TABLE: Readonly<Record<ConnectorState, Readonly<Record<ConnectorState, TransitionRule>>>> = {
  unknown: {
    unknown: SAME,
    healthy: { possible: true, cause: 'the first evidence (log lines or /ready) shows every HA connection registered' },
    degraded: { possible: true, cause: 'the first evidence (log lines or /ready) shows some HA connections registered' },
    down: { possible: true, cause: 'the process is running (or restarting) with no connection registered' },
    inactive: { possible: true, cause: 'the process is reported stopped' },
  },
  healthy: {
    unknown: { possible: false, why: 'evidence of connections is never forgotten' },
    healthy: SAME,
    degraded: { possible: true, cause: 'a connection was lost' },
    down: { possible: true, cause: 'every connection was lost at once: the process ended, shut down or lost the network' },
    inactive: { possible: true, cause: 'the process was stopped on purpose' },
  },
  degraded: {
    unknown: { possible: false, why: 'evidence of connections is never forgotten' },
    healthy: { possible: true, cause: 'the missing connections registered again' },
    degraded: SAME,
    down: { possible: true, cause: 'the remaining connections were lost' },
    inactive: { possible: true, cause: 'the process was stopped on purpose' },
  },
  down: {
    unknown: { possible: true, cause: 'tunnelwatch switched to attaching to a connector that has shown no log line and no successful /ready' },
    healthy: { possible: true, cause: 'every HA connection registered at once (a /ready answer, or one registration when one is expected)' },
    degraded: { possible: true, cause: 'a connection registered' },
    down: SAME,
    inactive: { possible: true, cause: 'the process was stopped on purpose' },
  },
  inactive: {
    unknown: { possible: true, cause: 'tunnelwatch attached to a connector that has shown no log line and no successful /ready' },
    healthy: { possible: false, why: 'a connector started again holds no connections yet: it is down first' },
    degraded: { possible: false, why: 'a connector started again holds no connections yet: it is down first' },
    down: { possible: true, cause: 'the process was started again (or attached to) and has no connection registered yet' },
    inactive: SAME,
  },
};

/** Every (from, to) pair of distinct states with its rule, in CONNECTOR_STATES order. */
export function transitionPairs(): { from: ConnectorState; to: ConnectorState; rule: TransitionRule }[] {
  return CONNECTOR_STATES.flatMap((from) =>
    CONNECTOR_STATES.filter((to) => to !== from).map((to) => ({ from, to, rule: TRANSITION_TABLE[from][to] })),
  );
}
