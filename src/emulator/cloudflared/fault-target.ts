// Applying faults to the running emulator (the FaultTarget the fault steps act through).
import { applyFault, type Fault, type FaultTarget } from './faults.js';
import { goPanicText } from './panic.js';
import type { LiveConn, TunnelRuntime } from './runtime.js';

const PATH_TIMEOUT_MS = 5000;

export interface FaultHooks {
  readonly writeStderr: (text: string) => void;
  readonly exit: (code: number) => void;
}

function sortedLive(rt: TunnelRuntime): LiveConn[] {
  return [...rt.live.values()].sort((a, b) => a.index - b.index);
}

export function faultTarget(rt: TunnelRuntime, hooks: FaultHooks): FaultTarget {
  return {
    faults: rt.faults,
    drop(conn, reason) {
      const target = conn === undefined ? sortedLive(rt)[0] : rt.live.get(conn);
      target?.drop(reason);
      return target !== undefined;
    },
    dropAll(reason) {
      for (const live of sortedLive(rt)) live.drop(reason);
    },
    quicPathLost() {
      // Existing QUIC connections notice a black-holed path when the 5 s idle timeout fires.
      rt.clock.after(PATH_TIMEOUT_MS, () => {
        if (!rt.faults.quicBlocked && !rt.faults.edgeUnreachable) return;
        for (const live of sortedLive(rt)) if (live.protocol === 'quic') live.drop('quic_timeout');
      });
    },
    edgeLost() {
      rt.clock.after(PATH_TIMEOUT_MS, () => {
        if (!rt.faults.edgeUnreachable) return;
        for (const live of sortedLive(rt)) live.drop('quic_timeout');
      });
    },
    crash(exitCode, message) {
      if (exitCode === undefined || exitCode === 2) hooks.writeStderr(goPanicText(message, rt.rng.int(100_000)));
      else if (message !== undefined) hooks.writeStderr(`${message}\n`);
      hooks.exit(exitCode ?? 2);
    },
    pushConfig(version, configText) {
      rt.orchestrator.update(version, configText);
    },
    setHung(hung) {
      rt.faults.hung = hung;
      rt.log.mute(hung);
    },
    after(ms, fn) {
      rt.clock.after(ms, fn);
    },
  };
}

/** Applies a fault, as the control endpoint and scenario steps do. */
export function applyTo(target: FaultTarget): (fault: Fault) => void {
  return (fault) => { applyFault(fault, target); };
}
