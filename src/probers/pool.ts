// A concurrency limiter for probe rounds: at most `concurrency` calls of `fn` run at once, so a config with
// many origins does not open a burst of sockets, and results come back in input order.

/**
 * Calls `fn` on every item with at most `concurrency` calls in flight; resolves with the results in the order
 * of `items`. A rejection rejects the whole run (probers never reject). `concurrency` below 1 counts as 1.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
