// Parses a cloudflared config in any of its three shapes into one typed CloudflaredConfig: a local
// config file (YAML, Go durations), a remote-managed config (JSON pushed by the edge and stored by the
// `configurations` API, integer seconds) and the `/config` endpoint body (float seconds). Never throws.
import type { Diagnostic } from '../../base/index.js';
import { decodeStruct, type Decoded, type DecodedItem, type DecodeIssue, type DecodeMode } from './decode.js';
import { readFlags, type FlagValue, type TopLevelSetting } from './flags.js';
import { parseRawDocument, type RawEntry, type RawMap, type RawNode } from './raw.js';
import { ENDPOINT_TOP_SCHEMA, LOCAL_TOP_SCHEMA, REMOTE_TOP_SCHEMA } from './schema.js';
import { compileGoRegexp } from '../../go/index.js';
import { ingressDiagnostic } from './ingress-codes.js';
import { punycodeHostname } from './punycode-hostname.js';
import { type OriginService, parseOriginService } from './origin-service.js';
import {
  accessOf,
  DEFAULT_ORIGIN_REQUEST,
  mergeOriginRequest,
  type OriginRequest,
  type OriginRequestSources,
} from './origin-request.js';

export type { OriginService } from './origin-service.js';
export type { AccessSettings, IpRuleSettings, OriginRequest } from './origin-request.js';

/** `local`: a config file; `remote`: edge-pushed / API JSON; `endpoint`: the `/config` body. */
export type ConfigShape = 'local' | 'remote' | 'endpoint';

/** One ingress rule, with its originRequest merged over the global one as cloudflared does. */
export interface IngressRule {
  /** Position among the rules cloudflared keeps (0-based, as `ingress rule` prints it). */
  readonly index: number;
  /** Document path of the rule, e.g. `ingress[2]`. */
  readonly at: string;
  readonly hostname: string;
  /** The `path` regex as written; undefined when absent or empty. */
  readonly path?: string;
  /** The path regex translated to JS, when it compiles. */
  readonly pathRegexp?: RegExp;
  /** Go's compile error for the path regex, or why tunnelwatch could not translate it to JS. */
  readonly pathError?: string;
  /** Lower-cased punycode form of the hostname when it differs (cloudflared also matches it). */
  readonly punycodeHostname?: string;
  readonly serviceText: string;
  readonly service: OriginService;
  readonly originRequest: OriginRequest;
  /** For each originRequest option not at its default: the document path that set it. */
  readonly originRequestFrom: OriginRequestSources;
  /** True when the rule itself carries `originRequest.access` (only then does cloudflared check JWTs). */
  readonly hasOwnAccess: boolean;
}

/** warp-routing settings, durations in milliseconds. */
export interface WarpRouting {
  readonly connectTimeout: number;
  readonly tcpKeepAlive: number;
  readonly maxActiveFlows: number;
}

/** A cloudflared config normalised from any shape. */
export interface CloudflaredConfig {
  readonly origin: string;
  readonly shape: ConfigShape;
  readonly format: 'yaml' | 'json';
  /** Config version (remote and `/config` shapes). */
  readonly version?: number;
  /** Document path of the config object: '' at the top, `config` or `result.config` inside wrappers. */
  readonly configAt: string;
  readonly tunnel?: string;
  /** True when the document has an `ingress` key at all. */
  readonly hasIngressKey: boolean;
  readonly rules: readonly IngressRule[];
  /** The global originRequest with defaults filled in. */
  readonly originRequest: OriginRequest;
  readonly originRequestFrom: OriginRequestSources;
  readonly warpRouting: WarpRouting;
  /** Flag keys of a local file, as cloudflared reads them. */
  readonly flags: ReadonlyMap<string, FlagValue>;
  /** Every top-level key that is not a config struct field. */
  readonly settings: readonly TopLevelSetting[];
  /** Values cloudflared's decoders reject or do not know; `validate` reports them. */
  readonly issues: readonly DecodeIssue[];
}

/** Result of parsing: the config when the text could be read, and syntax-level diagnostics. */
export interface ParsedConfig {
  readonly config?: CloudflaredConfig;
  readonly diagnostics: Diagnostic[];
}

function entry(map: RawMap, key: string): RawNode | undefined {
  return map.entries.find((e) => e.key === key)?.value;
}

interface Located {
  readonly map: RawMap;
  readonly shape: ConfigShape;
  readonly prefix: string;
  readonly version?: number;
}

/** Finds the config object inside API envelopes and `{version, config}` wrappers. */
function locate(root: RawMap, format: 'yaml' | 'json', forced?: ConfigShape): Located {
  let map = root;
  let prefix = '';
  const result = entry(map, 'result');
  if (result?.kind === 'map' && entry(map, 'success') !== undefined) [map, prefix] = [result, 'result'];
  const inner = entry(map, 'config');
  if (inner?.kind === 'map' && entry(map, 'ingress') === undefined) {
    const v = entry(map, 'version');
    const version = v?.kind === 'scalar' && typeof v.value === 'number' ? v.value : undefined;
    const api = ['tunnel_id', 'account_id', 'source'].some((k) => entry(map, k) !== undefined);
    const shape = forced ?? (api ? 'remote' : 'endpoint');
    return { map: inner, shape, prefix: prefix === '' ? 'config' : `${prefix}.config`, ...(version === undefined ? {} : { version }) };
  }
  // encoding/json matches field names case-insensitively.
  const remoteKeys = new Set(['ingress', 'originrequest', 'warp-routing']);
  const remote = format === 'json' && map.entries.every((e) => remoteKeys.has(e.key.toLowerCase()));
  return { map, shape: forced ?? (remote ? 'remote' : 'local'), prefix };
}

