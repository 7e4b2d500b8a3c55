// Regenerates docs/errors.md from the code catalogue (npm run docs).
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/codes.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
