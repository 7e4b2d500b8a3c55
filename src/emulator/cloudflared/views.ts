// Read-only views of the running emulator: what the metrics server's routes serve and what the control
// endpoint's GET /state returns.
import { statfsSync } from 'node:fs';
import os from 'node:os';
import { GO_VERSION } from './go-runtime.js';
import type { EmulatorLogger } from './logger.js';
import type { MetricsSource } from './metrics-server.js';
import type { InFlight } from './proxy-hooks.js';
import { GO_ARCH } from './startup.js';
import type { TunnelRuntime } from './runtime.js';
import type { Settings } from './settings.js';

export interface ViewInputs {
  readonly rt: TunnelRuntime;
  readonly log: EmulatorLogger;
  readonly settings: Settings;
  readonly tunnelId: string;
  readonly connectorId: string;
  readonly version: string;
  readonly startedAt: number;
  readonly icmpSources: readonly string[];
  readonly inFlight: InFlight;
  readonly cwd: string;
}

function systemInfo(version: string): string {
  const kb = (n: number): number => Math.floor(n / 1024);
  let disk: { name: string; sizeMaximum: number; sizeCurrent: number }[];
  try {
    const fs = statfsSync('/');
    disk = [{ name: '/', sizeMaximum: kb(fs.blocks * fs.bsize), sizeCurrent: kb((fs.blocks - fs.bfree) * fs.bsize) }];
  } catch {
    disk = [];
  }
  return JSON.stringify({
    info: {
      memoryMaximum: kb(os.totalmem()),
      memoryCurrent: kb(os.totalmem() - os.freemem()),
      fileDescriptorMaximum: 1048576,
      fileDescriptorCurrent: 32,
      osSystem: os.platform(),
      hostName: os.hostname(),
      osVersion: os.version(),
      osRelease: os.release(),
      architecture: os.machine(),
      cloudflaredVersion: version,
      goVersion: GO_VERSION,
      goArch: GO_ARCH,
      disk,
    },
    // SystemCollectorImpl.Collect always returns its SystemInformationGeneralError value, which marshals to an
    // object of the collectors that failed: `{}` on a healthy machine, never null.
    errors: {},
  });
}

export function metricsSource(v: ViewInputs): MetricsSource {
  const scrapes = { '200': 0, '500': 0, '503': 0 };
  let inFlight = 0;
  return {
    log: v.log,
    connectorId: v.connectorId,
    readyConnections: () => v.rt.tracker.countActive(),
    exposition: () =>
      v.rt.metrics.exposition(
        { startedAt: v.startedAt, goroutines: 24 + 14 * v.rt.live.size + 3 * v.inFlight.count, scrapes, scrapesInFlight: inFlight },
        Date.now(),
      ),
    configJson: () => v.rt.orchestrator.configJson(),
    tunnelState: () => ({
      tunnelId: v.tunnelId,
      connectorId: v.connectorId,
      connections: v.rt.tracker.active().map(({ index, info }) => ({ index, protocol: info.protocol, edgeAddress: info.edgeAddress })),
      icmpSources: v.icmpSources,
    }),
    diagConfiguration: () => ({ ...v.settings.diagnosticFlags(v.cwd), uid: String(process.getuid?.() ?? 0) }),
    systemInfo: () => systemInfo(v.version),
    hung: () => v.rt.faults.hung,
    scrapeStarted: () => {
      inFlight++;
    },
    scrapeFinished: (code) => {
      inFlight--;
      scrapes[code]++;
    },
  };
}

/** GET /state on the control endpoint. */
export async function stateView(
  v: ViewInputs,
  extra: { protocols: Record<number, string>; addresses: Record<string, string>; shuttingDown: boolean },
): Promise<unknown> {
  const { rt } = v;
  const ha = (await rt.metrics.haConnections.get()).values[0]?.value ?? 0;
  return {
    pid: process.pid,
    version: v.version,
    tunnelId: v.tunnelId,
    connectorId: v.connectorId,
    readyConnections: rt.tracker.countActive(),
    haConnections: ha,
    connections: [...rt.live.values()]
      .sort((a, b) => a.index - b.index)
      .map((c) => ({ index: c.index, connectionId: c.connectionId, ip: c.ip, location: c.location, protocol: c.protocol })),
    protocols: extra.protocols,
    configVersion: rt.orchestrator.version,
    faults: rt.faults.active(),
    inFlight: v.inFlight.count,
    shuttingDown: extra.shuttingDown,
    addresses: extra.addresses,
  };
}
