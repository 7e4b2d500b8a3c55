// Checks Grafana dashboard JSON against @grafana/schema: the key lists of grafana-shapes.ts (known keys only,
// required keys present), the JSON type of every key the schema's defaults give, and the schema's enums for
// every option that has one. Returns the problems found, each naming where it is.
import {
  BarGaugeDisplayMode, BarGaugeNamePlacement, BarGaugeSizing, BarGaugeValueMode, BigValueColorMode, BigValueGraphMode, BigValueJustifyMode,
  BigValueTextMode, DashboardCursorSync, FieldColorModeId, GraphDrawStyle, LegendDisplayMode, LineInterpolation, LogsDedupStrategy, LogsSortOrder,
  MappingType, PercentChangeColorMode, SortOrder, StackingMode, TableCellHeight, ThresholdsMode, TooltipDisplayMode, VariableHide, VariableRefresh,
  VariableSort, VisibilityMode, VizOrientation, defaultAnnotationQuery, defaultDashboard, defaultDashboardLink, defaultFieldConfig,
  defaultFieldConfigSource, defaultGridPos, defaultPanel, defaultReduceDataOptions, defaultRowPanel, defaultThresholdsConfig, defaultTimePickerConfig,
  defaultVariableModel, defaultVizLegendOptions, type DashboardLinkType, type TimelineValueAlignment,
} from '@grafana/schema';
import { defaultOptions as barGaugeDefaults } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import { defaultOptions as logsDefaults } from '@grafana/schema/dist/esm/raw/composable/logs/panelcfg/x/LogsPanelCfg_types.gen';
import { defaultOptions as statDefaults } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import { defaultOptions as timelineDefaults } from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import { defaultOptions as tableDefaults } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import {
  ANNOTATION, DASHBOARD, DATASOURCE_REF, FIELD_CONFIG, FIELD_CONFIG_SOURCE, GRID_POS, LEGEND, LEGEND_PLACEMENTS, LINK, PANEL, PANEL_OPTIONS, REDUCE,
  ROW_PANEL, THRESHOLD, THRESHOLDS, TIME_PICKER, TOOLTIP, TRANSFORMATION, VARIABLE, VARIABLE_OPTION, VARIABLE_TYPES, members, type Shape,
} from './grafana-shapes.js';

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const values = (e: object): readonly unknown[] => Object.values(e);
const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

const LINK_TYPES = members<DashboardLinkType>()(['link', 'dashboards']);
const ALIGNMENTS = members<TimelineValueAlignment>()(['center', 'left', 'right']);
const OPTION_DEFAULTS: Readonly<Record<string, object>> = {
  stat: statDefaults, 'state-timeline': timelineDefaults, table: tableDefaults, bargauge: barGaugeDefaults, logs: logsDefaults,
};
/** Options whose values the schema enumerates. */
const OPTION_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>> = {
  stat: {
    colorMode: values(BigValueColorMode), graphMode: values(BigValueGraphMode), justifyMode: values(BigValueJustifyMode), textMode: values(BigValueTextMode),
    percentChangeColorMode: values(PercentChangeColorMode), orientation: values(VizOrientation),
  },
  'state-timeline': { showValue: values(VisibilityMode), alignValue: ALIGNMENTS },
  table: { cellHeight: values(TableCellHeight) },
  bargauge: {
    displayMode: values(BarGaugeDisplayMode), valueMode: values(BarGaugeValueMode), namePlacement: values(BarGaugeNamePlacement), sizing: values(BarGaugeSizing),
    orientation: values(VizOrientation),
  },
  logs: { dedupStrategy: values(LogsDedupStrategy), sortOrder: values(LogsSortOrder) },
  timeseries: { orientation: values(VizOrientation) },
};
const TIMESERIES_CUSTOM: Readonly<Record<string, readonly unknown[]>> = {
  drawStyle: values(GraphDrawStyle), lineInterpolation: values(LineInterpolation), showPoints: values(VisibilityMode),
};

class Checker {
  readonly problems: string[] = [];

  fail(where: string, what: string): void {
    this.problems.push(`${where}: ${what}`);
  }

  /** Known keys only, required keys present, and each key the schema's defaults set keeps their JSON type. */
  shape(where: string, v: unknown, s: Shape, defaults: object = {}): Json | undefined {
    if (!isObject(v)) {
      this.fail(where, `expected an object, got ${jsonType(v)}`);
      return undefined;
    }
    for (const k of Object.keys(v)) if (!s.keys.includes(k)) this.fail(where, `unknown key "${k}" (not in @grafana/schema)`);
    for (const k of s.required) if (!(k in v)) this.fail(where, `required key "${k}" missing`);
    for (const [k, d] of Object.entries(defaults)) {
      if (k in v && jsonType(v[k]) !== jsonType(d)) this.fail(`${where}.${k}`, `expected ${jsonType(d)} like the schema default, got ${jsonType(v[k])}`);
    }
    return v;
  }

