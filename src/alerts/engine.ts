// The built-in rule engine: evaluates every enabled rule at a given time and keeps each alert instance's
// lifecycle (pending, firing, keep-firing, resolved). Every transition is a log record and a span. No timers
// and no clock of its own: the scheduler passes the evaluation time in.
import { pointSpan } from '../telemetry/tracing/index.js';
import { alertAnnotations, alertLabels, labelsKey, type Annotations } from './annotations.js';
import { causeAnnotations } from './causes.js';
import { LOG_DROP_WINDOW_MS, type AlertName, type Severity } from './catalogue.js';
import { step, type AlertState, type Lifecycle } from './lifecycle.js';
import type { EffectiveRule } from './overrides.js';
import { CONDITIONS, type AlertInputs, type Labels } from './rules.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** How long an incident bundle is named in the annotations of this replica's alerts. */
export const INCIDENT_ANNOTATION_MS = 60 * 60_000;
export type LogFn = (level: LogLevel, fields: Record<string, unknown>, msg: string) => void;

/** One alert instance (one label set of one rule) that is pending, firing or recently resolved. */
export interface AlertInstance extends Lifecycle {
  /** Identity of the instance: its full label set. */
  readonly key: string;
  readonly alertname: AlertName;
  readonly severity: Severity;
  /** alertname, severity and the rule's labels, as sent to Alertmanager. */
  readonly labels: Labels;
  readonly annotations: Annotations;
}

/** A firing alert as /status and the status page show it. */
export interface FiringAlert {
  readonly alertname: string;
  readonly severity: Severity;
  readonly labels: Labels;
  readonly summary: string;
  readonly description: string;
  readonly runbookUrl: string;
  /** The diagnosed causes behind it and the fix, when tunnelwatch found any (the annotations of the same names). */
  readonly cause?: string;
  readonly remediation?: string;
  /** The newest incident bundle of this replica (its path), when one was written. */
  readonly incident?: string;
  /** This replica's self-fencing, when fenced now or a short while ago. */
  readonly fence?: string;
  /** When the condition started to hold. */
  readonly activeAt: number;
  readonly firingSince: number;
  /** Set while the condition no longer holds and keep_firing_for still holds the alert. */
  readonly keepFiringSince?: number;
}

/** An alert whose condition holds but not yet for its `for`: what the status page counts down. */
export interface PendingAlert {
  readonly alertname: string;
  readonly severity: Severity;
  readonly labels: Labels;
  readonly summary: string;
  readonly runbookUrl: string;
  /** When the condition started to hold. */
  readonly activeAt: number;
  /** activeAt plus the rule's `for`: it fires at the first evaluation from then on. */
  readonly firesAt: number;
}

export interface EngineOptions {
  readonly rules: readonly EffectiveRule[];
  readonly runbookBaseUrl: string;
  readonly log: LogFn;
}

type Phase = AlertState | 'inactive';

export class AlertEngine {
  readonly #rules: readonly EffectiveRule[];
  readonly #runbookBaseUrl: string;
  readonly #log: LogFn;
  readonly #instances = new Map<string, AlertInstance>();
  /** Changes of the cumulative dropped-records count, oldest first: [time, value]. */
  readonly #drops: [number, number][] = [];

  constructor(options: EngineOptions) {
    this.#rules = options.rules.filter((r) => r.enabled && r.definition.engine === 'both');
    this.#runbookBaseUrl = options.runbookBaseUrl;
    this.#log = options.log;
  }

  /** Evaluates every rule at `now`; returns every pending, firing and recently resolved instance. */
  evaluate(inputs: AlertInputs, now: number): readonly AlertInstance[] {
    const droppedInWindow = this.#droppedInWindow(inputs.spool.dropped, now);
    const holding = new Map<string, { rule: EffectiveRule; labels: Labels; ruleLabels: Labels }>();
    for (const rule of this.#rules) {
      const condition = CONDITIONS[rule.definition.alert];
      if (condition === undefined) continue;
      for (const ruleLabels of condition({ inputs, now, threshold: rule.threshold, droppedInWindow })) {
        const labels = alertLabels(rule.definition, rule.severity, ruleLabels);
        holding.set(labelsKey(labels), { rule, labels, ruleLabels });
      }
    }
    for (const [key, h] of holding) {
      const prev = this.#instances.get(key);
      const next = step(prev, true, now, h.rule);
      if (next === undefined) continue;
      // Annotations are rendered on every evaluation: the diagnosis behind an alert can change while it holds.
      const annotations = this.#annotations(h.rule, { ...h.ruleLabels, ...h.labels }, inputs, now);
      const instance: AlertInstance =
        prev && prev.state !== 'resolved'
          ? { ...prev, ...lifecycleOf(next), annotations }
          : { key, alertname: h.rule.definition.alert, severity: h.rule.severity, labels: h.labels, annotations, ...next };
      this.#set(prev, instance, now);
    }
    for (const [key, prev] of this.#instances) {
      if (holding.has(key)) continue;
      const rule = this.#rules.find((r) => r.definition.alert === prev.alertname && r.severity === prev.severity);
      const next = rule ? step(prev, false, now, rule) : undefined;
      if (next === undefined) {
        this.#instances.delete(key);
        if (prev.state === 'pending') this.#transition(prev, 'pending', 'inactive', now);
      } else {
        this.#set(prev, { ...prev, ...lifecycleOf(next) }, now);
      }
    }
    return this.instances();
  }

