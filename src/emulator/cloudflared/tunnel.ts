// runWithCredentials → StartServer → waitToShutdown (cmd/cloudflared/tunnel/cmd.go) for the emulator: the
// start-up lines, the metrics server, the edge proxy and control endpoint, the supervisor, and the
// shutdown: a signal starts the graceful path bounded by --grace-period, a supervisor error the fatal one.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replaceFileSync } from '../../base/index.js';
import type { CloudflaredConfig } from '../../cloudflared/config/index.js';
import { BUILD_TIME } from './args.js';
import { Latch, sleep, type Clock, type Random } from './clock.js';
import { startControl } from './control.js';
import type { TunnelCredentials } from './credentials.js';
import { EdgeAddrs, EdgeClient } from './edge.js';
import { applyTo, faultTarget } from './fault-target.js';
import { FaultState, type Step } from './faults.js';
import { createMetricsListener } from './listen.js';
import type { EmulatorLogger } from './logger.js';
import { CloudflaredMetrics } from './metrics.js';
import { serveMetricsRoutes } from './metrics-server.js';
import { Orchestrator } from './orchestrator.js';
import { goQuitText } from './panic.js';
import { logPrechecks } from './prechecks.js';
import { prepareTunnel } from './prepare.js';
import { startEdgeProxy } from './edge-proxy.js';
import { InFlight, proxyHooks } from './proxy-hooks.js';
import { startRemoteConfigPolling } from './remote-config.js';
import type { LiveConn, TunnelRuntime } from './runtime.js';
import { scheduleSteps } from './scenario.js';
import { environmentLine, type Settings } from './settings.js';
import { GO_SIGNAL_NAME, installSignals } from './signals.js';
import { GO_ARCH, GO_OS, logAutoupdate, logBuildInfo, logIcmpSources, NO_CONFIG_MESSAGE } from './startup.js';
import { Supervisor } from './supervisor.js';
import { ConnTracker } from './tracker.js';
import { metricsSource, stateView, type ViewInputs } from './views.js';

/** Exit status for bad CFEMU_* settings (not a cloudflared status). */
export const EMULATOR_USAGE_EXIT = 64;

/** Emulator-only settings (CFEMU_*). */
export interface Knobs {
  readonly api: string | undefined;
  readonly edgeListen: string;
  readonly controlListen: string | undefined;
  readonly steps: readonly Step[];
  readonly portsFile: string | undefined;
}

export interface TunnelInput {
  readonly env: NodeJS.ProcessEnv;
  readonly settings: Settings;
  readonly log: EmulatorLogger;
  readonly clock: Clock;
  readonly rng: Random;
  readonly version: string;
  readonly credentials: TunnelCredentials;
  readonly config: CloudflaredConfig | undefined;
  readonly knobs: Knobs;
  readonly cwd: string;
  readonly stdoutIsTty: boolean;
  readonly writeStderr: (text: string) => void;
  /** Ends the process at once (crash, SIGQUIT). */
  readonly exit: (code: number) => void;
}

const FEATURES = ['allow_remote_config', 'serialized_headers', 'support_datagram_v2', 'support_quic_eof', 'management_logs'];

function writePidFile(file: string, log: EmulatorLogger, env: NodeJS.ProcessEnv): void {
  const expanded = file.startsWith('~') ? path.join(env.HOME ?? os.homedir(), file.slice(1)) : file;
  try {
    writeFileSync(path.normalize(expanded), String(process.pid));
  } catch (e) {
    log.emit('error', 'Unable to write pid', [['error', e instanceof Error ? e.message : String(e)], ['expandedPath', expanded]]);
  }
}