function decodedMap(value: unknown): Decoded {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Decoded) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function buildRules(items: readonly DecodedItem[], global: OriginRequest, globalFrom: OriginRequestSources): IngressRule[] {
  return items.map((item, index) => {
    const own = decodedMap(item.fields.originRequest);
    const { value: originRequest, from } = mergeOriginRequest(global, globalFrom, own, `${item.path}.originRequest`);
    const hostname = str(item.fields.hostname);
    const path = str(item.fields.path);
    const serviceText = str(item.fields.service);
    const compiled = path === '' ? undefined : compileGoRegexp(path);
    const puny = punycodeHostname(hostname);
    return {
      index,
      at: item.path,
      hostname,
      ...(path === '' ? {} : { path }),
      ...(compiled?.ok ? { pathRegexp: compiled.regexp } : {}),
      ...(compiled && !compiled.ok ? { pathError: compiled.error } : {}),
      ...(puny === undefined ? {} : { punycodeHostname: puny }),
      serviceText,
      service: parseOriginService(serviceText, originRequest.bastionMode),
      originRequest,
      originRequestFrom: from,
      hasOwnAccess: accessOf(own) !== undefined,
    };
  });
}

function warpRouting(fields: Decoded): WarpRouting {
  const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
  return {
    connectTimeout: num(fields.connectTimeout, 5_000),
    tcpKeepAlive: num(fields.tcpKeepAlive, 30_000),
    maxActiveFlows: num(fields.maxActiveFlows, 0),
  };
}

function build(origin: string, format: 'yaml' | 'json', located: Located): CloudflaredConfig {
  const { map, shape, prefix } = located;
  const mode: DecodeMode = shape === 'local' ? 'yaml' : shape === 'remote' ? 'json' : 'endpoint';
  const schema = shape === 'local' ? LOCAL_TOP_SCHEMA : shape === 'remote' ? REMOTE_TOP_SCHEMA : ENDPOINT_TOP_SCHEMA;
  const issues: DecodeIssue[] = [];
  const structEntries: RawEntry[] = shape === 'local' ? map.entries.filter((e) => e.key in schema.fields) : [...map.entries];
  const fields = decodeStruct(structEntries, schema, mode, prefix, issues);
  const { flags, settings } =
    shape === 'local' ? readFlags(map.entries.filter((e) => !(e.key in schema.fields)), issues) : { flags: new Map(), settings: [] };
  const globalOwn = decodedMap(fields.originRequest);
  const originAt = prefix === '' ? 'originRequest' : `${prefix}.originRequest`;
  const { value: global, from: globalFrom } = mergeOriginRequest(DEFAULT_ORIGIN_REQUEST, {}, globalOwn, originAt);
  const items = Array.isArray(fields.ingress) ? (fields.ingress as readonly DecodedItem[]) : [];
  const tunnel = typeof fields.tunnel === 'string' && fields.tunnel !== '' ? { tunnel: fields.tunnel } : {};
  return {
    origin,
    shape,
    format,
    ...(located.version === undefined ? {} : { version: located.version }),
    configAt: prefix,
    ...tunnel,
    hasIngressKey: map.entries.some((e) => (mode === 'yaml' ? e.key : e.key.toLowerCase()) === 'ingress'),
    rules: buildRules(items, global, globalFrom),
    originRequest: global,
    originRequestFrom: globalFrom,
    warpRouting: warpRouting(decodedMap(fields['warp-routing'])),
    flags,
    settings,
    issues,
  };
}

function emptyConfig(origin: string, format: 'yaml' | 'json'): CloudflaredConfig {
  return build(origin, format, { map: { kind: 'map', entries: [], line: 1, column: 1, source: '' }, shape: 'local', prefix: '' });
}

/** Parses YAML or JSON config text; `origin` names the source in messages. Never throws. */
export function parseCloudflaredConfig(text: string, origin: string, options: { shape?: ConfigShape } = {}): ParsedConfig {
  const doc = parseRawDocument(text);
  const diagnostics: Diagnostic[] = [];
  if (doc.error) {
    const { line, column, message } = doc.error;
    diagnostics.push(
      ingressDiagnostic(
        'TW_ERR_CONFIG_SYNTAX',
        '',
        `error parsing YAML in config file at ${origin}: line ${String(line)}, column ${String(column)}: ${message}`,
        `Fix the YAML syntax at line ${String(line)}, column ${String(column)}; indent nested keys with spaces, not tabs.`,
      ),
    );
    return { diagnostics };
  }
  if (doc.documents > 1) {
    diagnostics.push(
      ingressDiagnostic(
        'TW_WARN_CONFIG_EXTRA_DOCUMENTS',
        '',
        `${origin} holds ${String(doc.documents)} YAML documents; cloudflared reads only the first and ignores the rest`,
      ),
    );
  }
  if (!doc.root) {
    diagnostics.push(ingressDiagnostic('TW_WARN_CONFIG_EMPTY', '', `Configuration file ${origin} was empty`));
    return { config: emptyConfig(origin, doc.format), diagnostics };
  }
  if (doc.root.kind !== 'map') {
    const what = doc.root.kind === 'seq' ? '!!seq' : `!!${doc.root.tag}`;
    diagnostics.push(
      ingressDiagnostic('TW_ERR_CONFIG_NOT_MAPPING', '', `line ${String(doc.root.line)}: cannot unmarshal ${what} into config.configFileSettings`),
    );
    return { diagnostics };
  }
  return { config: build(origin, doc.format, locate(doc.root, doc.format, options.shape)), diagnostics };
}
