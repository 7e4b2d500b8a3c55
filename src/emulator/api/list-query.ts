// GET /accounts/{a}/cfd_tunnel: query filters and page/per_page pagination. A page past the end is an empty
// `result`, which is what ends the SDK's V4PagePaginationArray auto-pagination (it ignores total_count).
import type { ResultInfo } from './envelope.js';
import type { TunnelStatus } from './status.js';

const STATUSES: readonly TunnelStatus[] = ['inactive', 'healthy', 'degraded', 'down'];
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 1000;

export interface ListQuery {
  readonly name?: string;
  readonly uuid?: string;
  readonly isDeleted?: boolean;
  readonly status?: TunnelStatus;
  readonly includePrefix?: string;
  readonly excludePrefix?: string;
  readonly page: number;
  readonly perPage: number;
}

/** What the filters need to know of a tunnel. */
export interface Listable {
  readonly id: string;
  readonly name: string;
  readonly deleted: boolean;
  readonly status: TunnelStatus;
}

function positiveInt(params: URLSearchParams, key: string, fallback: number, max: number): number | string {
  const text = params.get(key);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) return `${key} must be a whole number from 1 to ${String(max)}, got "${text}"`;
  return value;
}

/** Reads the query; unknown parameters are ignored, as Cloudflare does. Returns an error message when bad. */
export function parseListQuery(params: URLSearchParams): ListQuery | string {
  const page = positiveInt(params, 'page', 1, Number.MAX_SAFE_INTEGER);
  if (typeof page === 'string') return page;
  const perPage = positiveInt(params, 'per_page', DEFAULT_PER_PAGE, MAX_PER_PAGE);
  if (typeof perPage === 'string') return perPage;
  const isDeletedText = params.get('is_deleted');
  if (isDeletedText !== null && isDeletedText !== 'true' && isDeletedText !== 'false') {
    return `is_deleted must be true or false, got "${isDeletedText}"`;
  }
  const statusText = params.get('status');
  const status = STATUSES.find((s) => s === statusText);
  if (statusText !== null && status === undefined) return `status must be one of ${STATUSES.join(', ')}, got "${statusText}"`;
  return {
    page,
    perPage,
    name: params.get('name') ?? undefined,
    uuid: params.get('uuid') ?? undefined,
    includePrefix: params.get('include_prefix') ?? undefined,
    excludePrefix: params.get('exclude_prefix') ?? undefined,
    isDeleted: isDeletedText === null ? undefined : isDeletedText === 'true',
    status,
  };
}

function matches(query: ListQuery, t: Listable): boolean {
  return (
    (query.name === undefined || t.name === query.name) &&
    (query.uuid === undefined || t.id === query.uuid.toLowerCase()) &&
    (query.isDeleted === undefined || t.deleted === query.isDeleted) &&
    (query.status === undefined || t.status === query.status) &&
    (query.includePrefix === undefined || t.name.startsWith(query.includePrefix)) &&
    (query.excludePrefix === undefined || !t.name.startsWith(query.excludePrefix))
  );
}

/** Filters, then cuts out the requested page. */
export function pageOf<T extends Listable>(query: ListQuery, all: readonly T[]): { items: T[]; info: ResultInfo } {
  const matching = all.filter((t) => matches(query, t));
  const start = (query.page - 1) * query.perPage;
  const items = matching.slice(start, start + query.perPage);
  return { items, info: { page: query.page, per_page: query.perPage, count: items.length, total_count: matching.length } };
}
