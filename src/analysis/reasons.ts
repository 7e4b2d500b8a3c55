// Error texts carry addresses, ports and ids that differ on every line; ranking needs them folded away.
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
const IPV6_BRACKETED = /\[[0-9a-f:]+\]/gi;
const EPHEMERAL_PORT = /(<ip>):(\d{4,5})->/g;
const MAX_REASON = 300;

/** Folds variable parts (IPs, UUIDs, source ports) out of an error text so equal causes rank together. */
export function normaliseReason(error: string): string {
  const folded = error
    .replace(UUID, '<uuid>')
    .replace(IPV6_BRACKETED, '<ip>')
    .replace(IPV4, '<ip>')
    .replace(EPHEMERAL_PORT, '$1:<port>->')
    .trim();
  if (folded === '') return '(no error text)';
  return folded.length > MAX_REASON ? `${folded.slice(0, MAX_REASON)}…` : folded;
}
