// The dashboards in dashboards/ as the tests see them: read from the files (never a copy), their panels with
// rows flattened, every query with its language (from the datasource variable it uses), and Grafana's
// variable substitution, so an expression can be parsed or sent to a real Prometheus.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isObject, type Json } from './grafana-schema.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));

export interface DashboardFile {
  readonly file: string;
  readonly json: Json;
}

/** Every `*.json` in dashboards/, by file name. */
export function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json: unknown = JSON.parse(readFileSync(`${DASHBOARD_DIR}${file}`, 'utf8'));
      if (!isObject(json)) throw new Error(`dashboards/${file}: expected a JSON object`);
      return { file, json };
    });
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Panels with the panels of rows in line after their row. */
export function panelsOf(d: DashboardFile): Json[] {
  return list(d.json.panels).flatMap((p) => [p, ...list(p.panels)]);
}

export function variablesOf(d: DashboardFile): Json[] {
  return isObject(d.json.templating) ? list(d.json.templating.list) : [];
}

export type Language = 'promql' | 'logql';

export interface Query {
  readonly file: string;
  readonly panel: string;
  readonly refId: string;
  readonly language: Language;
  readonly expr: string;
}

const LANGUAGE: Readonly<Record<string, Language>> = { prometheus: 'promql', loki: 'logql' };

/** The language of a datasource reference: its type, which must agree with the datasource variable it names. */
function languageOf(d: DashboardFile, ref: unknown, where: string): Language {
  const type = isObject(ref) ? ref.type : undefined;
  const language = typeof type === 'string' ? LANGUAGE[type] : undefined;
  if (language === undefined) throw new Error(`${where}: datasource type ${JSON.stringify(type)} is neither prometheus nor loki`);
  const uid = isObject(ref) && typeof ref.uid === 'string' ? ref.uid : '';
  const name = /^\$\{(\w+)\}$/.exec(uid)?.[1];
  const variable = variablesOf(d).find((v) => v.name === name && v.type === 'datasource');
  if (variable?.query !== type) throw new Error(`${where}: datasource uid ${JSON.stringify(uid)} is not a datasource variable of type ${String(type)}`);
  return language;
}

/** Every panel query of a dashboard. */
export function queriesOf(d: DashboardFile): Query[] {
  return panelsOf(d).flatMap((p) => list(p.targets).map((t) => {
    const panel = `dashboards/${d.file} panel ${String(p.id)} "${String(p.title)}"`;
    const refId = String(t.refId);
    if (typeof t.expr !== 'string') throw new Error(`${panel} target ${refId}: no expr`);
    return { file: d.file, panel, refId, language: languageOf(d, t.datasource ?? p.datasource, `${panel} target ${refId}`), expr: t.expr };
  }));
}

export interface LabelValuesQuery {
  readonly variable: string;
  readonly selector: string;
  readonly label: string;
}

/** The `label_values(selector, label)` queries of the Prometheus query variables. */
export function labelValuesQueries(d: DashboardFile): LabelValuesQuery[] {
  return variablesOf(d).filter((v) => v.type === 'query').map((v) => {
    const query = isObject(v.query) ? v.query.query : v.query;
    const m = typeof query === 'string' ? /^label_values\((.+),\s*(\w+)\)$/.exec(query) : null;
    if (!m?.[1] || !m[2]) throw new Error(`dashboards/${d.file} variable ${String(v.name)}: expected label_values(selector, label), got ${JSON.stringify(query)}`);
    return { variable: String(v.name), selector: m[1], label: m[2] };
  });
}

/** Grafana's built-in variables the queries may use. */
export const BUILTINS = ['__rate_interval', '__interval', '__range', '__auto'] as const;

const REFERENCE = /\$\{(\w+)(?::[\w]+)?\}|\$(\w+)|\[\[(\w+)\]\]/g;

/** Names of the variables an expression refers to ($x, ${x}, ${x:fmt}, [[x]]). */
export function referencedVariables(expr: string): string[] {
  return [...expr.matchAll(REFERENCE)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The expression with every variable replaced by its value; throws on one without a value. */
export function substitute(expr: string, values: Readonly<Record<string, string>>, where: string): string {
  return expr.replace(REFERENCE, (whole, a?: string, b?: string, c?: string) => {
    const value = values[a ?? b ?? c ?? ''];
    if (value === undefined) throw new Error(`${where}: ${whole} has no value to substitute`);
    return value;
  });
}
