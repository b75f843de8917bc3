import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import seedrandom from 'seedrandom';
import { captureTransfer, type TransferCapture } from '../../../src/engine/kinds/transfer/capture-transfer';
import type { TransferEvidence } from '../../../src/engine/kinds/transfer/evidence';
import { classSubset } from '../../../src/engine/kinds/transfer/mnist-data';
import { judgeTransfer } from '../../../src/engine/kinds/transfer/run-transfer';
import type { TransferScenario } from '../../../src/engine/scenarios/types';
import { bundlesFor } from '../../../src/hosts/browser/tfjs-bundles';
import { nodeHostServices } from '../../../src/hosts/node/services';
import { resolveTfjsFile, tfjsVersions } from '../../../src/hosts/node/tfjs';
import { transferEvidenceOf } from '../../../src/results/evidence';
import type { SuiteResult } from '../../../src/results/schema';
import { loadScenarios } from '../../../src/surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../../src/surfaces/paths';
import { renderTransferPage } from '../../../src/surfaces/repro/transfer-page';
import { ALEA_LINES, encodeDigits, pixelFromByte, renderTransferScript, transferPackageJson } from '../../../src/surfaces/repro/transfer-script';
import { verifyRepro, verifyReproFiles, type Verification } from '../../../src/surfaces/repro/verify';
import { verifyPageRepro } from '../../../src/surfaces/repro/verify-page';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { pageSkipReason } from './page-skip';

const root = path.resolve(__dirname, '../../..');
const work = useCpuAndTempDir('bn-suite-transfer-repro-');

const scenarios = loadScenarios(SHIPPED_SCENARIOS).map((l) => l.scenario);
const transferScenario = (id: string): TransferScenario => {
  const found = scenarios.find((s) => s.id === id);
  if (found?.kind !== 'transfer') throw new Error(`${id} is not a shipped transfer scenario`);
  return found;
};

/** One variant's figures as the script prints them. */
interface PrintedVariant {
  training: number;
  inference: number;
  total: number;
  gap: number;
  drift: Record<string, { mean: number; variance: number }>;
}

