// The API emulator's starting world: accounts, their tunnels, the API tokens it accepts and the knobs that
// stand in for Cloudflare-side behaviour (colos, pending-reconnect linger, rate limit). Validated with zod so a
// typo in a seed file is an error naming the path, not a silently different emulator. Tunnel entries use the
// API's own field names (config_src, created_at, deleted_at), so a real API response can be pasted in.
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { Secret } from '../../base/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Account tags are 32 lower-case hex digits, as in tunnel tokens and API paths.
const ACCOUNT_TAG = /^[0-9a-f]{32}$/;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Cloudflare's documented API limit: 1,200 requests per five minutes per token. */
export const DEFAULT_RATE_LIMIT = { limit: 1200, windowMs: 300_000 } as const;
/**
 * "Cloudflare continues to track connections for several minutes after they disconnect." SDK 7.3 marks
 * is_pending_reconnect deprecated ("will now always report false"); a seed with pendingReconnectLingerMs: 0
 * emulates that newer API, where a lost connection is simply gone.
 */
export const DEFAULT_LINGER_MS = 180_000;
export const DEFAULT_COLOS = ['lax01', 'lax08', 'sjc05', 'sjc01'] as const;

export const isUuid = (text: string): boolean => UUID.test(text);
export const isAccountTag = (text: string): boolean => ACCOUNT_TAG.test(text);

const isoTime = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

const remoteConfigSchema = z.strictObject({
  version: z.int().min(0),
  config: z.record(z.string(), z.unknown()),
});

const tunnelSchema = z.strictObject({
  id: z.string().regex(UUID, 'expected a lower-case UUID (8-4-4-4-12 hex digits)'),
  name: z.string().min(1),
  /** Base64 (standard, padded) of the raw secret; derived from the id when absent so tests need not invent one. */
  secret: z
    .string()
    .regex(STD_BASE64, 'expected standard padded base64')
    .refine((s) => Buffer.from(s, 'base64').length >= 32, 'a tunnel secret is at least 32 bytes')
    .optional(),
  config_src: z.enum(['local', 'cloudflare']).default('local'),
  created_at: isoTime.optional(),
  deleted_at: isoTime.nullable().default(null),
  /** The dashboard-managed configuration of a `config_src: cloudflare` tunnel. */
  config: remoteConfigSchema.optional(),
});

const accountSchema = z.strictObject({
  id: z.string().regex(ACCOUNT_TAG, 'expected an account tag of 32 lower-case hex digits'),
  tunnels: z.array(tunnelSchema).default([]),
});

const rateLimitSchema = z.strictObject({ limit: z.int().min(1), windowMs: z.int().min(1) });

const seedSchema = z
  .strictObject({
    apiTokens: z.array(z.string().min(1)).default([]),
    colos: z.array(z.string().min(1)).min(1).default([...DEFAULT_COLOS]),
    pendingReconnectLingerMs: z.int().min(0).default(DEFAULT_LINGER_MS),
    rateLimit: rateLimitSchema.default({ ...DEFAULT_RATE_LIMIT }),
    accounts: z.array(accountSchema).default([]),
  })
  .superRefine((seed, ctx) => {
    const seen = new Map<string, string>();
    seed.accounts.forEach((account, a) => {
      if (seed.accounts.findIndex((other) => other.id === account.id) !== a) {
        ctx.addIssue({ code: 'custom', path: ['accounts', a, 'id'], message: `account ${account.id} is listed twice` });
      }
      account.tunnels.forEach((tunnel, t) => {
        const where = seen.get(tunnel.id);
        if (where) ctx.addIssue({ code: 'custom', path: ['accounts', a, 'tunnels', t, 'id'], message: `tunnel id already used at ${where}` });
        seen.set(tunnel.id, `accounts[${String(a)}].tunnels[${String(t)}]`);
        if (tunnel.config && tunnel.config_src !== 'cloudflare') {
          ctx.addIssue({ code: 'custom', path: ['accounts', a, 'tunnels', t, 'config'], message: 'only a config_src: cloudflare tunnel has a remote config' });
        }
      });
    });
  });

/** What a seed file or `startApiEmulator({ seed })` may hold (defaults not yet applied). */
export type ApiEmulatorSeed = z.input<typeof seedSchema>;

export interface SeedTunnel {
  readonly id: string;
  readonly name: string;
  readonly secret: Buffer;
  readonly configSrc: 'local' | 'cloudflare';
  readonly createdAt?: number;
  readonly deletedAt: number | null;
  readonly config?: { readonly version: number; readonly config: Readonly<Record<string, unknown>> };
}

/** A validated seed with defaults applied; API tokens are held as Secrets so dumps never show them. */
export interface Seed {
  readonly apiTokens: readonly Secret[];
  readonly colos: readonly string[];
  readonly pendingReconnectLingerMs: number;
  readonly rateLimit: { readonly limit: number; readonly windowMs: number };
  readonly accounts: readonly { readonly id: string; readonly tunnels: readonly SeedTunnel[] }[];
}

/** Thrown for a seed that does not validate; the message lists every problem with its path. */
export class SeedError extends Error {
  override readonly name = 'SeedError';
}

// A stable per-tunnel secret, so a seed without secrets still yields the same tokens run after run.
function derivedSecret(tunnelId: string): Buffer {
  return createHash('sha256').update(`tunnelwatch-emulator:${tunnelId}`).digest();
}

/**
 * Validates a seed. `fallbackToken` (the caller's CLOUDFLARE_API_TOKEN) is accepted too, so a seed may leave
 * apiTokens out when the emulator and its client share an environment; at least one token must result.
 */
export function parseSeed(input: unknown, fallbackToken?: string): Seed {
  const parsed = seedSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SeedError(`invalid emulator seed:\n${z.prettifyError(parsed.error)}`);
  const seed = parsed.data;
  const tokens = [...seed.apiTokens, ...(fallbackToken ? [fallbackToken] : [])];
  if (tokens.length === 0) throw new SeedError('invalid emulator seed:\n✖ no API token: set apiTokens (or CLOUDFLARE_API_TOKEN)\n  → at apiTokens');
  return {
    apiTokens: tokens.map((token) => new Secret(token)),
    colos: seed.colos,
    pendingReconnectLingerMs: seed.pendingReconnectLingerMs,
    rateLimit: seed.rateLimit,
    accounts: seed.accounts.map((account) => ({
      id: account.id,
      tunnels: account.tunnels.map((t) => ({
        id: t.id,
        name: t.name,
        secret: t.secret === undefined ? derivedSecret(t.id) : Buffer.from(t.secret, 'base64'),
        configSrc: t.config_src,
        deletedAt: t.deleted_at,
        ...(t.created_at === undefined ? {} : { createdAt: t.created_at }),
        ...(t.config === undefined ? {} : { config: t.config }),
      })),
    })),
  };
}

/** Reads seed file text (YAML, which includes JSON) into a document for parseSeed; `name` appears in errors. */
export function readSeedDocument(text: string, name: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    throw new SeedError(`cannot read the emulator seed ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
