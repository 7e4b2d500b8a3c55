// tunnelstate/conntracker.go: the state of each HA slot as the observer's events report it. A slot is ready
// only while its last event is Connected; Disconnected, Reconnecting, RegisteringTunnel and Unregistering
// all clear it. `/ready`, `/diag/tunnel` and the conn-aware log level (WRN vs ERR) read it.

export type Protocol = 'quic' | 'http2';

export type ConnEvent = 'connected' | 'disconnected' | 'reconnecting' | 'registering' | 'unregistering';

export interface ConnInfo {
  readonly isConnected: boolean;
  readonly protocol: Protocol;
  readonly edgeAddress: string;
}

export class ConnTracker {
  readonly #info = new Map<number, ConnInfo>();
  readonly #listeners: (() => void)[] = [];

  onEvent(index: number, event: ConnEvent, protocol?: Protocol, edgeAddress?: string): void {
    if (event === 'connected') {
      this.#info.set(index, { isConnected: true, protocol: protocol ?? 'http2', edgeAddress: edgeAddress ?? '' });
    } else {
      // A zero ConnectionInfo has protocol 0 (http2) and no address, as in Go.
      const old = this.#info.get(index) ?? { isConnected: false, protocol: 'http2' as const, edgeAddress: '' };
      this.#info.set(index, { ...old, isConnected: false });
    }
    for (const listener of this.#listeners) listener();
  }

  /** Called after every event (used to notice readiness changes). */
  subscribe(listener: () => void): void {
    this.#listeners.push(listener);
  }

  countActive(): number {
    let n = 0;
    for (const info of this.#info.values()) if (info.isConnected) n++;
    return n;
  }

  /** HasConnectedWith: any slot whose last known protocol is `protocol` (zero entries count as http2, as in Go). */
  hasConnectedWith(protocol: Protocol): boolean {
    for (const info of this.#info.values()) if (info.protocol === protocol) return true;
    return false;
  }

  /** Connected slots, in map order (Go's is random). */
  active(): { index: number; info: ConnInfo }[] {
    return [...this.#info.entries()].filter(([, info]) => info.isConnected).map(([index, info]) => ({ index, info }));
  }
}
