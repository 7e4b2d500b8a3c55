// The emulated edge's control plane (src/emulator/edge-protocol.ts): emulated cloudflared processes register
// and end their HA connections here and fetch the dashboard-managed configuration. Bodies are checked against
// the protocol types, so a mismatch between the two emulators fails loudly with a 400 naming the field.
import * as z from 'zod';
import {
  EDGE_CONFIG_PATH,
  EDGE_REGISTER_PATH,
  EDGE_UNREGISTER_PATH,
  type RegisterRequest,
  type UnregisterRequest,
} from '../edge-protocol.js';
import type { Reply } from './envelope.js';
import { json, type Incoming, type JsonBody } from './http.js';
import type { EmulatorState } from './state.js';

const registerSchema = z.strictObject({
  accountTag: z.string(),
  tunnelId: z.string().min(1),
  tunnelSecret: z.string(),
  connectorId: z.string().min(1),
  connIndex: z.int().min(0),
  connectionId: z.string().min(1),
  protocol: z.enum(['quic', 'http2']),
  edgeIp: z.string(),
  originIp: z.string(),
  version: z.string(),
  arch: z.string(),
  features: z.array(z.string()),
  configVersion: z.int(),
  runAt: z.string(),
  coloName: z.string().min(1).optional(),
}) satisfies z.ZodType<RegisterRequest>;

const unregisterSchema = z.strictObject({
  tunnelId: z.string().min(1),
  connectorId: z.string().min(1),
  connectionId: z.string().min(1),
  pendingReconnect: z.boolean(),
}) satisfies z.ZodType<UnregisterRequest>;

const badRequest = (error: string): Reply => json(400, { error });

function parse<T>(schema: z.ZodType<T>, body: JsonBody): T | Reply {
  if (!body.ok) return badRequest(body.reason);
  const parsed = schema.safeParse(body.value);
  return parsed.success ? parsed.data : badRequest(z.prettifyError(parsed.error));
}

const isReply = (value: object): value is Reply => 'status' in value && 'body' in value;

/** Answers a /__edge/ call, or undefined when the path is not one of them. */
export async function routeEdge(state: EmulatorState, { method, path, query, readBody }: Incoming): Promise<Reply | undefined> {
  if (path === EDGE_REGISTER_PATH || path === EDGE_UNREGISTER_PATH) {
    if (method !== 'POST') return json(405, { error: `${path} takes POST` });
    if (path === EDGE_REGISTER_PATH) {
      const req = parse(registerSchema, await readBody());
      // Refusals are 200s carrying ok:false, like the RPC's error result; only malformed calls are 4xx.
      return isReply(req) ? req : json(200, state.register(req));
    }
    const req = parse(unregisterSchema, await readBody());
    if (isReply(req)) return req;
    return json(200, state.unregister(req) ? { ok: true } : { ok: false, error: 'Unknown connection' });
  }
  if (path === EDGE_CONFIG_PATH) {
    if (method !== 'GET') return json(405, { error: `${path} takes GET` });
    const tunnelId = query.get('tunnelId');
    if (!tunnelId) return badRequest('tunnelId is required');
    const config = state.edgeConfig(tunnelId);
    // 404: nothing to push (local tunnel, no configuration stored yet, or unknown tunnel).
    return config ? json(200, config) : json(404, { error: 'No remote configuration for this tunnel' });
  }
  return undefined;
}
