/** A burst of connection losses: at least N losses, each within the gap of the one before. */
export interface Storm {
  readonly start: number;
  readonly end: number;
  readonly disconnects: number;
  readonly connIndexes: number[];
}

/** Finds reconnect storms among timed losses (losses without a time cannot be placed and are skipped). */
export function findStorms(losses: readonly { connIndex: number; timestamp?: number }[], gapMs: number, minDisconnects: number): Storm[] {
  const timed = losses
    .filter((l): l is { connIndex: number; timestamp: number } => l.timestamp !== undefined)
    .sort((a, b) => a.timestamp - b.timestamp);
  const storms: Storm[] = [];
  let cluster: typeof timed = [];
  const close = (): void => {
    const first = cluster[0];
    const last = cluster[cluster.length - 1];
    if (first && last && cluster.length >= minDisconnects) {
      storms.push({
        start: first.timestamp,
        end: last.timestamp,
        disconnects: cluster.length,
        connIndexes: [...new Set(cluster.map((l) => l.connIndex))].sort((a, b) => a - b),
      });
    }
    cluster = [];
  };
  for (const loss of timed) {
    const previous = cluster[cluster.length - 1];
    if (previous && loss.timestamp - previous.timestamp > gapMs) close();
    cluster.push(loss);
  }
  close();
  return storms;
}
