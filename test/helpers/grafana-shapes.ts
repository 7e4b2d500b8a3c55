// The shapes of Grafana dashboard JSON, tied to @grafana/schema's types at compile time: each list below must
// name every key of its schema type (and only those), and `required` exactly the keys the type does not mark
// optional, or `tsc` fails. A schema upgrade that adds or drops a field therefore breaks the build, not Grafana.
import type {
  AnnotationQuery, Dashboard, DashboardLink, DataSourceRef, DataTransformerConfig, FieldConfig, FieldConfigSource,
  GridPos, LegendPlacement, Panel, ReduceDataOptions, RowPanel, TableOptions, Threshold, ThresholdsConfig, TimePickerConfig, VariableModel,
  VariableOption, VariableType, VizLegendOptions, VizTooltipOptions,
} from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type { Options as LogsOptions } from '@grafana/schema/dist/esm/raw/composable/logs/panelcfg/x/LogsPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { Options as StateTimelineOptions } from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T] & string;
type Exactly<U extends string, L extends readonly string[]> = [Exclude<U, L[number]>] extends [never] ? L : { readonly missing: Exclude<U, L[number]> };

export interface Shape {
  readonly keys: readonly string[];
  readonly required: readonly string[];
}

function shape<T>() {
  return <const K extends readonly (keyof T & string)[], const R extends readonly RequiredKeys<T>[]>(
    keys: K & NoInfer<Exactly<keyof T & string, K>>,
    required: R & NoInfer<Exactly<RequiredKeys<T>, R>>,
  ): Shape => ({ keys, required });
}

/** Every member of a string union, listed; the compiler rejects a list that misses or adds one. */
type Members<U extends string> = <const L extends readonly U[]>(list: L & NoInfer<Exactly<U, L>>) => readonly string[];
export function members<U extends string>(): Members<U> {
  return (list) => list;
}

export const DASHBOARD = shape<Dashboard>()(
  ['annotations', 'description', 'editable', 'fiscalYearStartMonth', 'gnetId', 'graphTooltip', 'id', 'links', 'liveNow', 'panels', 'preload',
    'refresh', 'revision', 'schemaVersion', 'snapshot', 'tags', 'templating', 'time', 'timepicker', 'timezone', 'title', 'uid', 'version', 'weekStart'],
  ['schemaVersion'],
);
export const PANEL = shape<Panel>()(
  ['autoMigrateFrom', 'cacheTimeout', 'datasource', 'description', 'fieldConfig', 'gridPos', 'hideTimeOverride', 'id', 'interval', 'libraryPanel',
    'links', 'maxDataPoints', 'maxPerRow', 'options', 'pluginVersion', 'queryCachingTTL', 'repeat', 'repeatDirection', 'targets', 'timeCompare',
    'timeFrom', 'timeShift', 'title', 'transformations', 'transparent', 'type'],
  ['type'],
);
export const ROW_PANEL = shape<RowPanel>()(['collapsed', 'datasource', 'gridPos', 'id', 'panels', 'repeat', 'title', 'type'], ['collapsed', 'id', 'panels', 'type']);
export const GRID_POS = shape<GridPos>()(['h', 'w', 'x', 'y', 'static'], ['h', 'w', 'x', 'y']);
export const DATASOURCE_REF = shape<DataSourceRef>()(['apiVersion', 'type', 'uid'], []);
export const VARIABLE = shape<VariableModel>()(
  ['allValue', 'allowCustomValue', 'current', 'datasource', 'description', 'enableGroupBy', 'hide', 'includeAll', 'label', 'multi', 'name', 'options',
    'query', 'refresh', 'regex', 'regexApplyTo', 'skipUrlSync', 'sort', 'staticOptions', 'staticOptionsOrder', 'type', 'valuesFormat'],
  ['name', 'type'],
);
export const VARIABLE_OPTION = shape<VariableOption>()(['properties', 'selected', 'text', 'value'], ['text', 'value']);
export const VARIABLE_TYPES = members<VariableType>()(['query', 'adhoc', 'groupby', 'constant', 'datasource', 'interval', 'textbox', 'custom', 'system', 'snapshot', 'switch']);
export const ANNOTATION = shape<AnnotationQuery>()(
  ['builtIn', 'datasource', 'enable', 'filter', 'hide', 'iconColor', 'name', 'placement', 'snapshotData', 'target', 'type'],
  ['enable', 'iconColor', 'name'],
);
export const LINK = shape<DashboardLink>()(
  ['asDropdown', 'icon', 'includeVars', 'keepTime', 'origin', 'placement', 'tags', 'targetBlank', 'title', 'tooltip', 'type', 'url'],
  ['asDropdown', 'icon', 'includeVars', 'keepTime', 'tags', 'targetBlank', 'title', 'tooltip', 'type'],
);
export const TIME_PICKER = shape<TimePickerConfig>()(['hidden', 'nowDelay', 'quick_ranges', 'refresh_intervals'], []);
export const FIELD_CONFIG_SOURCE = shape<FieldConfigSource>()(['defaults', 'overrides'], ['defaults', 'overrides']);
export const FIELD_CONFIG = shape<FieldConfig>()(
  ['actions', 'color', 'custom', 'decimals', 'description', 'displayName', 'displayNameFromDS', 'filterable', 'links', 'mappings', 'max', 'min',
    'noValue', 'path', 'thresholds', 'unit', 'writeable'],
  [],
);
export const THRESHOLDS = shape<ThresholdsConfig>()(['mode', 'steps'], ['mode', 'steps']);
export const THRESHOLD = shape<Threshold>()(['color', 'value', 'valueExpr'], ['color', 'value']);
export const TRANSFORMATION = shape<DataTransformerConfig>()(['disabled', 'filter', 'id', 'options', 'topic'], ['id', 'options']);
export const LEGEND = shape<VizLegendOptions>()(
  ['asTable', 'calcs', 'displayMode', 'isVisible', 'limit', 'overflow', 'placement', 'showLegend', 'sortBy', 'sortDesc', 'width'],
  ['calcs', 'placement', 'showLegend'],
);
export const LEGEND_PLACEMENTS = members<LegendPlacement>()(['bottom', 'right']);
export const TOOLTIP = shape<VizTooltipOptions>()(['hideZeros', 'maxHeight', 'maxWidth', 'mode', 'sort'], ['mode', 'sort']);
export const REDUCE = shape<ReduceDataOptions>()(['calcs', 'fields', 'limit', 'values'], ['calcs']);

