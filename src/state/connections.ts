import type { LogEvent } from '../cloudflared/log/index.js';

// Per-HA-slot connection state derived from cloudflared's log events. One reducer serves both the offline
// `analyze` command and the live health model, so both agree on what "up" and "down" mean.

export interface Slot {
  readonly connIndex: number;
  readonly up: boolean;
  readonly location?: string;
  readonly protocol?: string;
  readonly connectionId?: string;
  readonly ip?: string;
  /** Unix ms of the last up/down change, when the line had a time. */
  readonly since?: number;
}

export interface ConnectionsState {
  readonly slots: ReadonlyMap<number, Slot>;
  /** A graceful shutdown has started: losses from here on are expected. */
  readonly shuttingDown: boolean;
  readonly connectorId?: string;
  readonly tunnelId?: string;
  readonly version?: string;
}

/** A slot came up, or a slot that was up went down (counted once however many lines describe the loss). */
export type Transition =
  | { readonly kind: 'up'; readonly slot: Slot }
  | { readonly kind: 'down'; readonly slot: Slot; readonly cause: DownCause; readonly error?: string };

/** Why a slot went down, as far as the line that took it down tells. */
export type DownCause = 'connection_error' | 'graceful_shutdown' | 'fatal_shutdown' | 'connector_restarted';

export const initialConnections: ConnectionsState = { slots: new Map(), shuttingDown: false };

// Event types that mean "this slot is no longer serving" when they name a slot that was up.
const LOSS_TYPES = new Set<LogEvent['type']>([
  'unregistered',
  'connection_lost',
  'serve_error',
  'dial_error',
  'register_error',
  'retrying',
  'terminated',
]);

function withSlot(state: ConnectionsState, slot: Slot): ConnectionsState {
  const slots = new Map(state.slots);
  slots.set(slot.connIndex, slot);
  return { ...state, slots };
}

function allDown(state: ConnectionsState, cause: DownCause, at: number | undefined, error?: string): { state: ConnectionsState; transitions: Transition[] } {
  const transitions: Transition[] = [];
  const slots = new Map(state.slots);
  for (const slot of state.slots.values()) {
    if (!slot.up) continue;
    const down: Slot = { ...slot, up: false, since: at ?? slot.since };
    slots.set(slot.connIndex, down);
    transitions.push(error === undefined ? { kind: 'down', slot: down, cause } : { kind: 'down', slot: down, cause, error });
  }
  return { state: { ...state, slots }, transitions };
}

/** Applies one event; returns the new state and the up/down transitions it caused. */
export function applyEvent(state: ConnectionsState, event: LogEvent): { state: ConnectionsState; transitions: Transition[] } {
  const at = event.timestamp;
  switch (event.type) {
    case 'registered': {
      const slot: Slot = {
        connIndex: event.connIndex,
        up: true,
        location: event.location,
        protocol: event.protocol,
        connectionId: event.connectionId,
        ip: event.ip,
        since: at,
      };
      return { state: withSlot(state, slot), transitions: [{ kind: 'up', slot }] };
    }
    case 'starting':
    case 'version': {
      // A new process announced itself: whatever the previous one had up is gone.
      const ended = allDown(state, state.shuttingDown ? 'graceful_shutdown' : 'connector_restarted', at);
      const next: ConnectionsState = { ...state, slots: ended.state.slots, shuttingDown: false };
      const detail = event.type === 'starting' ? { tunnelId: event.tunnelId ?? state.tunnelId } : { version: event.version };
      return { state: { ...next, ...detail }, transitions: ended.transitions };
    }
    case 'connector_id':
      return { state: { ...state, connectorId: event.connectorId }, transitions: [] };
    case 'shutdown':
      if (event.phase === 'signal') return { state: { ...state, shuttingDown: true }, transitions: [] };
      if (event.phase === 'fatal') return allDown({ ...state, shuttingDown: true }, 'fatal_shutdown', at, event.error);
      return allDown(state, state.shuttingDown ? 'graceful_shutdown' : 'fatal_shutdown', at, event.error);
    default:
      break;
  }
  if (!LOSS_TYPES.has(event.type) || event.connIndex === undefined) return { state, transitions: [] };
  const slot = state.slots.get(event.connIndex);
  if (!slot?.up) return { state, transitions: [] };
  const down: Slot = { ...slot, up: false, since: at ?? slot.since };
  const cause: DownCause = state.shuttingDown ? 'graceful_shutdown' : 'connection_error';
  const transition: Transition = event.error === undefined ? { kind: 'down', slot: down, cause } : { kind: 'down', slot: down, cause, error: event.error };
  return { state: withSlot(state, down), transitions: [transition] };
}

/** Slots registered right now, sorted by index. */
export function slotsUp(state: ConnectionsState): number[] {
  return [...state.slots.values()]
    .filter((s) => s.up)
    .map((s) => s.connIndex)
    .sort((a, b) => a - b);
}
