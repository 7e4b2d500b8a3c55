// Regenerates docs/errors.md from the code catalogue, docs/metrics.md from the registry and docs/runbooks/causes.md
// from the diagnosis catalogue (npm run docs).
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/cli/codes.js';
import { renderCausesDoc } from '../src/diagnosis/index.js';
import { renderFullMetricsDoc } from '../src/sidecar/registry.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
writeFileSync(new URL('../docs/metrics.md', import.meta.url), renderFullMetricsDoc());
writeFileSync(new URL('../docs/runbooks/causes.md', import.meta.url), renderCausesDoc());