/** The variants' lines of a transfer script's output, with the drift lines under each. */
function printedVariants(stdout: string): Partial<Record<'frozen' | 'control', PrintedVariant>> {
  const variants: Partial<Record<'frozen' | 'control', PrintedVariant>> = {};
  let current: PrintedVariant | null = null;
  for (const line of stdout.split('\n')) {
    const head = /^(frozen|control) .*: training-mode accuracy [\d.]+% \((\d+)\/(\d+)\), inference-mode accuracy [\d.]+% \((\d+)\/\d+\), gap ([\d.]+) points$/.exec(line);
    if (head !== null) {
      current = { training: Number(head[2]), total: Number(head[3]), inference: Number(head[4]), gap: Number(head[5]), drift: {} };
      variants[head[1] as 'frozen' | 'control'] = current;
      continue;
    }
    const drift = /^ {4}(\S+): moving_mean ([\d.e-]+), moving_variance ([\d.e-]+)$/.exec(line);
    if (drift !== null && current !== null) current.drift[drift[1]] = { mean: Number(drift[2]), variance: Number(drift[3]) };
  }
  return variants;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** bn-suite's figures of a variant in the script's terms: final-epoch accuracies and gap, per-layer largest drift (drifted layers only). */
function bnSuiteFigures(evidence: TransferEvidence, variant: 'frozen' | 'control') {
  const a = evidence.variants[variant];
  const drift = Object.fromEntries(
    Object.entries(evidence.drift[variant])
      .map(([layer, d]) => [layer, { mean: Math.max(...(d.mean as number[])), variance: Math.max(...(d.variance as number[])) }] as const)
      .filter(([, d]) => d.mean > 0 || d.variance > 0),
  );
  return { training: a.trainingModeAccuracy.at(-1), inference: a.inferenceModeAccuracy.at(-1), gap: a.gapPoints.at(-1), drift };
}

function scriptFigures(printed: PrintedVariant | undefined) {
  if (printed === undefined) return undefined;
  return { training: round4(printed.training / printed.total), inference: round4(printed.inference / printed.total), gap: printed.gap, drift: printed.drift };
}

describe('transfer repro script: pieces', () => {
  test("the inlined alea is seedrandom's: the same draws as bn-suite's withSeed generator", () => {
    const alea = new Function(`${ALEA_LINES.join('\n')}\nreturn alea;`)() as (seed: string) => () => number;
    for (const seed of ['464691620', '1', '4294967295']) {
      const ours = alea(seed);
      const theirs = seedrandom.alea(seed);
      const draws = Array.from({ length: 1000 }, () => [ours(), theirs()]);
      expect(draws.filter(([a, b]) => a !== b)).toEqual([]);
    }
  });

  test('the digits survive the byte encoding exactly, and a pixel the mnist package does not store is refused', () => {
    const set = classSubset([5, 6], 0, 3);
    const bytes = gunzipSync(Buffer.from(encodeDigits([set]), 'base64'));
    expect(bytes.length).toBe(set.x.length);
    expect(Array.from(bytes, (b) => Math.fround(pixelFromByte(b)))).toEqual(Array.from(set.x));
    // Some pixel is neither 0 nor 1, or the check above proves little.
    expect(Array.from(set.x).some((v) => v > 0 && v < 1)).toBe(true);
    const odd = { ...set, x: Float32Array.from(set.x, (v, i) => (i === 7 ? 0.5 : v)) };
    expect(() => encodeDigits([odd])).toThrow(/pixel 7 is 0\.5, which no byte reads back to/);
    const shuffledLabels = { ...set, labels: Int32Array.from(set.labels).reverse() };
    expect(() => encodeDigits([shuffledLabels])).toThrow(/the script assumes label = row % 2/);
  });

  test('package.json pins nsfwjs only for MobileNetV2', () => {
    const versions = tfjsVersions();
    expect(Object.keys(JSON.parse(transferPackageJson('cpu', versions, 'mlp')).dependencies)).toEqual(['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu']);
    expect(JSON.parse(transferPackageJson('wasm', versions, 'mobilenet_v2')).dependencies).toMatchObject({ '@tensorflow/tfjs-backend-wasm': versions['@tensorflow/tfjs-backend-wasm'], nsfwjs: '4.4.0' });
  });
});

/**
 * bn-suite's own run of the MLP scenarios on cpu, through the compiled CLI in a child process with
 * `--repro` (tfjs's cpu kernels are several times slower inside jest's sandbox), in a fresh working
 * directory: its pre-trained-base cache starts empty there, and the captures below read it.
 */
describe('transfer repro scripts agree with bn-suite (MLP scenarios, cpu)', () => {
  const ids = ['mnist/mlp-frozen-base-shifted', 'mnist/mlp-control', 'mnist/mlp-frozen-base'];
  let suite: SuiteResult;
  let runStderr: string;
  const captures = new Map<string, TransferCapture>();
  const evidenceOf = (id: string): TransferEvidence => transferEvidenceOf(suite.results.find((r) => r.scenario === id)!)!;
  const capture = async (id: string): Promise<TransferCapture> => {
    if (!captures.has(id)) captures.set(id, await captureTransfer(transferScenario(id), nodeHostServices({ cacheDir: path.join(work(), '.bn-suite-cache') })));
    return captures.get(id)!;
  };
  const runScript = (id: string, c: TransferCapture): Promise<Verification> =>
    verifyReproFiles(renderTransferScript({ scenario: transferScenario(id), backend: 'cpu', capture: c, bnSuiteVersion: 'test' }), transferPackageJson('cpu', tfjsVersions(), c.architecture));

  beforeAll(async () => {
    const out = path.join(work(), 'out');
    const run = await promisify(execFile)(process.execPath, [path.join(root, 'dist/cli.js'), 'run', '--scenario', ids.join(','), '--backend', 'cpu', '--repro', '--out', out], { cwd: work(), maxBuffer: 16 * 1024 * 1024 });
    runStderr = run.stderr;
    suite = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult;
  }, 300_000);

  test("bn-suite's verdicts: the shifted scenario fails, the other two pass", () => {
    expect(Object.fromEntries(suite.results.map((r) => [r.scenario, r.status]))).toEqual({ 'mnist/mlp-frozen-base-shifted': 'fail', 'mnist/mlp-control': 'pass', 'mnist/mlp-frozen-base': 'pass' });
  });

  test('run --repro wrote a verified repro for the failing transfer result, and only for it', () => {
    const repros = path.join(work(), 'out', 'repros');
    expect(fs.readdirSync(repros)).toEqual(['mnist-mlp-frozen-base-shifted-cpu']);
    expect(fs.readdirSync(path.join(repros, 'mnist-mlp-frozen-base-shifted-cpu')).sort()).toEqual(['ISSUE.md', 'package.json', 'repro.mjs']);
    expect(runStderr).toMatch(/^repro mnist\/mlp-frozen-base-shifted \(mode-switch\) @ cpu: .*mnist-mlp-frozen-base-shifted-cpu \(reproduces: exit 1\)$/m);
    const issue = fs.readFileSync(path.join(repros, 'mnist-mlp-frozen-base-shifted-cpu', 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^# Fine-tuning on a frozen base: BatchNormalization with trainable = false .* \(cpu backend, tfjs 4\.22\.0\)$/m);
    expect(issue).toContain('**What it printed** (reproduces: exit 1):');
    // The listing leaves the data out; what is left fits a GitHub issue.
    expect(issue).toMatch(/const DIGITS = '' \/\* \d+ characters of base64 left out of this listing: see repro\.mjs \*\//);
    expect(issue.length).toBeLessThan(65_536);
  });

  test('mnist/mlp-frozen-base-shifted: the script run --repro wrote exits 1 with bn-suite\'s accuracies and drift, both variants', async () => {
    const v = await verifyRepro(path.join(work(), 'out', 'repros', 'mnist-mlp-frozen-base-shifted-cpu'));
    expect([v.exitCode, v.reproduces]).toEqual([1, true]);
    const printed = printedVariants(v.stdout);
    const evidence = evidenceOf('mnist/mlp-frozen-base-shifted');
    expect(scriptFigures(printed.frozen)).toEqual(bnSuiteFigures(evidence, 'frozen'));
    expect(scriptFigures(printed.control)).toEqual(bnSuiteFigures(evidence, 'control'));
    // Not a comparison of two empty things: the frozen base's two BN layers drifted.
    expect(Object.keys(printed.frozen!.drift)).toEqual(['base_bn1', 'base_bn2']);
    expect(v.stdout).toMatch(/^actual: {3}the frozen base's gap is [\d.]+ points \(> 5\); 2 of 2 BN layers drifted$/m);
  }, 60_000);

  test.each(['mnist/mlp-control', 'mnist/mlp-frozen-base'])('%s: the script exits 0, as bn-suite passes, with the same numbers', async (id) => {
    const v = await runScript(id, await capture(id));
    expect([v.exitCode, v.stdout.trim().split('\n').at(-1)]).toEqual([0, 'RESULT: not reproduced']);
    const printed = printedVariants(v.stdout);
    const evidence = evidenceOf(id);
    expect(scriptFigures(printed.frozen)).toEqual(bnSuiteFigures(evidence, 'frozen'));
    expect(scriptFigures(printed.control)).toEqual(bnSuiteFigures(evidence, 'control'));
  }, 60_000);

  // The verdict is judgeTransfer's: gap > threshold, strictly. At the measured gap both pass; a
  // hair below it both fail (bn-suite's own judge, on its own evidence).
  test('the threshold decides as judgeTransfer does, on either side of the measured gap', async () => {
    const id = 'mnist/mlp-frozen-base';
    const evidence = evidenceOf(id);
    const gap = evidence.variants.frozen.gapPoints.at(-1) as number;
    expect(gap).toBeGreaterThan(0);
    const runs = { frozen: { accuracy: evidence.variants.frozen, drift: evidence.drift.frozen, ms: 0 }, control: { accuracy: evidence.variants.control, drift: evidence.drift.control, ms: 0 } };
    // Evidence numbers are nullable (a non-finite measurement); these are the run's own fields.
    const fields = { sizes: evidence.sizes, domainShift: evidence.domainShift, cache: evidence.cache, pretrain: evidence.pretrain, stepsPerEpoch: evidence.stepsPerEpoch, timings: evidence.timings } as unknown as Parameters<typeof judgeTransfer>[3];
    const c = await capture(id);
    for (const [threshold, status, exit] of [[gap, 'pass', 0], [gap - 1e-4, 'fail', 1]] as const) {
      const judged = judgeTransfer({ ...transferScenario(id), maxGapPoints: threshold }, runs as unknown as Parameters<typeof judgeTransfer>[1], 'frozen base', fields);
      const v = await runScript(id, { ...c, maxGapPoints: threshold });
      expect({ threshold, bnSuite: judged.status, script: v.exitCode }).toEqual({ threshold, bnSuite: status, script: exit });
    }
  }, 60_000);

  const reason = pageSkipReason('webgl');
  (reason === null ? test : test.skip)(`the page repro reproduces on webgl in headless Chromium${reason === null ? '' : ` (skipped: ${reason})`}`, async () => {
    const set = bundlesFor('webgl', resolveTfjsFile);
    if (!set.ok) throw new Error(set.reason);
    const id = 'mnist/mlp-frozen-base-shifted';
    const html = renderTransferPage({ scenario: transferScenario(id), backend: 'webgl', capture: await capture(id), bnSuiteVersion: 'test', bundles: set.bundles });
    const v = await verifyPageRepro(html, 'webgl', { timeoutMs: 300_000 });
    expect({ exitCode: v.exitCode, reproduces: v.reproduces, setupError: v.setupError }).toEqual({ exitCode: 1, reproduces: true, setupError: undefined });
    const printed = printedVariants(v.stdout);
    expect(printed.frozen!.gap).toBeGreaterThan(5);
    expect(printed.control!.gap).toBe(0);
    expect(v.stdout).toMatch(/backend webgl, WebGL 2 renderer/);
  }, 300_000);
});
