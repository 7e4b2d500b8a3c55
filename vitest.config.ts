import { defineConfig } from 'vitest/config';

// `npm test`: the fast suite, no servers beyond what the tests start themselves.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/servers/**', 'test/integration/**', 'test/real/**'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
