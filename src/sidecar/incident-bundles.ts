// Incident bundles for `run`: written when the connector's state turns down (at most once per
// incidents.minInterval, so a flapping connector writes one, not hundreds) and on demand (POST /incidents, the
// `tunnelwatch incident` command). Each is a record, a span and a count; the newest one's path is on /status and
// in the annotations of this replica's alerts.
import { join } from 'node:path';
import type { FiringAlert } from '../alerts/index.js';
import { VERSION } from '../base/index.js';
import type { Settings } from '../config/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import { gatherConnector, incidentMetrics, IncidentStore, type IncidentTrigger, renderBundle, type StoredBundle } from '../incidents/index.js';
import type { HealthSnapshot } from '../state/index.js';
import type { Logger } from '../telemetry/logs/index.js';
import type { MetricSet } from '../telemetry/metrics/index.js';
import { pointSpan } from '../telemetry/tracing/index.js';

export interface IncidentSources {
  readonly settings: Settings;
  readonly log: Logger;
  readonly snapshot: () => HealthSnapshot;
  readonly diagnosis: () => readonly Diagnosis[];
  readonly alerts: () => readonly FiringAlert[];
  readonly probes: () => unknown;
  /** tunnelwatch's own /metrics text. */
  readonly metrics: () => Promise<string>;
  /** cloudflared's metrics address (host:port), once announced. */
  readonly connectorAddress: () => string | undefined;
  /** The newest records as written (redacted JSON lines). */
  readonly records: () => readonly string[];
  /** Hides every configured secret in any value. */
  readonly redact: <T>(value: T) => T;
  readonly now?: () => number;
}

/** Where bundles go: incidents.dir, or `incidents` in the spool directory (tunnelwatch's state directory). */
export const incidentDir = (settings: Settings): string => settings.incidents.dir ?? join(settings.logs.spoolDir, 'incidents');

export class IncidentBundles {
  readonly #o: IncidentSources;
  readonly #store: IncidentStore;
  readonly #now: () => number;
  readonly #written = new Map<IncidentTrigger, number>([['down', 0], ['on_demand', 0]]);
  #last: StoredBundle | undefined;
  #lastAutomatic = Number.NEGATIVE_INFINITY;
  #writing: Promise<StoredBundle> = Promise.resolve({ path: '', bytes: 0, at: 0, trigger: '' });
  #stopping = false;

  constructor(o: IncidentSources) {
    this.#o = o;
    this.#store = new IncidentStore(incidentDir(o.settings), o.settings.incidents.keep);
    this.#now = o.now ?? Date.now;
  }

  /** The newest bundle written by this tunnelwatch. */
  get last(): StoredBundle | undefined {
    return this.#last;
  }

  /** Bundles written, by trigger. */
  get metrics(): MetricSet {
    return incidentMetrics((trigger) => this.#written.get(trigger) ?? 0);
  }

  /** tunnelwatch is stopping: the connector going down from here on is the stop, not an incident. */
  stopping(): void {
    this.#stopping = true;
  }

  /**
   * A bundle when a connector that served turns down (incidents.onDown), unless one was written within
   * incidents.minInterval; a connector that has not registered yet since start is not an incident, nor is the
   * drain of tunnelwatch's own stop.
   */
  stateChanged(before: HealthSnapshot, after: HealthSnapshot): void {
    const { onDown, minInterval } = this.#o.settings.incidents;
    const served = before.state === 'healthy' || before.state === 'degraded';
    if (!onDown || this.#stopping || !served || after.state !== 'down' || this.#now() - this.#lastAutomatic < minInterval) return;
    this.#lastAutomatic = this.#now();
    const reasons = after.reasons.map((r) => r.message).join('; ');
    this.write('down', `state ${before.state} -> down${reasons === '' ? '' : `: ${reasons}`}`).catch(() => undefined);
  }

  /** Writes a bundle now; bundles are written one at a time. */
  write(trigger: IncidentTrigger, reason: string): Promise<StoredBundle> {
    const next = this.#writing.catch(() => undefined).then(() => this.#write(trigger, reason));
    this.#writing = next;
    return next;
  }

  async #write(trigger: IncidentTrigger, reason: string): Promise<StoredBundle> {
    const o = this.#o;
    const { maxBytes } = o.settings.incidents;
    const at = this.#now();
    try {
      const [metrics, connector] = await Promise.all([o.metrics(), gatherConnector(o.connectorAddress(), 2000, maxBytes)]);
      const text = renderBundle(
        { at, trigger, reason, version: VERSION, settings: o.settings, snapshot: o.snapshot(), diagnosis: o.diagnosis(), alerts: o.alerts(), probes: o.probes(), metrics, connector, records: o.records() },
        maxBytes,
        o.redact,
      );
      const stored = await this.#store.write(text, at, trigger);
      this.#last = stored;
      this.#written.set(trigger, (this.#written.get(trigger) ?? 0) + 1);
      pointSpan('incident bundle', { trigger, path: stored.path, bytes: stored.bytes });
      o.log.warn({ event: 'incident_bundle', trigger, path: stored.path, bytes: stored.bytes }, `incident bundle written: ${stored.path} (${String(stored.bytes)} bytes; ${trigger === 'down' ? reason : 'asked for'})`);
      return stored;
    } catch (error) {
      o.log.error({ event: 'incident_bundle', trigger, err: (error as Error).message }, `could not write an incident bundle to ${incidentDir(o.settings)}: ${(error as Error).message}; check incidents.dir`);
      throw error;
    }
  }
}
