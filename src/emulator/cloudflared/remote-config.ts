// Dashboard-managed configuration for token tunnels: the real edge pushes it over a registered connection
// (UpdateConfiguration RPC); the emulator asks the API emulator's EDGE_CONFIG_PATH after each registration
// and then every few seconds while a connection is up, and hands newer versions to the orchestrator.
import type { TunnelRuntime } from './runtime.js';

/** Fetches the remote configuration and applies it when it is newer than the one in force. */
export async function pullRemoteConfig(rt: TunnelRuntime): Promise<void> {
  if (!rt.options.remotelyManaged || !rt.edge.usesApi) return;
  const remote = await rt.edge.remoteConfig();
  if (remote === undefined || remote.config === null || remote.version <= rt.orchestrator.version) return;
  rt.orchestrator.update(remote.version, JSON.stringify(remote.config));
}

/** Polls while the process serves (every 5 s of cloudflared time, at least 250 ms apart in real time). */
export function startRemoteConfigPolling(rt: TunnelRuntime): () => void {
  if (!rt.options.remotelyManaged || !rt.edge.usesApi) return () => undefined;
  const period = Math.max(5000, 250 / rt.clock.scale);
  let stop: () => void = () => undefined;
  const tick = (): void => {
    if (rt.serverCtx.fired) return;
    const next = (): void => {
      stop = rt.clock.after(period, tick);
    };
    if (rt.live.size === 0) {
      next();
      return;
    }
    pullRemoteConfig(rt).then(next, next);
  };
  stop = rt.clock.after(period, tick);
  return () => {
    stop();
  };
}
