// Stream rules (tcp/ssh/rdp/smb, bastion, socks-proxy): cloudflared's proxyStream dials the origin, answers
// 101 and then speaks WebSocket framing to the `cloudflared access` client on the visitor's side. The
// emulator dials for real, so a down origin logs exactly what cloudflared logs (the raw dial error, with
// `destAddr`, counted in request_errors), but it does not implement the access client's framing: once the
// dial succeeds it closes the origin connection and the visitor gets a 502, with no log line, as cloudflared
// logs nothing above debug level for a stream it served.
import { goSplitHostPort, parseGoUrl } from '../../go/index.js';
import { formatOriginService } from '../../cloudflared/config/index.js';
import { OriginError } from './go-errors.js';
import { dialOrigin } from './origin-dial.js';
import { badGateway, type Exchange, reportFailure } from './proxy-exchange.js';

/** carrier.ResolveBastionDest's error when the client sent no destination. */
const NO_BASTION_DEST = 'Did not receive final destination from client. The --destination flag is likely not set on the client side';

/** carrier.ResolveBastionDest: the jump destination header without scheme or path. */
function bastionDest(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const parsed = parseGoUrl(header);
  const hostPart = 'url' in parsed && parsed.url.host !== '' ? parsed.url.host : header;
  return hostPart.split('/')[0];
}

export async function proxyStream(ex: Exchange): Promise<void> {
  const { rule, visitor } = ex;
  const service = rule.service;
  // socks-proxy's EstablishConnection dials nothing: the SOCKS client names targets inside the stream.
  if (service.kind === 'socks_proxy') {
    badGateway(ex);
    return;
  }
  let dest: string;
  if (service.kind === 'bastion') {
    const found = bastionDest(ex.req.headersDistinct['cf-access-jump-destination']?.[0]);
    if (found === undefined) {
      // getDestFromRule fails before any logRequestError: only the transport's line, nothing counted.
      reportFailure(ex, NO_BASTION_DEST, false);
      badGateway(ex);
      return;
    }
    dest = found;
  } else dest = formatOriginService(service, rule.serviceText);
  // tcpOverWSService dials url.Host (the bastion's destination as given); destAddr shows getDestFromRule's value.
  const address = service.kind === 'stream' ? dest.slice(dest.indexOf('://') + 3) : dest;
  const split = goSplitHostPort(address);
  try {
    if (split === undefined) throw new OriginError(`dial tcp: address ${address}: missing port in address`);
    const port = Number(split.port);
    // Go would look a service name up in /etc/services; the emulator knows none.
    if (!/^[0-9]+$/.test(split.port)) throw new OriginError(`dial tcp: lookup tcp/${split.port}: unknown port`);
    const dialed = await dialOrigin(
      { network: 'tcp', host: split.host, port },
      { connectTimeout: rule.originRequest.connectTimeout, tcpKeepAlive: rule.originRequest.tcpKeepAlive, signal: visitor.signal },
    );
    dialed.socket.destroy();
  } catch (err) {
    reportFailure(ex, err instanceof OriginError ? err.message : String(err), true, { destAddr: dest });
  }
  badGateway(ex);
}
