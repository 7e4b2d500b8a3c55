// cloudflared announces where its metrics server listens (often a wildcard such as 0.0.0.0:PORT); a client needs
// an address it can connect to.

/** A wildcard listen address, turned into one a client can connect to. */
export function connectAddress(address: string): string {
  if (address.startsWith('0.0.0.0:')) return `127.0.0.1:${address.slice('0.0.0.0:'.length)}`;
  if (address.startsWith('[::]:')) return `[::1]:${address.slice('[::]:'.length)}`;
  if (address.startsWith(':')) return `127.0.0.1${address}`;
  return address;
}
