import type { BackendName, BackendStatus } from '../../../src/engine/backends';
import type { Outcome } from '../../../src/engine/expectations/classify';
import {
  accuracyChartSpec,
  accuracyPoints,
  accuracyRows,
  accuracyScale,
  CATEGORY_COLORS,
  driftChartSpec,
  driftPoints,
  layerDriftChartSpec,
  layerDriftPoints,
  parityData,
  parityHeatmapSpec,
  reportCharts,
  VERDICT_CATEGORIES,
  verdictCategory,
  type VegaLiteSpec,
} from '../../../src/surfaces/report/charts';
import type { ResultRecord, SuiteResult } from '../../../src/results/schema';
import type { VerdictStatus } from '../../../src/engine/run/verdict';
import { resultRecord, transferEvidence } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

function record(scenario: string, backend: BackendName, status: VerdictStatus, outcome: Outcome, evidence?: unknown): ResultRecord {
  return resultRecord({ scenario, invariant: 'mode-switch', backend, status, summary: status === 'pass' ? '' : `${scenario} ${status}`, ...(evidence !== undefined ? { evidence } : {}), durationMs: 5, outcome });
}

const BACKENDS: BackendStatus[] = [
  { name: 'cpu', available: true, packageName: '@tensorflow/tfjs-backend-cpu', version: '4.22.0' },
  { name: 'wasm', available: true, packageName: '@tensorflow/tfjs-backend-wasm', version: '4.22.0' },
  { name: 'tensorflow', available: false, packageName: '@tensorflow/tfjs-node', version: undefined, kind: 'module-missing', reason: 'not installed' },
];

function suite(results: ResultRecord[]): SuiteResult {
  return suiteResult(results, { backends: BACKENDS });
}

/** The inline data of a spec (every chart carries its data as values). */
function values(spec: VegaLiteSpec | null): Array<Record<string, unknown>> {
  return ((spec as { data: { values: Array<Record<string, unknown>> } }).data.values);
}

const plain = suite([
  record('a', 'cpu', 'pass', 'pass'),
  record('b', 'cpu', 'fail', 'expected-fail'),
  record('c', 'cpu', 'unsupported', 'expected-fail'),
  record('d', 'cpu', 'error', 'unexpected-fail'),
  record('a', 'wasm', 'pass', 'unexpected-pass'),
  record('c', 'wasm', 'unsupported', 'unexpected-fail'),
]);

const DRIFT = {
  'base/bn1': { mean: [0, 0.1, 0.25, null], variance: [1, 0.9, 0.8, 0.75] },
  'base/bn2': { mean: [0, 0.01], variance: [1, 1] },
};

const VARIANTS = {
  control: { trainingModeAccuracy: [0.7, 0.9], inferenceModeAccuracy: [0.69, 0.9], gapPoints: [1, 0] },
  frozen: { trainingModeAccuracy: [0.6, 0.95], inferenceModeAccuracy: [0.3, 0.5], gapPoints: [30, 45] },
};

describe('verdict categories', () => {
  test('map outcomes and statuses to the five categories, unexpected first', () => {
    expect(plain.results.map(verdictCategory)).toEqual(['pass', 'expected failure', 'unsupported', 'unexpected failure', 'unexpected pass', 'unexpected failure']);
  });

  test('have one colour each: pass green, expected amber, unsupported grey, unexpected red', () => {
    expect(Object.keys(CATEGORY_COLORS).sort()).toEqual([...VERDICT_CATEGORIES].sort());
    expect(CATEGORY_COLORS.pass).toBe('#2e7d32');
    expect(CATEGORY_COLORS['expected failure']).toBe('#f0a30a');
    expect(CATEGORY_COLORS.unsupported).toBe('#9e9e9e');
    expect(CATEGORY_COLORS['unexpected failure']).toBe('#c62828');
  });
});

