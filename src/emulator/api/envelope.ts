// The Cloudflare v4 response envelope and the errors the emulator answers with.
//
// Sources of the codes: 10000 "Authentication error" (403) is what the SDK was verified against
// (stack.md §10); 971 for the API rate limit, 7000 for an unknown route, 7003 for a malformed identifier and
// 6007 for a bad JSON body are codes Cloudflare's API is widely seen to return. The not-found codes for
// tunnels and connectors are the emulator's own choice: Cloudflare does not publish them.

/** One entry of `errors[]`. */
export interface ErrorData {
  readonly code: number;
  readonly message: string;
}

/** What a route answers: a status, a JSON body and any extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ResultInfo {
  readonly page: number;
  readonly per_page: number;
  readonly count: number;
  readonly total_count: number;
}

export function success(result: unknown, resultInfo?: ResultInfo): Reply {
  const body = { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
  return { status: 200, body };
}

export function failure(status: number, error: ErrorData, headers?: Readonly<Record<string, string>>): Reply {
  const body = { success: false, errors: [error], messages: [], result: null };
  return headers ? { status, body, headers } : { status, body };
}

export const authenticationError = (): Reply => failure(403, { code: 10000, message: 'Authentication error' });

export const rateLimited = (headers: Readonly<Record<string, string>>): Reply =>
  failure(429, { code: 971, message: 'Please wait and consider throttling your request speed' }, headers);

export const noRoute = (): Reply => failure(404, { code: 7000, message: 'No route for that URI' });

export const methodNotAllowed = (): Reply => failure(405, { code: 7001, message: 'Method not allowed for this endpoint' });

/** A path identifier that is not well-formed (Cloudflare answers before looking anything up). */
export const invalidIdentifier = (path: string): Reply =>
  failure(400, { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` });

export const malformedJson = (): Reply => failure(400, { code: 6007, message: 'Malformed JSON in request body' });

export const badParameter = (message: string): Reply => failure(400, { code: 1001, message });

export const tunnelNotFound = (): Reply => failure(404, { code: 1002, message: 'Tunnel not found' });

export const connectorNotFound = (): Reply => failure(404, { code: 1003, message: 'Connector not found' });