/** The options of each panel type the dashboards use, by Grafana plugin id. */
export const PANEL_OPTIONS: Readonly<Record<string, Shape>> = {
  timeseries: shape<TimeSeriesOptions>()(['annotations', 'disableKeyboardEvents', 'legend', 'orientation', 'timeCompare', 'timezone', 'tooltip'], ['legend', 'tooltip']),
  stat: shape<StatOptions>()(
    ['colorMode', 'graphMode', 'justifyMode', 'orientation', 'percentChangeColorMode', 'reduceOptions', 'showPercentChange', 'text', 'textMode', 'wideLayout'],
    ['colorMode', 'graphMode', 'justifyMode', 'orientation', 'percentChangeColorMode', 'reduceOptions', 'showPercentChange', 'textMode', 'wideLayout'],
  ),
  'state-timeline': shape<StateTimelineOptions>()(
    ['alignValue', 'annotations', 'legend', 'mergeValues', 'perPage', 'rowHeight', 'showValue', 'timezone', 'tooltip'],
    ['legend', 'rowHeight', 'showValue', 'tooltip'],
  ),
  table: shape<TableOptions>()(
    ['cellHeight', 'disableKeyboardEvents', 'enablePagination', 'frameIndex', 'frozenColumns', 'maxRowHeight', 'pageSize', 'showHeader', 'showTypeIcons', 'sortBy'],
    ['frameIndex', 'showHeader'],
  ),
  bargauge: shape<BarGaugeOptions>()(
    ['displayMode', 'legend', 'maxVizHeight', 'minVizHeight', 'minVizWidth', 'namePlacement', 'orientation', 'reduceOptions', 'showUnfilled', 'sizing', 'text', 'valueMode'],
    ['displayMode', 'legend', 'maxVizHeight', 'minVizHeight', 'minVizWidth', 'namePlacement', 'orientation', 'reduceOptions', 'showUnfilled', 'sizing', 'valueMode'],
  ),
  logs: shape<LogsOptions>()(
    ['allowDownload', 'controlsStorageKey', 'dedupStrategy', 'detailsMode', 'displayedFields', 'enableInfiniteScrolling', 'enableLogDetails', 'fontSize',
      'grammar', 'isFilterLabelActive', 'logLineMenuCustomItems', 'logRowMenuIconsAfter', 'logRowMenuIconsBefore', 'noInteractions', 'onClickFilterLabel',
      'onClickFilterOutLabel', 'onClickFilterOutString', 'onClickFilterString', 'onClickHideField', 'onClickShowField', 'onLogOptionsChange',
      'onNewLogsReceived', 'prettifyLogMessage', 'setDisplayedFields', 'showCommonLabels', 'showControls', 'showFieldSelector', 'showLabels', 'showLevel',
      'showLogAttributes', 'showLogContextToggle', 'showTime', 'sortOrder', 'syntaxHighlighting', 'timestampResolution', 'unwrappedColumns', 'wrapLogMessage'],
    ['dedupStrategy', 'enableLogDetails', 'prettifyLogMessage', 'showCommonLabels', 'showLabels', 'showLogContextToggle', 'showTime', 'sortOrder', 'wrapLogMessage'],
  ),
};
