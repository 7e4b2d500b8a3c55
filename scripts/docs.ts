// Regenerates docs/errors.md from the code catalogue and docs/metrics.md from the registry (npm run docs).
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/cli/codes.js';
import { renderFullMetricsDoc } from '../src/sidecar/registry.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
writeFileSync(new URL('../docs/metrics.md', import.meta.url), renderFullMetricsDoc());