describe('parity heatmap', () => {
  test('has exactly one datum per result, with scenario rows, backend columns and the outcome', () => {
    const spec = parityHeatmapSpec(plain);
    const data = values(spec);
    expect(data).toHaveLength(plain.results.length);
    expect(data).toEqual(parityData(plain));
    expect(data[1]).toMatchObject({ scenario: 'b', backend: 'cpu', status: 'fail', outcome: 'expected-fail', category: 'expected failure', label: 'fail (known)' });
    expect(data[4]).toMatchObject({ label: 'pass (UNEXPECTED)', category: 'unexpected pass' });
    const encoding = spec.encoding as Record<string, { field: string; sort: string[] }>;
    expect(encoding.y.field).toBe('scenario');
    expect(encoding.y.sort).toEqual(['a', 'b', 'c', 'd']);
    expect(encoding.x.field).toBe('backend');
    expect(encoding.x.sort).toEqual(['cpu', 'wasm']);
  });

  test('colours by category with a fixed domain, so every report uses the same colours', () => {
    const layers = parityHeatmapSpec(plain).layer as Array<{ mark: { type: string }; encoding: Record<string, { field?: string; scale?: { domain: string[]; range: string[] } }> }>;
    const rect = layers.find((l) => l.mark.type === 'rect');
    expect(rect?.encoding.color.field).toBe('category');
    expect(rect?.encoding.color.scale?.domain).toEqual([...VERDICT_CATEGORIES]);
    expect(rect?.encoding.color.scale?.range).toEqual(VERDICT_CATEGORIES.map((c) => CATEGORY_COLORS[c]));
    const text = layers.find((l) => l.mark.type === 'text');
    expect(text?.encoding.text.field).toBe('label');
  });

  test('always exists, names unavailable backends, and is plain JSON', () => {
    const empty = parityHeatmapSpec(suite([]));
    expect(values(empty)).toEqual([]);
    const spec = parityHeatmapSpec(plain);
    expect(JSON.stringify((spec.title as { subtitle: string[] }).subtitle)).toContain('tensorflow unavailable (module-missing)');
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(spec.title).toBeDefined();
  });
});

describe('drift chart', () => {
  test('is absent when no result has drift evidence', () => {
    expect(driftChartSpec(plain)).toBeNull();
    expect(reportCharts(plain).drift).toBeNull();
  });

  test('a result whose drift evidence has another shape cannot be built (the results schema refuses it)', () => {
    for (const drift of [42, 'x', [1, 2], { frozen: { bn: 3 }, control: {} }, { frozen: { bn: { mean: 'no', variance: ['a'] } }, control: {} }, { frozen: { bn: {} }, control: {} }]) {
      expect(() => record('m', 'cpu', 'fail', 'expected-fail', transferEvidence({ drift } as never))).toThrow(/drift/);
    }
  });

  test('plots mean and variance per BN layer over steps, skipping non-finite values', () => {
    const evidence = transferEvidence({ drift: { frozen: DRIFT, control: {} } });
    const s = suite([record('mnist/t', 'cpu', 'fail', 'expected-fail', evidence), record('mnist/t', 'wasm', 'fail', 'expected-fail', evidence), record('other', 'cpu', 'pass', 'pass')]);
    const points = driftPoints(s);
    // bn1: 3 finite means + 4 variances; bn2: 2 + 2; on two backends.
    expect(points).toHaveLength(2 * (3 + 4 + 2 + 2));
    expect(points[0]).toEqual({ series: 'mnist/t @ cpu', scenario: 'mnist/t', backend: 'cpu', variant: 'frozen', layer: 'base/bn1', stat: 'moving mean', step: 1, value: 0 });
    const spec = driftChartSpec(s);
    expect(spec).not.toBeNull();
    expect(values(spec)).toEqual(points);
    const facet = spec?.facet as Record<string, { field: string }>;
    expect(facet.row.field).toBe('series');
    expect(facet.column.field).toBe('stat');
    const encoding = (spec?.spec as { encoding: Record<string, { field: string; title: string; sort?: string[] }> }).encoding;
    expect(encoding.color.field).toBe('layer');
    expect(encoding.x).toMatchObject({ field: 'step', title: 'training step' });
    expect(encoding.strokeDash).toMatchObject({ field: 'variant', sort: ['frozen'] });
  });

  test('reads drift recorded per model variant, { [variant]: { [bnLayer]: {...} } }, and dashes lines by variant', () => {
    const evidence = transferEvidence({ drift: { frozen: DRIFT, control: { 'base/bn1': { mean: [0, 0], variance: [0, 0] } } } });
    const s = suite([record('mnist/t', 'cpu', 'fail', 'expected-fail', evidence)]);
    const points = driftPoints(s);
    expect(points).toHaveLength(3 + 4 + 2 + 2 + 2 + 2);
    expect(new Set(points.map((p) => `${p.variant}/${p.layer}`))).toEqual(new Set(['frozen/base/bn1', 'frozen/base/bn2', 'control/base/bn1']));
    const spec = driftChartSpec(s);
    const encoding = (spec?.spec as { encoding: Record<string, { field: string; sort?: string[] }> }).encoding;
    expect(encoding.strokeDash).toMatchObject({ field: 'variant', sort: ['frozen', 'control'] });
  });
});

