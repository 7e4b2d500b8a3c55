// The /client/v4 tunnel routes the `cloudflare` SDK calls (zeroTrust.tunnels.cloudflared.*). Authentication,
// rate limiting and injected faults happen before these, in server.ts.
import { encodeTunnelToken } from '../../cloudflared/token.js';
import {
  authenticationError,
  badParameter,
  connectorNotFound,
  invalidIdentifier,
  malformedJson,
  methodNotAllowed,
  noRoute,
  success,
  tunnelNotFound,
  type Reply,
} from './envelope.js';
import type { Incoming } from './http.js';
import { pageOf, parseListQuery } from './list-query.js';
import { isAccountTag, isUuid } from './seed.js';
import type { EmulatorState, Tunnel } from './state.js';
import { clientView, configurationView, tunnelView } from './views.js';

/** A call with its path taken after /client/v4, e.g. `/accounts/<tag>/cfd_tunnel`. */
export type ApiRequest = Incoming;

interface TunnelCall {
  readonly state: EmulatorState;
  readonly tunnel: Tunnel;
  readonly req: ApiRequest;
  /** The `{connector_id}` segment of …/connectors/{connector_id}. */
  readonly connectorId?: string;
}

type Handler = (call: TunnelCall) => Reply | Promise<Reply>;

const getTunnel: Handler = ({ state, tunnel }) => success(tunnelView(tunnel, state));

const listClients: Handler = ({ tunnel }) => success([...tunnel.connectors.values()].map(clientView));

const deleteConnections: Handler = ({ state, tunnel, req }) => {
  const clientId = req.query.get('client_id') ?? undefined;
  if (clientId !== undefined && !isUuid(clientId.toLowerCase())) return badParameter(`client_id must be a connector UUID, got "${clientId}"`);
  state.deleteConnections(tunnel, clientId?.toLowerCase());
  return success(null);
};

const getToken: Handler = ({ tunnel }) => success(encodeTunnelToken({ accountTag: tunnel.accountTag, tunnelId: tunnel.id, secret: tunnel.secret }));

const getConfiguration: Handler = ({ tunnel }) => success(configurationView(tunnel));

// The dashboard's migration to remote management is one way; storing a configuration here does the same.
const putConfiguration: Handler = async ({ state, tunnel, req }) => {
  const body = await req.readBody();
  if (!body.ok) return malformedJson();
  const config = (body.value as { config?: unknown } | null)?.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return badParameter('config must be a JSON object');
  state.putConfiguration(tunnel, config as Record<string, unknown>);
  return success(configurationView(tunnel));
};

const getConnector: Handler = ({ tunnel, req, connectorId = '' }) => {
  if (!isUuid(connectorId.toLowerCase())) return invalidIdentifier(req.path);
  const connector = tunnel.connectors.get(connectorId.toLowerCase());
  return connector ? success(clientView(connector)) : connectorNotFound();
};

// Routes under /accounts/{a}/cfd_tunnel/{t}, by the next path segment ('' for the tunnel itself).
const TUNNEL_ROUTES: ReadonlyMap<string, Readonly<Record<string, Handler>>> = new Map<string, Readonly<Record<string, Handler>>>([
  ['', { GET: getTunnel }],
  ['connections', { GET: listClients, DELETE: deleteConnections }],
  ['token', { GET: getToken }],
  ['configurations', { GET: getConfiguration, PUT: putConfiguration }],
]);
const CONNECTOR_ROUTE: Readonly<Record<string, Handler>> = { GET: getConnector };

function listTunnels(state: EmulatorState, accountTag: string, req: ApiRequest): Reply {
  const query = parseListQuery(req.query);
  if (typeof query === 'string') return badParameter(query);
  const listable = state.tunnels(accountTag).map((tunnel) => ({
    tunnel,
    id: tunnel.id,
    name: tunnel.name,
    deleted: tunnel.deletedAt !== null,
    status: state.status(tunnel),
  }));
  const { items, info } = pageOf(query, listable);
  return success(
    items.map((item) => tunnelView(item.tunnel, state)),
    info,
  );
}

// Account checks come after the route is known, so an unsupported route reads as such whatever the account.
function refuseAccount(state: EmulatorState, accountTag: string, path: string): Reply | undefined {
  if (!isAccountTag(accountTag)) return invalidIdentifier(path);
  // A valid token used on an account it does not belong to is refused like a bad token.
  return state.hasAccount(accountTag) ? undefined : authenticationError();
}

/** Answers one authenticated /client/v4 call. */
export function routeApi(state: EmulatorState, req: ApiRequest): Reply | Promise<Reply> {
  const [accounts, accountTag = '', kind, tunnelId, sub = '', connectorId, ...rest] = req.path.replace(/\/+$/, '').split('/').slice(1);
  if (accounts !== 'accounts' || kind !== 'cfd_tunnel' || rest.length > 0) return noRoute();
  if (tunnelId === undefined) {
    if (req.method !== 'GET') return methodNotAllowed();
    return refuseAccount(state, accountTag, req.path) ?? listTunnels(state, accountTag, req);
  }
  const route =
    sub === 'connectors' ? (connectorId === undefined ? undefined : CONNECTOR_ROUTE)
    : connectorId === undefined ? TUNNEL_ROUTES.get(sub)
    : undefined;
  if (!route) return noRoute();
  const handler = Object.hasOwn(route, req.method) ? route[req.method] : undefined;
  if (!handler) return methodNotAllowed();
  const refused = refuseAccount(state, accountTag, req.path);
  if (refused) return refused;
  if (!isUuid(tunnelId.toLowerCase())) return invalidIdentifier(req.path);
  const tunnel = state.tunnel(accountTag, tunnelId.toLowerCase());
  return tunnel ? handler({ state, tunnel, req, connectorId }) : tunnelNotFound();
}
