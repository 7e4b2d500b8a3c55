// The connector for the settings: a cloudflared tunnelwatch runs and supervises, or (cloudflared.attach) one beside
// it whose log file and metrics server it follows.
import { join } from 'node:path';
import type { Settings } from '../config/index.js';
import { AttachedConnector, type Connector, Supervisor, supervisorOptions } from '../supervisor/index.js';
import { connectorCommand } from './connector-command.js';

/** Where an attached connector's read position is kept between runs. */
export const ATTACH_POSITION_FILE = 'attach-position.json';

export function makeConnector(settings: Settings, env: Readonly<Record<string, string | undefined>>, emulatorEnv?: Readonly<Record<string, string>>): Connector {
  const attach = settings.cloudflared.attach;
  if (attach === undefined) return new Supervisor(supervisorOptions(settings, connectorCommand(settings, env, emulatorEnv)));
  return new AttachedConnector({
    logFile: attach.logFile,
    metricsAddress: settings.cloudflared.metrics,
    ...(attach.pidFile === undefined ? {} : { pidFile: attach.pidFile }),
    from: attach.from,
    positionFile: join(settings.logs.spoolDir, ATTACH_POSITION_FILE),
    maxLineBytes: settings.supervisor.maxLineBytes,
    pollMs: attach.pollInterval,
  });
}
