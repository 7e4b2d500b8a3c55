// The public face of src/cloudflared/config/: what the rest of tunnelwatch may use from it.
export { checkCloudflaredConfig } from './check.js';
export { parseCloudflaredConfig, type CloudflaredConfig, type ConfigShape, type IngressRule, type WarpRouting } from './file.js';
export type { FlagValue } from './flags.js';
export { INGRESS_CODES } from './ingress-codes.js';
export { lintIngress } from './ingress-lint.js';
export { findMatchingRule, matchHost, matchIngress } from './ingress-match.js';
export { validateCloudflaredConfig } from './ingress-validate.js';
export { lintConfigFile } from './lint.js';
export { DEFAULT_ORIGIN_REQUEST, type OriginRequest } from './origin-request.js';
export { edgeArgs, flagValues, type EdgeArgs } from './edge-args.js';
export { formatOriginService, parseOriginService, type OriginService } from './origin-service.js';
export { secretFlags } from './secret-flags.js';
export { duplicateKey, nestingTooDeep } from './yaml-bounds.js';