  instances(): readonly AlertInstance[] {
    return [...this.#instances.values()];
  }

  /** Firing instances, for /status, the page and tunnelwatch_alerts_firing. */
  firing(): FiringAlert[] {
    const out: FiringAlert[] = [];
    for (const i of this.#instances.values()) {
      if (i.state !== 'firing') continue;
      out.push({
        alertname: i.alertname,
        severity: i.severity,
        labels: i.labels,
        summary: i.annotations.summary,
        description: i.annotations.description,
        runbookUrl: i.annotations.runbook_url,
        ...(i.annotations.cause === undefined ? {} : { cause: i.annotations.cause }),
        ...(i.annotations.remediation === undefined ? {} : { remediation: i.annotations.remediation }),
        ...(i.annotations.incident === undefined ? {} : { incident: i.annotations.incident }),
        ...(i.annotations.fence === undefined ? {} : { fence: i.annotations.fence }),
        activeAt: i.activeAt,
        firingSince: i.firedAt ?? i.activeAt,
        ...(i.keepFiringSince === undefined ? {} : { keepFiringSince: i.keepFiringSince }),
      });
    }
    return out;
  }

  /** Pending instances, for /status and the page. */
  pending(): PendingAlert[] {
    const out: PendingAlert[] = [];
    for (const i of this.#instances.values()) {
      if (i.state !== 'pending') continue;
      const forMs = this.#rules.find((r) => r.definition.alert === i.alertname && r.severity === i.severity)?.forMs ?? 0;
      out.push({ alertname: i.alertname, severity: i.severity, labels: i.labels, summary: i.annotations.summary, runbookUrl: i.annotations.runbook_url, activeAt: i.activeAt, firesAt: i.activeAt + forMs });
    }
    return out;
  }

  #annotations(rule: EffectiveRule, labels: Labels, inputs: AlertInputs, now: number): Annotations {
    // What this replica looked like when it went down travels with the alerts about this replica, while it is recent.
    const mine = rule.definition.labels.includes('replica');
    const { incident } = inputs;
    const bundle = incident !== undefined && mine && now - incident.at < INCIDENT_ANNOTATION_MS ? { incident: incident.path } : {};
    const fence = inputs.fence !== undefined && mine ? { fence: inputs.fence } : {};
    return { ...alertAnnotations(rule.definition, labels, this.#runbookBaseUrl), ...causeAnnotations(rule.definition.alert, inputs.diagnosis), ...bundle, ...fence };
  }

  #set(prev: AlertInstance | undefined, next: AlertInstance, now: number): void {
    this.#instances.set(next.key, next);
    // Holding again after a resolve starts a new incident: it comes from inactive, not from resolved.
    const from: Phase = prev === undefined || (prev.state === 'resolved' && next.state !== 'resolved') ? 'inactive' : prev.state;
    if (from === next.state) return;
    if (from === 'inactive' && next.state === 'firing') {
      // `for: 0` fires in the evaluation that first sees the condition; the log still shows both steps.
      this.#transition(next, 'inactive', 'pending', now);
      this.#transition(next, 'pending', 'firing', now);
    } else {
      this.#transition(next, from, next.state, now);
    }
  }

  #transition(i: AlertInstance, from: Phase, to: Phase, now: number): void {
    const level = to === 'firing' && i.severity !== 'info' ? 'warn' : 'info';
    const fields = { alertname: i.alertname, severity: i.severity, labels: i.labels, from, to, activeAt: i.activeAt, at: now };
    this.#log(level, fields, `alert ${i.alertname} ${to === 'inactive' ? `${from} → inactive` : to}`);
    const attributes: Record<string, string | number> = { 'alert.name': i.alertname, 'alert.severity': i.severity, 'alert.from': from, 'alert.to': to, 'alert.active_at': i.activeAt };
    for (const [k, v] of Object.entries(i.labels)) if (k !== 'alertname' && k !== 'severity') attributes[`alert.label.${k}`] = v;
    pointSpan('alert transition', attributes);
  }

  /** Records dropped within LOG_DROP_WINDOW_MS, like PromQL's increase() over the counter. */
  #droppedInWindow(dropped: number, now: number): number {
    const last = this.#drops.at(-1);
    if (last === undefined || last[1] !== dropped) this.#drops.push([now, dropped]);
    const start = now - LOG_DROP_WINDOW_MS;
    // Keep only the newest change at or before the window's start: the counter's value there.
    while ((this.#drops[1]?.[0] ?? Infinity) <= start) this.#drops.shift();
    const first = this.#drops[0];
    // Before the first change older than the window, the base is 0: the counter started with the process.
    const base = first !== undefined && first[0] <= start ? first[1] : 0;
    return Math.max(0, dropped - base);
  }
}

function lifecycleOf(l: Lifecycle): Lifecycle {
  return { state: l.state, activeAt: l.activeAt, firedAt: l.firedAt, keepFiringSince: l.keepFiringSince, resolvedAt: l.resolvedAt };
}
