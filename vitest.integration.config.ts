import { defineConfig } from 'vitest/config';

// `npm run test:integration`: suites that need Debian servers (rsyslog, Prometheus, Alertmanager, Chromium,
// blackbox exporter) and Grafana Loki built from source. A missing server fails the suite; it is never skipped.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    globalSetup: ['test/integration/global-setup.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