describe('per-layer drift chart', () => {
  test('is absent when no result has drift evidence', () => {
    expect(layerDriftChartSpec(plain)).toBeNull();
    expect(reportCharts(plain).layerDrift).toBeNull();
  });

  test('has a bar per (variant, layer, statistic): the last finite drift, layers in model order', () => {
    const evidence = transferEvidence({ drift: { frozen: DRIFT, control: { 'base/bn1': { mean: [0, 0], variance: [0, null] } } } });
    const s = suite([record('mnist/t', 'cpu', 'fail', 'expected-fail', evidence)]);
    const points = layerDriftPoints(s);
    expect(points.map((p) => [p.variant, p.layer, p.index, p.stat, p.value])).toEqual([
      // bn1's last mean is null: the last finite one (0.25) is its final drift.
      ['frozen', 'base/bn1', 0, 'moving mean', 0.25],
      ['frozen', 'base/bn1', 0, 'moving variance', 0.75],
      ['frozen', 'base/bn2', 1, 'moving mean', 0.01],
      ['frozen', 'base/bn2', 1, 'moving variance', 1],
      ['control', 'base/bn1', 0, 'moving mean', 0],
      ['control', 'base/bn1', 0, 'moving variance', 0],
    ]);
    const spec = layerDriftChartSpec(s);
    expect(values(spec)).toEqual(points);
    const blocks = spec?.vconcat as Array<{ transform: unknown; facet: { column: { field: string } }; spec: { encoding: Record<string, { field: string; sort?: unknown; scale?: { domain: string[]; range: string[] } }> } }>;
    expect(blocks).toHaveLength(1);
    expect(blocks[0].transform).toEqual([{ filter: { field: 'series', equal: 'mnist/t @ cpu' } }]);
    expect(blocks[0].facet.column.field).toBe('stat');
    const encoding = blocks[0].spec.encoding;
    expect(encoding.y).toMatchObject({ field: 'layer', sort: { field: 'index', order: 'ascending' } });
    expect(encoding.x.field).toBe('value');
    expect(encoding.color.scale).toEqual({ domain: ['frozen', 'control'], range: ['#c62828', '#1f77b4'] });
  });

  test('a block per (scenario, backend), each as tall as its own layers', () => {
    const evidence = transferEvidence({ drift: { frozen: DRIFT, control: {} } });
    const s = suite([record('mnist/t', 'wasm', 'fail', 'expected-fail', evidence), record('mnist/t', 'cpu', 'fail', 'expected-fail', evidence)]);
    const blocks = layerDriftChartSpec(s)?.vconcat as Array<{ title: { text: string }; spec: { height: unknown } }>;
    expect(blocks.map((b) => b.title.text)).toEqual(['mnist/t @ cpu', 'mnist/t @ wasm']);
    // A step height: each block grows with its own number of layers, not the largest one.
    expect(blocks[0].spec.height).toEqual({ step: 5 });
  });
});

