import { transferEvidenceOf } from '../../results/evidence';
import type { ResultRecord, SuiteResult } from '../../results/schema';

/**
 * Vega-Lite specs (plain JSON objects) built from a run's results.json. Pure: no vega import here,
 * so jest can test the specs; src/report/html.ts renders them to SVG.
 */
export type VegaLiteSpec = Record<string, unknown>;

/** How a result reads in every report: its verdict status seen through the expectations. */
export const VERDICT_CATEGORIES = ['pass', 'expected failure', 'unsupported', 'unexpected failure', 'unexpected pass'] as const;

/** One of {@link VERDICT_CATEGORIES}. */
export type VerdictCategory = (typeof VERDICT_CATEGORIES)[number];

/** One colour per category, shared by the charts and the HTML tables: green, amber, grey, reds. */
export const CATEGORY_COLORS: Record<VerdictCategory, string> = {
  pass: '#2e7d32',
  'expected failure': '#f0a30a',
  unsupported: '#9e9e9e',
  'unexpected failure': '#c62828',
  'unexpected pass': '#880e4f',
};

/** Text colour readable on each category colour. */
export const CATEGORY_TEXT_COLORS: Record<VerdictCategory, string> = {
  pass: '#ffffff',
  'expected failure': '#1a1a1a',
  unsupported: '#1a1a1a',
  'unexpected failure': '#ffffff',
  'unexpected pass': '#ffffff',
};

/** Colours of the two BN modes in the accuracy chart. */
export const MODE_COLORS = { 'training mode': '#1f77b4', 'inference mode': '#e45756' } as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Fonts and sizes shared by every chart, so they read like the page around them. */
const CONFIG = {
  font: 'Helvetica, Arial, "Liberation Sans", "Nimbus Sans", sans-serif',
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555', anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleColor: '#333', labelColor: '#333' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: '#ddd' },
};

/**
 * The category of a result: an unexpected outcome is red whatever its status; an expected
 * `unsupported` is grey (the behaviour cannot be observed there); other expected failures amber.
 */
export function verdictCategory(result: Pick<ResultRecord, 'status' | 'outcome'>): VerdictCategory {
  if (result.outcome === 'unexpected-pass') return 'unexpected pass';
  if (result.outcome === 'unexpected-fail') return 'unexpected failure';
  if (result.status === 'unsupported') return 'unsupported';
  if (result.outcome === 'expected-fail') return 'expected failure';
  return 'pass';
}

