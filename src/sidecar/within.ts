// A stop that waits on a part that never settles is a stop that never ends: the orchestrator SIGKILLs
// tunnelwatch and cloudflared is orphaned or killed undrained. Each stage of the stop gets a deadline instead.

/** True when `work` settled (resolved or rejected) within `ms`; false when the deadline came first. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => { resolve(false); }, ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