  oneOf(where: string, v: unknown, allowed: readonly unknown[]): void {
    if (v !== undefined && !allowed.includes(v)) this.fail(where, `${JSON.stringify(v)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }

  type(where: string, v: unknown, ...types: string[]): void {
    if (v !== undefined && !types.includes(jsonType(v))) this.fail(where, `expected ${types.join(' or ')}, got ${jsonType(v)}`);
  }

  each(where: string, v: unknown, fn: (item: unknown, at: string) => void): void {
    if (v === undefined) return;
    if (!Array.isArray(v)) this.fail(where, `expected an array, got ${jsonType(v)}`);
    else v.forEach((item, i) => { fn(item, `${where}[${String(i)}]`); });
  }

  datasource(where: string, v: unknown): void {
    if (v === undefined || v === null) return;
    const ref = this.shape(where, v, DATASOURCE_REF);
    for (const k of DATASOURCE_REF.keys) this.type(`${where}.${k}`, ref?.[k], 'string');
  }

  variable(where: string, v: unknown): void {
    const m = this.shape(where, v, VARIABLE, defaultVariableModel);
    if (!m) return;
    this.type(`${where}.name`, m.name, 'string');
    this.oneOf(`${where}.type`, m.type, VARIABLE_TYPES);
    this.oneOf(`${where}.hide`, m.hide, values(VariableHide));
    this.oneOf(`${where}.refresh`, m.refresh, values(VariableRefresh));
    this.oneOf(`${where}.sort`, m.sort, values(VariableSort));
    this.type(`${where}.query`, m.query, 'string', 'object');
    this.datasource(`${where}.datasource`, m.datasource);
    if (m.current !== undefined) this.shape(`${where}.current`, m.current, VARIABLE_OPTION);
    this.each(`${where}.options`, m.options, (o, at) => { this.shape(at, o, VARIABLE_OPTION); });
  }

  fieldConfig(where: string, v: unknown, panelType: string): void {
    const src = this.shape(where, v, FIELD_CONFIG_SOURCE, defaultFieldConfigSource);
    const d = src && this.shape(`${where}.defaults`, src.defaults, FIELD_CONFIG, defaultFieldConfig);
    if (!d) return;
    this.type(`${where}.defaults.unit`, d.unit, 'string');
    this.type(`${where}.defaults.min`, d.min, 'number');
    if (isObject(d.color)) this.oneOf(`${where}.defaults.color.mode`, d.color.mode, values(FieldColorModeId));
    this.each(`${where}.defaults.mappings`, d.mappings, (m, at) => {
      this.oneOf(`${at}.type`, isObject(m) ? m.type : m, values(MappingType));
      this.type(`${at}.options`, isObject(m) ? m.options : undefined, 'object');
    });
    if (d.thresholds !== undefined) this.thresholds(`${where}.defaults.thresholds`, d.thresholds);
    if (panelType === 'timeseries' && isObject(d.custom)) {
      for (const [k, allowed] of Object.entries(TIMESERIES_CUSTOM)) this.oneOf(`${where}.defaults.custom.${k}`, d.custom[k], allowed);
      if (isObject(d.custom.stacking)) this.oneOf(`${where}.defaults.custom.stacking.mode`, d.custom.stacking.mode, values(StackingMode));
    }
  }

  thresholds(where: string, v: unknown): void {
    const t = this.shape(where, v, THRESHOLDS, defaultThresholdsConfig);
    if (!t) return;
    this.oneOf(`${where}.mode`, t.mode, values(ThresholdsMode));
    let last = -Infinity;
    this.each(`${where}.steps`, t.steps, (s, at) => {
      const step = this.shape(at, s, THRESHOLD);
      this.type(`${at}.color`, step?.color, 'string');
      // The first step is the base (-Infinity, serialised as null); the rest ascend.
      if (at.endsWith('[0]')) this.oneOf(`${at}.value`, step?.value, [null]);
      else if (typeof step?.value !== 'number' || step.value <= last) this.fail(`${at}.value`, 'expected a number above the previous step');
      else last = step.value;
    });
  }

  options(where: string, v: unknown, panelType: string): void {
    const s = PANEL_OPTIONS[panelType];
    if (!s) {
      this.fail(where, `no schema shape for panel type "${panelType}" in test/helpers/grafana-shapes.ts; add one`);
      return;
    }
    const o = this.shape(where, v, s, OPTION_DEFAULTS[panelType]);
    if (!o) return;
    for (const [k, allowed] of Object.entries(OPTION_ENUMS[panelType] ?? {})) this.oneOf(`${where}.${k}`, o[k], allowed);
    if (o.legend !== undefined) {
      const l = this.shape(`${where}.legend`, o.legend, LEGEND, defaultVizLegendOptions);
      this.oneOf(`${where}.legend.displayMode`, l?.displayMode, values(LegendDisplayMode));
      this.oneOf(`${where}.legend.placement`, l?.placement, LEGEND_PLACEMENTS);
    }
    if (o.tooltip !== undefined) {
      const t = this.shape(`${where}.tooltip`, o.tooltip, TOOLTIP);
      this.oneOf(`${where}.tooltip.mode`, t?.mode, values(TooltipDisplayMode));
      this.oneOf(`${where}.tooltip.sort`, t?.sort, values(SortOrder));
    }
    if (o.reduceOptions !== undefined) this.shape(`${where}.reduceOptions`, o.reduceOptions, REDUCE, defaultReduceDataOptions);
  }

  panel(where: string, v: unknown): void {
    const row = isObject(v) && v.type === 'row';
    const p = this.shape(where, v, row ? ROW_PANEL : PANEL, row ? defaultRowPanel : defaultPanel);
    if (!p) return;
    this.type(`${where}.id`, p.id, 'number');
    this.type(`${where}.title`, p.title, 'string');
    this.datasource(`${where}.datasource`, p.datasource);
    const g = this.shape(`${where}.gridPos`, p.gridPos, GRID_POS, defaultGridPos);
    for (const k of ['h', 'w', 'x', 'y']) if (g && !Number.isInteger(g[k])) this.fail(`${where}.gridPos.${k}`, 'expected an integer');
    if (row) {
      this.each(`${where}.panels`, p.panels, (c, at) => { this.panel(at, c); });
      return;
    }
    const type = String(p.type);
    this.fieldConfig(`${where}.fieldConfig`, p.fieldConfig, type);
    this.options(`${where}.options`, p.options, type);
    this.each(`${where}.transformations`, p.transformations, (t, at) => { this.shape(at, t, TRANSFORMATION); });
    this.each(`${where}.targets`, p.targets, (t, at) => {
      // A target is a datasource's query (DataQuery): only refId is required, the rest is the datasource's.
      if (!isObject(t)) {
        this.fail(at, 'expected an object');
        return;
      }
      this.type(`${at}.refId`, t.refId, 'string');
      if (typeof t.refId !== 'string') this.fail(`${at}.refId`, 'required');
      this.type(`${at}.hide`, t.hide, 'boolean');
      this.datasource(`${at}.datasource`, t.datasource);
    });
  }

  dashboard(v: unknown): void {
    const d = this.shape('dashboard', v, DASHBOARD, defaultDashboard);
    if (!d) return;
    this.oneOf('dashboard.graphTooltip', d.graphTooltip, values(DashboardCursorSync));
    for (const k of ['title', 'uid', 'description', 'refresh', 'timezone']) this.type(`dashboard.${k}`, d[k], 'string');
    if (d.time !== undefined && (!isObject(d.time) || typeof d.time.from !== 'string' || typeof d.time.to !== 'string')) this.fail('dashboard.time', 'expected { from, to } strings');
    if (d.timepicker !== undefined) this.shape('dashboard.timepicker', d.timepicker, TIME_PICKER, defaultTimePickerConfig);
    this.each('dashboard.tags', d.tags, (t, at) => { this.type(at, t, 'string'); });
    this.each('dashboard.links', d.links, (l, at) => { this.oneOf(`${at}.type`, this.shape(at, l, LINK, defaultDashboardLink)?.type, LINK_TYPES); });
    const annotations = isObject(d.annotations) ? d.annotations.list : undefined;
    this.each('dashboard.annotations.list', annotations, (a, at) => { this.datasource(`${at}.datasource`, this.shape(at, a, ANNOTATION, defaultAnnotationQuery)?.datasource); });
    const variables = isObject(d.templating) ? d.templating.list : undefined;
    this.each('dashboard.templating.list', variables, (m, at) => { this.variable(at, m); });
    this.each('dashboard.panels', d.panels, (p, at) => { this.panel(at, p); });
  }
}

/** Everything in `json` that @grafana/schema does not allow; empty when it validates. */
export function dashboardProblems(json: unknown): string[] {
  const c = new Checker();
  c.dashboard(json);
  return c.problems;
}