/** Runs the tunnel until it stops; resolves with the exit code. */
export async function runTunnel(input: TunnelInput): Promise<number> {
  const { log, settings: s, clock, rng, credentials: creds, knobs } = input;
  const startedAt = Date.now();
  const metrics = new CloudflaredMetrics(input.version, BUILD_TIME);
  log.emit('info', 'Starting tunnel', [['tunnelID', creds.tunnelId]]);
  if (input.config === undefined && s.string('token') === '') log.emit('info', NO_CONFIG_MESSAGE);
  logBuildInfo(log, input.version);
  const settingsLine = s.settingsLine();
  if (settingsLine !== undefined) log.emit('info', `Settings: ${settingsLine}`);
  const envLine = environmentLine(input.env);
  if (envLine !== undefined) log.emit('info', `Environmental variables ${envLine}`);

  const graceful = new Latch();
  const serverCtx = new Latch();
  const faults = new FaultState();
  const disposeSignals = installSignals({
    onShutdown: (signal) => {
      if (faults.hung) return;
      log.emit('info', `Initiating graceful shutdown due to signal ${GO_SIGNAL_NAME[signal]} ...`);
      graceful.fire();
    },
    onQuit: () => {
      input.writeStderr(goQuitText(rng.int(100_000)));
      input.exit(2);
    },
  });
  const fail = (message: string): number => {
    disposeSignals();
    input.writeStderr(`${message}\n`);
    return 1;
  };
  logAutoupdate(log, s.bool('no-autoupdate'), s.durationMs('autoupdate-freq'), input.stdoutIsTty);

  const prepared = prepareTunnel(s, log, rng, input.config, creds.endpoint);
  if ('error' in prepared) {
    log.emit('error', "Couldn't start tunnel", [['error', prepared.error]]);
    return fail(prepared.error);
  }
  const tracker = new ConnTracker();
  const addrs = new EdgeAddrs(rng, prepared.edgeIpVersion, s.list('edge'));
  const originIp = prepared.icmp.ipv4 === '0.0.0.0' ? '203.0.113.10' : prepared.icmp.ipv4;
  const edge = new EdgeClient(knobs.api, {
    accountTag: creds.accountTag, tunnelId: creds.tunnelId, tunnelSecret: creds.secret, connectorId: prepared.connectorId,
    version: input.version, arch: `${GO_OS}_${GO_ARCH}`, features: s.bool('post-quantum') ? [...FEATURES, 'postquantum'] : FEATURES,
    originIp, runAt: new Date(startedAt).toISOString(),
  }, addrs);
  const orchestrator = new Orchestrator(prepared.ingress, log, metrics);
  const inFlight = new InFlight();
  const live = new Map<number, LiveConn>();
  let registeredOnce = false;
  const rt: TunnelRuntime = {
    clock, rng, log, metrics, tracker, faults, edge, addrs, orchestrator, live, serverCtx, graceful,
    options: {
      haConnections: s.int('ha-connections'), retries: s.int('retries'), maxEdgeAddrRetries: s.int('max-edge-addr-retries'),
      gracePeriodMs: prepared.gracePeriodMs, selector: prepared.selector, postQuantum: s.bool('post-quantum'), remotelyManaged: creds.fromToken,
    },
    drained: () => {
      const latch = new Latch();
      if (!faults.slowShutdown) inFlight.whenIdle(latch);
      return latch;
    },
    onRegistered: () => {
      if (registeredOnce) return;
      registeredOnce = true;
      if (s.isSet('pidfile')) writePidFile(s.string('pidfile'), log, input.env);
    },
  };
  const target = faultTarget(rt, { writeStderr: input.writeStderr, exit: input.exit });
  const apply = applyTo(target);
  const cancelSteps = scheduleSteps(knobs.steps, clock, apply);

  if (!s.bool('no-prechecks')) {
    clock.after(300, () => {
      const quicOk = !faults.quicBlocked && !faults.edgeUnreachable;
      const tcpOk = !faults.edgeUnreachable;
      const report = (): void => { logPrechecks(log, { region: prepared.region, quicOk, tcpOk, protocol: s.string('protocol'), runId: rng.uuid() }); };
      if (quicOk && tcpOk) report();
      else clock.after(20_000, report);
    });
  }

  const listener = await createMetricsListener(s.string('metrics'));
  if ('error' in listener) {
    cancelSteps();
    log.emit('error', 'Error opening metrics server listener', [['error', listener.error]]);
    return fail(`Error opening metrics server listener: ${listener.error}`);
  }
  const views: ViewInputs = {
    rt, log, settings: s, tunnelId: creds.tunnelId, connectorId: prepared.connectorId, version: input.version, startedAt,
    icmpSources: [prepared.icmp.ipv4, prepared.icmp.ipv6], inFlight, cwd: input.cwd,
  };
  const metricsServer = serveMetricsRoutes(listener.server, metricsSource(views));
  logIcmpSources(log, prepared.icmp);
  log.emit('info', `Starting metrics server on ${listener.address}/metrics`);

  const addresses: Record<string, string> = { metrics: listener.address };
  let edgeProxy: Awaited<ReturnType<typeof startEdgeProxy>>;
  try {
    edgeProxy = await startEdgeProxy(
      knobs.edgeListen,
      proxyHooks({ orchestrator, live, metrics, log, inFlight, connectorId: prepared.connectorId, hung: () => faults.hung }),
    );
  } catch (e) {
    cancelSteps();
    await metricsServer.close();
    disposeSignals();
    input.writeStderr(`cfemu: cannot start the edge proxy on ${knobs.edgeListen}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EMULATOR_USAGE_EXIT;
  }
  addresses.edge = edgeProxy.address;
  const supervisor = new Supervisor(rt);
  const control = knobs.controlListen === undefined
    ? undefined
    : await startControl(knobs.controlListen, {
        apply,
        state: () => stateView(views, { protocols: supervisor.protocols(), addresses, shuttingDown: graceful.fired || serverCtx.fired }),
      });
  if (control) addresses.control = control.address;
  if (knobs.portsFile !== undefined) {
    replaceFileSync(knobs.portsFile, `${JSON.stringify(addresses)}\n`);
  }

  // waitToShutdown
  const daemon = supervisor.run();
  const stopPolling = startRemoteConfigPolling(rt);
  let tunnelStopped = false;
  const first = await Promise.race([daemon.then((err) => ({ kind: 'tunnel' as const, err })), graceful.wait().then(() => ({ kind: 'graceful' as const }))]);
  let exitError: string | undefined;
  if (first.kind === 'tunnel') {
    log.emit('error', 'Initiating shutdown', first.err === undefined ? [] : [['error', first.err.message]]);
    exitError = first.err?.message;
    tunnelStopped = true;
    log.emit('info', 'Tunnel server stopped');
  } else {
    log.emit('debug', 'Graceful shutdown signalled');
    if (prepared.gracePeriodMs > 0) {
      const done = new Latch();
      void daemon.then(() => { done.fire(); });
      await sleep(clock, prepared.gracePeriodMs, done);
    }
  }
  serverCtx.fire();
  if (!tunnelStopped) {
    await daemon;
    log.emit('info', 'Tunnel server stopped');
  }
  cancelSteps();
  stopPolling();
  await Promise.all([metricsServer.close(), edgeProxy.close(), control?.close()]);
  log.emit('info', 'Metrics server stopped');
  disposeSignals();
  if (exitError !== undefined) input.writeStderr(`${exitError}\n`);
  return exitError === undefined ? 0 : 1;
}
