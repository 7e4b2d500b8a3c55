// Builds (or finds in the cache) the real Loki once for the whole integration run, before any test's timeout
// starts, and hands its path to the test files. A failed build fails the run with the script's own words.
import { lokiBinary } from '../../bench/loki-server.js';

export default function setup(): void {
  process.env.TUNNELWATCH_LOKI_BIN = lokiBinary();
}
