import { defineConfig } from 'vitest/config';

// `npm run test:real`: the real cloudflared (built from its official source) under tunnelwatch, connected to the
// loopback edge (test/edge/). The global setup builds both or fails the run; nothing here is ever skipped.
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    globalSetup: ['test/real/global-setup.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // Two cores: one file at a time; a file's describes may still run side by side where they mostly wait.
    fileParallelism: false,
  },
});