describe('accuracy chart', () => {
  test('is absent when no result has variants evidence', () => {
    expect(accuracyChartSpec(plain)).toBeNull();
    expect(accuracyRows(plain)).toEqual([]);
  });

  test('a result whose variants lack the accuracy arrays cannot be built (the results schema refuses it)', () => {
    for (const variants of [null, 'x', { frozen: 1 }, { frozen: { trainingModeAccuracy: [0.5] } }, { control: { trainingModeAccuracy: 'a', inferenceModeAccuracy: [1] } }]) {
      expect(() => record('m', 'cpu', 'fail', 'expected-fail', transferEvidence({ variants } as never))).toThrow(/variants/);
    }
  });

  test('has a point per (variant, mode, epoch), frozen before control, colour by mode and a column per variant', () => {
    const evidence = transferEvidence({ variant: 'control', variants: VARIANTS });
    const s = suite([record('mnist/t', 'wasm', 'fail', 'expected-fail', evidence), record('mnist/t', 'cpu', 'fail', 'expected-fail', evidence)]);
    const rows = accuracyRows(s);
    expect(rows.map((r) => `${r.backend}/${r.variant}`)).toEqual(['cpu/frozen', 'cpu/control', 'wasm/frozen', 'wasm/control']);
    expect(rows[0].final).toEqual({ trainingModeAccuracy: 0.95, inferenceModeAccuracy: 0.5, gapPoints: 45 });
    expect(rows.map((r) => r.asserted)).toEqual([false, true, false, true]);
    const points = accuracyPoints(s);
    expect(points).toHaveLength(2 * 2 * 2 * 2);
    expect(points[0]).toEqual({ series: 'mnist/t @ cpu', scenario: 'mnist/t', backend: 'cpu', variant: 'frozen', mode: 'training mode', epoch: 1, accuracy: 0.6 });
    const spec = accuracyChartSpec(s);
    expect(values(spec)).toEqual(points);
    expect((spec?.facet as Record<string, { field: string }>).column.field).toBe('variant');
    const encoding = (spec?.spec as { encoding: Record<string, { field: string; scale?: { domain: unknown } }> }).encoding;
    expect(encoding.color.field).toBe('mode');
    // From a round tenth below the lowest accuracy (0.3) to 100%.
    expect(encoding.y.scale?.domain).toEqual([0.2, 1]);
  });

  test('a non-finite accuracy (null in JSON) is charted as NaN, not dropped', () => {
    const gappy = { trainingModeAccuracy: [0.6, null], inferenceModeAccuracy: [0.3, 0.5], gapPoints: [30, null] };
    const s = suite([record('mnist/t', 'cpu', 'fail', 'expected-fail', transferEvidence({ variants: { frozen: gappy, control: VARIANTS.control } }))]);
    expect(accuracyRows(s)[0].final).toEqual({ trainingModeAccuracy: Number.NaN, inferenceModeAccuracy: 0.5, gapPoints: Number.NaN });
  });

  test('accuracies measured after some epochs only are charted at those epochs', () => {
    const lastOnly = { trainingModeAccuracy: [0.87], inferenceModeAccuracy: [0.95], gapPoints: [8.6], epochs: [2] };
    const s = suite([record('mnist/m', 'wasm', 'fail', 'expected-fail', transferEvidence({ variants: { frozen: lastOnly, control: VARIANTS.control } }))]);
    const frozenPoints = accuracyPoints(s).filter((p) => p.variant === 'frozen');
    expect(frozenPoints.map((p) => [p.mode, p.epoch, p.accuracy])).toEqual([
      ['training mode', 2, 0.87],
      ['inference mode', 2, 0.95],
    ]);
    expect(accuracyRows(s)[0].final).toEqual({ trainingModeAccuracy: 0.87, inferenceModeAccuracy: 0.95, gapPoints: 8.6 });
    expect(accuracyPoints(s).filter((p) => p.variant === 'control').map((p) => p.epoch)).toEqual([1, 2, 1, 2]);
  });

  test('accuracies above 1 are read as percentages', () => {
    const percent = { trainingModeAccuracy: [60, 95], inferenceModeAccuracy: [30, 50], gapPoints: [30, 45] };
    const s = suite([record('mnist/t', 'cpu', 'fail', 'expected-fail', transferEvidence({ variants: { frozen: percent, control: percent } }))]);
    expect(accuracyScale(accuracyRows(s))).toBe('percent');
    const encoding = (accuracyChartSpec(s)?.spec as { encoding: Record<string, { scale?: { domain: unknown }; title?: string }> }).encoding;
    expect(encoding.y).toMatchObject({ scale: { domain: [20, 100] }, title: 'accuracy (%)' });
  });
});
