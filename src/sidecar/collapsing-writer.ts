// cloudflared's records on their way to the log pipeline, with repeats collapsed by each output's settings
// (logs.repeats, logs.loki.repeats, logs.syslog.repeats) and each record given the class a full spool drops it by:
// the timer that ships a window's summary when no further line arrives lives here, so the collapsing and the classing
// stay pure. Outputs with the same settings share one count, so the default (one setting for all) counts each line once.
import { repeatsOf, type Settings } from '../config/index.js';
import { ConnectorKeep, KEEP, type KeepClass, type LogRecord, Repeats, type Route, shippedKeep } from '../telemetry/logs/index.js';

export interface OutputRepeats {
  /** stdout, or a sink's name. */
  readonly name: string;
  /** 0 ships every line. */
  readonly windowMs: number;
  readonly burst: number;
}

/** The outputs of a pipeline whose sinks are `sinks` (their names, in its order): stdout first, each with its settings. */
export function outputsOf(logs: Settings['logs'], sinks: readonly string[]): OutputRepeats[] {
  return ['stdout', ...sinks].map((name) => {
    const { window, burst } = repeatsOf(logs, name);
    return { name, windowMs: window, burst };
  });
}

export interface CollapsingWriterOptions {
  /** The pipeline's outputs in its order: stdout first, then each sink as the pipeline holds them. */
  readonly outputs: readonly OutputRepeats[];
  readonly write: (record: LogRecord, route: Route) => void;
  /** A record was held back from `output` (it is counted in a later summary there). */
  readonly collapsed: (output: string) => void;
  readonly now: () => number;
}

/** Outputs sharing repeat settings: one count, and its routes by keep class. */
interface Group {
  readonly repeats: Repeats;
  /** Indexes into the outputs. */
  readonly members: readonly number[];
  readonly names: readonly string[];
  /** By keep class: to this group's outputs only. */
  readonly routes: readonly [Route, Route, Route, Route];
}

function routeTo(outputs: number, members: readonly number[], keep: KeepClass): Route {
  const sinks = Array.from({ length: outputs - 1 }, (_, i) => (members.includes(i + 1) ? keep : undefined));
  return { stdout: members.includes(0), sinks };
}

function groupsOf(outputs: readonly OutputRepeats[]): Group[] {
  const bySettings = new Map<string, number[]>();
  for (const [i, o] of outputs.entries()) {
    const key = o.windowMs <= 0 ? 'off' : `${String(o.windowMs)}/${String(o.burst)}`;
    bySettings.set(key, [...(bySettings.get(key) ?? []), i]);
  }
  return [...bySettings.values()].map((members) => {
    const first = outputs[members[0] ?? 0] ?? { windowMs: 0, burst: 1 };
    const to = (keep: KeepClass): Route => routeTo(outputs.length, members, keep);
    return {
      repeats: new Repeats({ windowMs: first.windowMs, burst: first.burst }),
      members,
      names: members.map((i) => outputs[i]?.name ?? ''),
      routes: [to(KEEP.repeat), to(KEEP.routine), to(KEEP.notable), to(KEEP.essential)],
    };
  });
}

export class CollapsingWriter {
  readonly #o: CollapsingWriterOptions;
  readonly #groups: readonly Group[];
  readonly #keep = new ConnectorKeep();
  /** Per group, for the record being written (reused: a flood allocates nothing here). */
  readonly #again: boolean[];
  readonly #admitted: boolean[];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CollapsingWriterOptions) {
    this.#o = options;
    this.#groups = groupsOf(options.outputs);
    this.#again = this.#groups.map(() => false);
    this.#admitted = this.#groups.map(() => false);
  }

  /** A new cloudflared run starts: its first records are kept longest. */
  runStarted(): void {
    this.#keep.runStarted();
  }

  write(record: LogRecord, key: string, at: number): void {
    this.#shipDue(at);
    const again = this.#again;
    const admitted = this.#admitted;
    for (const [i, g] of this.#groups.entries()) {
      again[i] = g.repeats.shippedInWindow(key);
      admitted[i] = g.repeats.admit(key, record, at);
      if (!admitted[i]) for (const name of g.names) this.#o.collapsed(name);
    }
    if (admitted.includes(true)) {
      const essential = this.#keep.essential(record.level, key);
      this.#o.write(record, this.#route((i) => shippedKeep(essential, again[i] === true, record.level)));
    }
    this.#schedule();
  }

  /** Ships every pending summary now (the process ended, or tunnelwatch stops): counts are final. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#shipDue(undefined);
  }

  /** To the groups that admitted the record. One group: its precomputed route; several: the union, each output with its group's class. */
  #route(keepOf: (group: number) => KeepClass): Route {
    const admitted = this.#admitted;
    const only = admitted.indexOf(true);
    const sole = this.#groups[only];
    if (sole !== undefined && admitted.lastIndexOf(true) === only) return sole.routes[keepOf(only)];
    const keeps: (KeepClass | undefined)[] = new Array<KeepClass | undefined>(this.#o.outputs.length).fill(undefined);
    for (const [i, g] of this.#groups.entries()) {
      if (admitted[i] !== true) continue;
      for (const m of g.members) keeps[m] = keepOf(i);
    }
    return { stdout: keeps[0] !== undefined, sinks: keeps.slice(1) };
  }

  #shipDue(at: number | undefined): void {
    for (const g of this.#groups) for (const summary of g.repeats.due(at)) this.#o.write(summary, g.routes[KEEP.repeat]);
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    let next: number | undefined;
    for (const g of this.#groups) {
      const due = g.repeats.nextDue();
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    if (next === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#shipDue(this.#o.now());
      this.#schedule();
    }, Math.max(0, next - this.#o.now()));
  }
}
