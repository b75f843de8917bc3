import { transferEvidenceOf } from '../../src/results/evidence';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { SuiteResult } from '../../src/results/schema';
import { reportFigures, resultTableScenarios, svgTexts } from '../helpers/report-html';

const root = path.resolve(__dirname, '../..');

/**
 * The MNIST transfer scenarios run through the compiled CLI (the same runner as everywhere else) in
 * a child process: tfjs's cpu kernels run several times slower inside jest's module sandbox, and
 * these scenarios train real models. The child runs in a fresh temporary folder, so its
 * pre-trained-base cache (`.bn-suite-cache`, relative to the working directory) starts empty: the
 * run pre-trains every base itself and neither reads nor writes the repository's cache.
 */
describe('shipped scenarios: MNIST transfer learning (through bn-suite run)', () => {
  let suite: SuiteResult;
  let exitCode: number;
  let stdout: string;
  let work: string;
  let cacheEntries: string[];
  let html: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-mnist-'));
    const out = path.join(work, 'out');
    try {
      // The CLI has no --cache flag: the working directory decides where the cache lives.
      const run = await promisify(execFile)(process.execPath, [path.join(root, 'dist/cli.js'), 'run', '--scenario', 'mnist/**', '--out', out], {
        cwd: work,
        maxBuffer: 16 * 1024 * 1024,
      });
      exitCode = 0;
      stdout = run.stdout;
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      exitCode = failed.code ?? -1;
      stdout = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`;
    }
    suite = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult;
    html = fs.existsSync(path.join(out, 'index.html')) ? fs.readFileSync(path.join(out, 'index.html'), 'utf8') : '';
    const cacheDir = path.join(work, '.bn-suite-cache');
    cacheEntries = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : [];
  }, 600_000);

  afterAll(() => {
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  test('every pre-trained base actually learns its own task: >= 95% on held-out digits 0-4 in both modes (quick profile)', () => {
    // The MobileNetV2 base comes pre-trained (nothing is pre-trained here): it has no pre-training accuracy.
    const ran = suite.results.filter((r) => (r.status === 'pass' || r.status === 'fail') && transferEvidenceOf(r)!.architecture !== 'mobilenet_v2');
    expect(ran.length).toBeGreaterThan(0);
    for (const r of ran) {
      const pretrain = transferEvidenceOf(r)!.pretrain;
      expect({ scenario: r.scenario, backend: r.backend, accuracy: pretrain.inferenceModeAccuracy! >= 0.95 && pretrain.trainingModeAccuracy! >= 0.95 }).toEqual({ scenario: r.scenario, backend: r.backend, accuracy: true });
    }
  });

  test('nsfwjs\'s MobileNetV2 frozen the tfjs way: 52 BN layers drift in the frozen variant, none in the control, on wasm', () => {
    const result = suite.results.find((r) => r.scenario === 'mnist/mobilenet-v2-frozen-base' && r.backend === 'wasm')!;
    const evidence = transferEvidenceOf(result)!;
    expect(evidence.pretrained).toEqual({ model: 'nsfwjs/mobilenet_v2', cutAt: 'out_relu', inputSize: 96 });
    expect(evidence.sizes).toMatchObject({ targetTrain: 128, targetTest: 128, targetDigits: [0, 1] });
    const drifted = (drift: Record<string, { mean: (number | null)[]; variance: (number | null)[] }>) => Object.values(drift).filter((d) => [...d.mean, ...d.variance].some((v) => v !== 0)).length;
    expect(Object.keys(evidence.drift.frozen)).toHaveLength(52);
    expect(drifted(evidence.drift.frozen)).toBe(52);
    expect(drifted(evidence.drift.control)).toBe(0);
    expect(evidence.variants.control.gapPoints.at(-1)).toBe(0);
    // The quick profile measures after the last epoch only (speed; the final figures are the same).
    expect([evidence.variants.frozen.epochs, evidence.variants.control.epochs]).toEqual([[evidence.epochs], [evidence.epochs]]);
  });

  test('the run pre-trained its bases into the fresh cache in its working directory', () => {
    const transfer = suite.results.filter((r) => r.status !== 'unsupported' && r.status !== 'error');
    const cacheStatuses = new Set(transfer.map((r) => (r.evidence as { cache?: string }).cache));
    // A base cached by an earlier run would make every result a hit.
    expect(cacheStatuses).toContain('miss');
    expect(cacheEntries.length).toBeGreaterThan(0);
  });

  test('the run is as expected (exit 0): the collapse is a known issue, the control passes', () => {
    if (exitCode !== 0) throw new Error(`bn-suite run exited ${exitCode}:\n${stdout}`);
    expect(suite.summary.asExpected).toBe(true);
  });

  test('every MNIST scenario ran on every available backend it names', () => {
    const backends = suite.backends.filter((b) => b.available).map((b) => b.name);
    const scenarios = new Set(suite.results.map((r) => r.scenario));
    expect(scenarios.size).toBeGreaterThanOrEqual(5);
    // The MobileNetV2 scenario names wasm only (a 2.6 M-parameter CNN; cpu would take minutes).
    expect(suite.results.filter((r) => r.scenario === 'mnist/mobilenet-v2-frozen-base').map((r) => r.backend)).toEqual(backends.filter((b) => b === 'wasm'));
    expect(suite.results).toHaveLength((scenarios.size - 1) * backends.length + (backends.includes('wasm') ? 1 : 0));
  });

  test('index.html charts this run: the parity heatmap, the drift and the accuracy charts are SVGs naming its scenarios', () => {
    expect(html).not.toContain('Chart not rendered');
    const figures = reportFigures(html);
    expect(figures.map((f) => [f.id, f.svg !== null])).toEqual([
      ['chart-parity', true],
      ['chart-drift', true],
      ['chart-layer-drift', true],
      ['chart-accuracy', true],
    ]);
    const [parity, drift, layerDrift, accuracy] = figures.map((f) => svgTexts(f.svg ?? ''));
    const scenarios = [...new Set(suite.results.map((r) => r.scenario))].sort();
    expect(parity).toEqual(expect.arrayContaining(['Backend parity: verdict per scenario and backend', ...scenarios]));
    // The line charts have a row per (scenario, backend) with the evidence they plot.
    for (const [texts, title, field] of [
      [drift, 'Moving-statistic drift of each BN layer over training steps', 'drift'],
      [layerDrift, 'Drift of every BN layer after fine-tuning', 'drift'],
      [accuracy, 'Accuracy per epoch: BN in training mode vs inference mode', 'variants'],
    ] as const) {
      expect(texts).toContain(title);
      const plotted = suite.results.filter((r) => transferEvidenceOf(r)?.[field] !== undefined);
      expect(plotted.length).toBeGreaterThan(0);
      for (const r of plotted) expect([r.scenario, r.backend, texts.some((t) => t.includes(r.scenario) && t.includes(r.backend))]).toEqual([r.scenario, r.backend, true]);
    }
    expect([...new Set(resultTableScenarios(html))].sort()).toEqual(scenarios);
    // The per-layer chart names every BN layer of the MobileNetV2 base, in model order.
    expect(layerDrift).toEqual(expect.arrayContaining(['bn_Conv1', 'expanded_conv_depthwise_BN', 'block_16_project_BN', 'Conv_1_bn']));
  });

  test('the control (base in inference mode) has no mode gap; the shifted frozen base does', () => {
    for (const r of suite.results.filter((x) => x.scenario === 'mnist/mlp-control')) expect(r.status).toBe('pass');
    const shifted = suite.results.filter((x) => x.scenario === 'mnist/mlp-frozen-base-shifted');
    expect(shifted.length).toBeGreaterThan(0);
    for (const r of shifted) {
      expect(r.status).toBe('fail');
      const gaps = (r.evidence as { variants: { frozen: { gapPoints: number[] } } }).variants.frozen.gapPoints;
      expect(gaps[gaps.length - 1]).toBeGreaterThan(5);
    }
  });
});