/** Short cell label of a result: its status, flagged when the outcome is unexpected. */
export function verdictLabel(result: Pick<ResultRecord, 'status' | 'outcome'>): string {
  const status = result.status === 'unsupported' ? 'unsupported' : result.status;
  if (result.outcome === 'unexpected-pass') return 'pass (UNEXPECTED)';
  if (result.outcome === 'unexpected-fail') return `${status} (UNEXPECTED)`;
  if (result.outcome === 'expected-fail') return `${status} (known)`;
  if (result.outcome === 'not-observable') return 'not observable here';
  return status;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A measured value as a chart takes it: null (non-finite in JSON) as NaN. */
function orNaN(value: number | null): number {
  return value ?? Number.NaN;
}

/** "scenario @ backend": the name of one series in the faceted charts. */
function seriesName(r: { scenario: string; backend: string }): string {
  return `${r.scenario} @ ${r.backend}`;
}

/** One cell of the parity heatmap: one per result. */
export interface ParityDatum {
  scenario: string;
  invariant: string;
  backend: string;
  status: string;
  outcome: string;
  category: VerdictCategory;
  label: string;
  textColor: string;
  issue: string;
  summary: string;
}

/** The heatmap's data: exactly one datum per result, in result order. */
export function parityData(suite: SuiteResult): ParityDatum[] {
  return suite.results.map((r) => {
    const category = verdictCategory(r);
    return {
      scenario: r.scenario,
      invariant: r.invariant,
      backend: r.backend,
      status: r.status,
      outcome: r.outcome,
      category,
      label: verdictLabel(r),
      textColor: CATEGORY_TEXT_COLORS[category],
      issue: r.issue ?? '',
      summary: truncate(r.summary, 200),
    };
  });
}

/**
 * Backend parity: a heatmap with a row per scenario and a column per backend that ran, each cell
 * coloured by verdict category and labelled with the status. Always built, from every result.
 */
export function parityHeatmapSpec(suite: SuiteResult): VegaLiteSpec {
  const data = parityData(suite);
  const scenarios = [...new Set(data.map((d) => d.scenario))].sort();
  const ranBackends = new Set(data.map((d) => d.backend));
  const backendOrder = [...suite.backends.map((b) => b.name).filter((b) => ranBackends.has(b)), ...[...ranBackends].filter((b) => !suite.backends.some((s) => s.name === b))];
  const unavailable = suite.backends.filter((b) => !b.available).map((b) => `${b.name} unavailable${'kind' in b ? ` (${b.kind})` : ''}`);
  const subtitle = [
    `${data.length} results: ${scenarios.length} scenarios x ${backendOrder.length} backend(s); "(known)" = a listed known issue`,
    ...(unavailable.length > 0 ? [`not run: ${unavailable.join('; ')}`] : []),
  ];
  return {
    $schema: SCHEMA,
    title: { text: 'Backend parity: verdict per scenario and backend', subtitle },
    config: CONFIG,
    data: { values: data },
    width: { step: 170 },
    height: { step: 22 },
    encoding: {
      y: { field: 'scenario', type: 'nominal', sort: scenarios, title: null, axis: { labelLimit: 420, labelFontSize: 12, labelPadding: 6, ticks: false, domain: false } },
      x: { field: 'backend', type: 'nominal', sort: backendOrder, title: 'backend', axis: { orient: 'top', labelAngle: 0, labelFontSize: 13, labelFontWeight: 'bold', ticks: false, domain: false, titlePadding: 8 } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1.5 },
        encoding: {
          color: {
            field: 'category',
            type: 'nominal',
            title: 'verdict',
            scale: { domain: [...VERDICT_CATEGORIES], range: VERDICT_CATEGORIES.map((c) => CATEGORY_COLORS[c]) },
            legend: { orient: 'bottom', direction: 'horizontal', columns: 5, symbolType: 'square', symbolSize: 160 },
          },
          tooltip: [
            { field: 'scenario', type: 'nominal' },
            { field: 'invariant', type: 'nominal' },
            { field: 'backend', type: 'nominal' },
            { field: 'status', type: 'nominal' },
            { field: 'outcome', type: 'nominal' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: 12, baseline: 'middle' },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { field: 'textColor', type: 'nominal', scale: null, legend: null },
        },
      },
    ],
  };
}

/** One point of the drift chart. */
export interface DriftPoint {
  series: string;
  scenario: string;
  backend: string;
  /** The model variant the layer belongs to ("frozen", "control"). */
  variant: string;
  layer: string;
  stat: 'moving mean' | 'moving variance';
  /** 1-based: the drift recorded after this training step. */
  step: number;
  value: number;
}

/**
 * Moving-statistic drift of every transfer result, per model variant and BN layer: after every
 * step, max |moving statistic - its value before fine-tuning|. Non-finite values (null in JSON)
 * are skipped.
 */
export function driftPoints(suite: SuiteResult): DriftPoint[] {
  const points: DriftPoint[] = [];
  const push = (r: ResultRecord, variant: string, layer: string, drift: { mean: Array<number | null>; variance: Array<number | null> }) => {
    for (const [key, stat] of [
      ['mean', 'moving mean'],
      ['variance', 'moving variance'],
    ] as const) {
      drift[key].forEach((value, i) => {
        if (value !== null && Number.isFinite(value)) points.push({ series: seriesName(r), scenario: r.scenario, backend: r.backend, variant, layer, stat, step: i + 1, value });
      });
    }
  };
  for (const r of suite.results) {
    const transfer = transferEvidenceOf(r);
    if (transfer === null) continue;
    for (const [variant, layers] of Object.entries(transfer.drift)) {
      for (const [layer, drift] of Object.entries(layers)) push(r, variant, layer, drift);
    }
  }
  return points;
}

/**
 * Line charts of moving-mean and moving-variance drift per BN layer over training steps: a row per
 * (scenario, backend), a column per statistic, colour by layer, dashes by model variant. Null
 * without drift evidence.
 */
export function driftChartSpec(suite: SuiteResult): VegaLiteSpec | null {
  const points = driftPoints(suite);
  if (points.length === 0) return null;
  const series = [...new Map(points.map((p) => [p.series, p])).values()]
    .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.backend.localeCompare(b.backend))
    .map((p) => p.series);
  const layers = [...new Set(points.map((p) => p.layer))];
  const variants = [...new Set(points.map((p) => p.variant))].sort((a, b) => variantRank(a) - variantRank(b) || a.localeCompare(b));
  const maxStep = Math.max(...points.map((p) => p.step));
  const byVariant = { strokeDash: { field: 'variant', type: 'nominal', sort: variants, title: 'variant', scale: { domain: variants, range: variants.map((_, i) => (i === 0 ? [1, 0] : [6, 3 + i])) } } };
  return {
    $schema: SCHEMA,
    title: {
      text: 'Moving-statistic drift of each BN layer over training steps',
      subtitle: [
        'Max |moving statistic - its value before training| after each step, per scenario and backend; a frozen BN should stay flat at 0.',
        `Left: moving mean, right: moving variance (own y scales); line style: model variant (${variants.join(', ')}).`,
      ],
    },
    config: CONFIG,
    data: { values: points },
    facet: {
      row: { field: 'series', type: 'nominal', sort: series, title: null, header: { labelOrient: 'top', labelAnchor: 'start', labelAngle: 0, labelFontWeight: 'bold', labelFontSize: 12, labelLimit: 600 } },
      column: { field: 'stat', type: 'nominal', sort: ['moving mean', 'moving variance'], title: null, header: { labelFontSize: 12 } },
    },
    spec: {
      width: 460,
      height: 150,
      // Point markers only while they stay readable.
      mark: maxStep <= 40 ? { type: 'line', point: { size: 18 }, strokeWidth: 1.8 } : { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step', scale: { domainMin: 1 }, axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: 'drift', scale: { zero: true }, axis: { format: '~g' } },
        color: { field: 'layer', type: 'nominal', sort: layers, title: 'BN layer', scale: { scheme: 'tableau10' } },
        ...byVariant,
        tooltip: [
          { field: 'series', type: 'nominal' },
          ...(variants.length > 0 ? [{ field: 'variant', type: 'nominal' }] : []),
          { field: 'layer', type: 'nominal' },
          { field: 'stat', type: 'nominal' },
          { field: 'step', type: 'quantitative' },
          { field: 'value', type: 'quantitative' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** One bar of the per-layer drift chart: a BN layer's drift after the last step. */
export interface LayerDriftPoint {
  series: string;
  scenario: string;
  backend: string;
  variant: string;
  layer: string;
  /** The layer's position among the variant's BN layers (model order, 0-based). */
  index: number;
  stat: 'moving mean' | 'moving variance';
  /** The last finite drift recorded (max |moving statistic - its value before training|). */
  value: number;
}

/** Colours of the model variants in the per-layer drift chart. */
export const VARIANT_COLORS = { frozen: '#c62828', control: '#1f77b4' } as const;

/**
 * Each BN layer's final drift per transfer result and model variant, layers in model order (the
 * order the evidence records them). A layer with no finite value is skipped.
 */
export function layerDriftPoints(suite: SuiteResult): LayerDriftPoint[] {
  const points: LayerDriftPoint[] = [];
  for (const r of suite.results) {
    const transfer = transferEvidenceOf(r);
    if (transfer === null) continue;
    for (const [variant, layers] of Object.entries(transfer.drift)) {
      Object.entries(layers).forEach(([layer, drift], index) => {
        for (const [key, stat] of [
          ['mean', 'moving mean'],
          ['variance', 'moving variance'],
        ] as const) {
          const value = drift[key].filter((v): v is number => v !== null && Number.isFinite(v)).at(-1);
          if (value !== undefined) points.push({ series: seriesName(r), scenario: r.scenario, backend: r.backend, variant, layer, index, stat, value });
        }
      });
    }
  }
  return points;
}

/**
 * Horizontal bars of every BN layer's final drift, one row per layer in model order, frozen and
 * control side by side: readable for a pre-trained base with dozens of BN layers, where the
 * per-step lines overlap. A row block per (scenario, backend), a column per statistic. Null without
 * drift evidence.
 */
export function layerDriftChartSpec(suite: SuiteResult): VegaLiteSpec | null {
  const points = layerDriftPoints(suite);
  if (points.length === 0) return null;
  const series = [...new Set(points.map((p) => p.series))].sort();
  const variants = [...new Set(points.map((p) => p.variant))].sort((a, b) => variantRank(a) - variantRank(b) || a.localeCompare(b));
  const colors = variants.map((v, i) => (v in VARIANT_COLORS ? VARIANT_COLORS[v as keyof typeof VARIANT_COLORS] : ['#6a3d9a', '#33a02c', '#ff7f00'][i % 3]));
  return {
    $schema: SCHEMA,
    title: {
      text: 'Drift of every BN layer after fine-tuning',
      subtitle: [
        'Max |moving statistic - its value before training| after the last step, one row per BN layer in model order; a frozen BN should be 0.',
        `Left: moving mean, right: moving variance (own x scales); colour: model variant (${variants.join(', ')}).`,
      ],
    },
    config: CONFIG,
    data: { values: points },
    // One block per (scenario, backend), concatenated rather than faceted: a faceted row would give
    // a 2-layer model the height of a 52-layer one.
    vconcat: series.map((name) => ({
      title: { text: name, fontSize: 12, fontWeight: 'bold', subtitle: '' },
      transform: [{ filter: { field: 'series', equal: name } }],
      facet: { column: { field: 'stat', type: 'nominal', sort: ['moving mean', 'moving variance'], title: null, header: { labelFontSize: 12 } } },
      spec: {
        width: 380,
        height: { step: 5 * variants.length },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'layer', type: 'nominal', title: 'BN layer', sort: { field: 'index', order: 'ascending' }, axis: { labelFontSize: 9, labelLimit: 220 } },
          yOffset: { field: 'variant', type: 'nominal', sort: variants },
          x: { field: 'value', type: 'quantitative', title: 'drift after the last step', scale: { zero: true }, axis: { format: '~g' } },
          color: { field: 'variant', type: 'nominal', title: 'variant', sort: variants, scale: { domain: variants, range: colors }, legend: { orient: 'top' } },
          tooltip: [
            { field: 'series', type: 'nominal' },
            { field: 'variant', type: 'nominal' },
            { field: 'layer', type: 'nominal' },
            { field: 'stat', type: 'nominal' },
            { field: 'value', type: 'quantitative' },
          ],
        },
      },
      resolve: { scale: { x: 'independent' } },
    })),
    resolve: { scale: { color: 'shared' } },
  };
}

/** One variant's accuracy curves as the charts read them: a missing value is NaN. */
export interface AccuracyCurves {
  trainingModeAccuracy: number[];
  inferenceModeAccuracy: number[];
  gapPoints: number[];
  /** The epochs (1-based) measured, one per entry; absent: every epoch. */
  epochs?: number[];
}

/** One (result, variant) of the MNIST accuracy evidence. */
export interface AccuracyRow {
  scenario: string;
  backend: string;
  variant: string;
  /** True when the result's verdict is about this variant (evidence.variant names it). */
  asserted: boolean;
  curves: AccuracyCurves;
  /** Values at the last epoch (NaN when missing). */
  final: { trainingModeAccuracy: number; inferenceModeAccuracy: number; gapPoints: number };
}

const VARIANT_ORDER = ['frozen', 'control'] as const;

function variantRank(variant: string): number {
  const i = (VARIANT_ORDER as readonly string[]).indexOf(variant);
  return i === -1 ? VARIANT_ORDER.length : i;
}

function last(values: number[]): number {
  return values.length === 0 ? Number.NaN : values[values.length - 1];
}

/** The accuracy evidence of every transfer result, frozen before control (null entries kept as NaN). */
export function accuracyRows(suite: SuiteResult): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  for (const r of suite.results) {
    const transfer = transferEvidenceOf(r);
    if (transfer === null) continue;
    for (const variant of VARIANT_ORDER) {
      const entry = transfer.variants[variant];
      const training = entry.trainingModeAccuracy.map(orNaN);
      const inference = entry.inferenceModeAccuracy.map(orNaN);
      const gap = entry.gapPoints.map(orNaN);
      rows.push({
        scenario: r.scenario,
        backend: r.backend,
        variant,
        asserted: transfer.variant === variant,
        curves: { trainingModeAccuracy: training, inferenceModeAccuracy: inference, gapPoints: gap, ...(entry.epochs === undefined ? {} : { epochs: entry.epochs }) },
        final: { trainingModeAccuracy: last(training), inferenceModeAccuracy: last(inference), gapPoints: last(gap) },
      });
    }
  }
  // Series in a stable reading order: by scenario, then backend (results come backend by backend).
  return rows.map((row, i) => ({ row, i })).sort((a, b) => a.row.scenario.localeCompare(b.row.scenario) || a.row.backend.localeCompare(b.row.backend) || a.i - b.i).map(({ row }) => row);
}

/** Whether accuracies are fractions (0..1) or percentages (0..100): decided once for a run. */
export function accuracyScale(rows: readonly AccuracyRow[]): 'fraction' | 'percent' {
  const values = rows.flatMap((r) => [...r.curves.trainingModeAccuracy, ...r.curves.inferenceModeAccuracy]).filter(Number.isFinite);
  return values.some((v) => v > 1) ? 'percent' : 'fraction';
}

/** One point of the accuracy chart. */
export interface AccuracyPoint {
  series: string;
  scenario: string;
  backend: string;
  variant: string;
  mode: keyof typeof MODE_COLORS;
  epoch: number;
  accuracy: number;
}

/** Points of the accuracy chart: per (result, variant, mode) one point per measured epoch (1-based). */
export function accuracyPoints(suite: SuiteResult): AccuracyPoint[] {
  const points: AccuracyPoint[] = [];
  for (const row of accuracyRows(suite)) {
    for (const [mode, values] of [
      ['training mode', row.curves.trainingModeAccuracy],
      ['inference mode', row.curves.inferenceModeAccuracy],
    ] as const) {
      values.forEach((accuracy, i) => {
        if (Number.isFinite(accuracy)) {
          points.push({ series: seriesName(row), scenario: row.scenario, backend: row.backend, variant: row.variant, mode, epoch: row.curves.epochs?.[i] ?? i + 1, accuracy });
        }
      });
    }
  }
  return points;
}

/**
 * Training-mode vs inference-mode accuracy per epoch: a row per (scenario, backend), a column per
 * variant (frozen, control), colour by mode. Null when no result has the accuracy evidence.
 */
export function accuracyChartSpec(suite: SuiteResult): VegaLiteSpec | null {
  const points = accuracyPoints(suite);
  if (points.length === 0) return null;
  const percent = accuracyScale(accuracyRows(suite)) === 'percent';
  // From a round tenth below the lowest accuracy to 100%: gaps of a few points stay visible.
  const full = percent ? 100 : 1;
  const lowest = Math.min(...points.map((p) => p.accuracy / full));
  const floor = (Math.max(0, Math.floor((lowest - 0.05) * 10)) * full) / 10;
  const series = [...new Set(points.map((p) => p.series))];
  const variants = [...new Set(points.map((p) => p.variant))].sort((a, b) => variantRank(a) - variantRank(b) || a.localeCompare(b));
  const modes = Object.keys(MODE_COLORS);
  return {
    $schema: SCHEMA,
    title: {
      text: 'Accuracy per epoch: BN in training mode vs inference mode',
      subtitle: [
        'Held-out data evaluated with the BN layers in training mode (batch statistics) and in inference mode (moving statistics);',
        'a gap means the deployed model is not the one that was trained. Columns: the model variants the scenario recorded (e.g. frozen vs control).',
      ],
    },
    config: CONFIG,
    data: { values: points },
    facet: {
      row: { field: 'series', type: 'nominal', sort: series, title: null, header: { labelOrient: 'top', labelAnchor: 'start', labelAngle: 0, labelFontWeight: 'bold', labelFontSize: 12, labelLimit: 600 } },
      column: { field: 'variant', type: 'nominal', sort: variants, title: 'variant', header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    },
    spec: {
      width: 460,
      height: 170,
      mark: { type: 'line', point: { size: 24 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: {
          field: 'accuracy',
          type: 'quantitative',
          title: percent ? 'accuracy (%)' : 'accuracy',
          scale: { domain: [floor, full] },
          axis: percent ? { format: 'd' } : { format: '.0%' },
        },
        color: { field: 'mode', type: 'nominal', title: 'BN mode', sort: modes, scale: { domain: modes, range: modes.map((m) => MODE_COLORS[m as keyof typeof MODE_COLORS]) }, legend: { orient: 'top' } },
        strokeDash: { field: 'mode', type: 'nominal', sort: modes, scale: { domain: modes, range: [[1, 0], [5, 3]] }, legend: null },
        tooltip: [
          { field: 'series', type: 'nominal' },
          { field: 'variant', type: 'nominal' },
          { field: 'mode', type: 'nominal' },
          { field: 'epoch', type: 'quantitative' },
          { field: 'accuracy', type: 'quantitative', format: percent ? '.1f' : '.1%' },
        ],
      },
    },
  };
}

/** The charts of a report, in page order; a null spec means that chart has no data in this run. */
export interface ReportCharts {
  parity: VegaLiteSpec;
  drift: VegaLiteSpec | null;
  layerDrift: VegaLiteSpec | null;
  accuracy: VegaLiteSpec | null;
}

/** Every chart of the report for a run. */
export function reportCharts(suite: SuiteResult): ReportCharts {
  return { parity: parityHeatmapSpec(suite), drift: driftChartSpec(suite), layerDrift: layerDriftChartSpec(suite), accuracy: accuracyChartSpec(suite) };
}
