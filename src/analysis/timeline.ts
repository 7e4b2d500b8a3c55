import type { LogEvent } from '../cloudflared/log/index.js';
import type { Slot } from '../state/index.js';
import { normaliseReason } from './reasons.js';

/** One line of a connection's story. Repeats within one outage (retries, identical errors) fold into one entry. */
export interface TimelineEntry {
  readonly timestamp?: number;
  readonly kind: 'registered' | 'lost' | 'retrying' | 'fallback' | 'register_error' | 'dial_error' | 'restart';
  detail: string;
  /** How many lines this entry stands for. */
  count: number;
  /** For `retrying`: the longest announced delay, ms. */
  maxDelayMs?: number;
}

export type Timeline = Map<number, TimelineEntry[]>;

// Entries that start a new chapter; folding never reaches back across them.
const CHAPTER = new Set<TimelineEntry['kind']>(['registered', 'lost', 'fallback', 'restart']);

function push(timeline: Timeline, connIndex: number, entry: TimelineEntry): TimelineEntry {
  const list = timeline.get(connIndex) ?? [];
  list.push(entry);
  timeline.set(connIndex, list);
  return entry;
}

function sameInChapter(list: readonly TimelineEntry[] | undefined, kind: TimelineEntry['kind'], detail: string): TimelineEntry | undefined {
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const entry = list[i];
    if (!entry || CHAPTER.has(entry.kind)) return undefined;
    if (entry.kind === kind && entry.detail === detail) return entry;
  }
  return undefined;
}

export function recordUp(timeline: Timeline, slot: Slot, timestamp: number | undefined): void {
  const where = [slot.location && `at ${slot.location}`, slot.protocol && `over ${slot.protocol}`, slot.ip && `edge ${slot.ip}`].filter(Boolean).join(' ');
  push(timeline, slot.connIndex, { timestamp, kind: 'registered', detail: where, count: 1 });
}

/** Adds a loss; the caller may fill `detail` later, when a following line names the reason. */
export function recordLost(timeline: Timeline, connIndex: number, timestamp: number | undefined, reason: string): TimelineEntry {
  return push(timeline, connIndex, { timestamp, kind: 'lost', detail: reason, count: 1 });
}

/** Adds what a retry, fallback or dial/registration error means for its connection's timeline. */
export function recordEvent(timeline: Timeline, event: LogEvent): void {
  if (event.type === 'starting') {
    // A new connector process: each slot's story starts a new chapter.
    for (const list of timeline.values()) list.push({ timestamp: event.timestamp, kind: 'restart', detail: '', count: 1 });
    return;
  }
  const index = event.connIndex;
  if (index === undefined) return;
  let kind: TimelineEntry['kind'];
  let detail: string;
  switch (event.type) {
    case 'retrying':
      kind = 'retrying';
      detail = '';
      break;
    case 'fallback':
      push(timeline, index, { timestamp: event.timestamp, kind: 'fallback', detail: event.protocol, count: 1 });
      return;
    case 'register_error':
    case 'dial_error':
      kind = event.type;
      detail = normaliseReason(event.error ?? event.message);
      break;
    default:
      return;
  }
  const delay = event.type === 'retrying' ? event.delayMs : undefined;
  const existing = sameInChapter(timeline.get(index), kind, detail);
  if (existing) {
    existing.count++;
    if (delay !== undefined) existing.maxDelayMs = Math.max(existing.maxDelayMs ?? 0, delay);
    return;
  }
  const entry: TimelineEntry = { timestamp: event.timestamp, kind, detail, count: 1 };
  if (delay !== undefined) entry.maxDelayMs = delay;
  push(timeline, index, entry);
}
