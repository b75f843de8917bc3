/**
 * Builders of synthetic test data. Loading this file loads no tfjs (the engine binds it when a
 * host does; see suite-result.ts for the SuiteResult builder, which needs run-suite's summarize).
 */
import type { BnLayerSpec, ModelSpec } from '../../src/engine/models/spec';
import type { CaseSpec } from '../../src/engine/run/case-spec';
import type { ScenarioResult } from '../../src/engine/run/run-scenario';
import type { ResultVerdict } from '../../src/engine/run/result-evidence';
import type { TransferEvidence } from '../../src/engine/kinds/transfer/evidence';
import { resultRecordSchema, scenarioResultSchema, type ResultRecord } from '../../src/results/schema';

/** What a test may set on a result: any field, with status, invariant and evidence set independently (the builder checks they fit). */
export type ResultOverrides<R> = Partial<Omit<R, keyof ResultVerdict>> & { status?: ResultVerdict['status']; invariant?: ResultVerdict['invariant']; evidence?: unknown };

/** Evidence that fits a result of `status` for any invariant, for tests that do not look at it. */
function defaultEvidence(status: ResultVerdict['status'], summary: string, backend: string): unknown {
  if (status === 'error') return { message: summary || 'Error: thrown', errorName: 'Error', at: null };
  // A kernel the backend lacks (kernel null would be a check that cannot be observed).
  if (status === 'unsupported') return { kernel: 'MaxPoolGrad', backend, message: `Kernel 'MaxPoolGrad' not registered for backend '${backend}'` };
  // A failed expectation of a steps program fits the fail evidence of every invariant.
  if (status === 'fail') return { step: 1, kind: 'expectClose', comparison: summary || 'differs' };
  return {};
}

/**
 * A ScenarioResult: a passing result of `frozen-moving-stats/fit` @ cpu, seed 1. Validated against
 * the results schema, so a test cannot build a result bn-suite would refuse to read.
 */
export function scenarioResult(overrides: ResultOverrides<ScenarioResult> = {}): ScenarioResult {
  const status = overrides.status ?? 'pass';
  const backend = overrides.backend ?? 'cpu';
  const { evidence = defaultEvidence(status, overrides.summary ?? '', backend), ...rest } = overrides;
  return scenarioResultSchema.parse({
    scenario: 'frozen-moving-stats/fit',
    invariant: 'frozen-moving-stats',
    backend,
    status,
    summary: '',
    fingerprint: null,
    counterexample: null,
    casesRun: 3,
    unsupportedCases: 0,
    shrinks: 0,
    seed: 1,
    replay: 'bn-suite:frozen-moving-stats/fit@cpu?seed=1&tfjs=4.22.0',
    durationMs: 5,
    ...rest,
    evidence,
  });
}

/**
 * A ResultRecord: a passing, expected-nothing result of `scenario` @ cpu, seed 1, with a replay
 * token made of its (possibly overridden) scenario, backend and seed. Tests pass what they test;
 * the record is validated against the results schema.
 */
export function resultRecord(overrides: ResultOverrides<ResultRecord> = {}): ResultRecord {
  const { scenario = 'scenario', backend = 'cpu', seed = 1 } = overrides;
  const status = overrides.status ?? 'pass';
  const { evidence = defaultEvidence(status, overrides.summary ?? '', backend), ...rest } = overrides;
  return resultRecordSchema.parse({
    scenario,
    invariant: 'oracle-agreement',
    tags: [],
    backend,
    status,
    summary: '',
    fingerprint: null,
    counterexample: null,
    casesRun: 1,
    unsupportedCases: 0,
    shrinks: 0,
    seed,
    replay: `bn-suite:${scenario}@${backend}?seed=${seed}&tfjs=4.22.0`,
    durationMs: 1,
    expected: false,
    outcome: 'pass',
    issue: null,
    ...rest,
    evidence,
  });
}

/** What {@link caseSpec} lets a test change; everything else is fixed. */
export interface CaseSpecOverrides {
  architecture?: ModelSpec['architecture'];
  inputShape?: number[];
  /** Merged into the default BN options (axis -1, momentum 0.9, epsilon 1e-3, moving stats 0 / 1). */
  bn?: Partial<BnLayerSpec>;
  nested?: boolean;
  container?: ModelSpec['container'];
  baseContainer?: ModelSpec['baseContainer'];
  depth?: ModelSpec['depth'];
  shared?: boolean;
  freeze?: CaseSpec['freeze'];
  freezeTiming?: CaseSpec['freezeTiming'];
  entryPoint?: CaseSpec['entryPoint'];
  steps?: number;
}

/** A small dense case: input [3], 4 hidden units, 2 classes, batch 8, fit for 2 steps, nothing frozen. */
export function caseSpec(overrides: CaseSpecOverrides = {}): CaseSpec {
  return {
    model: {
      architecture: overrides.architecture ?? 'dense',
      inputShape: overrides.inputShape ?? [3],
      hiddenUnits: 4,
      bn: { axis: -1, momentum: 0.9, epsilon: 1e-3, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1, ...overrides.bn },
      classes: 2,
      nested: overrides.nested ?? false,
      // The layout fields stay absent unless a test sets them, as the generator leaves defaults.
      ...(overrides.container !== undefined ? { container: overrides.container } : {}),
      ...(overrides.baseContainer !== undefined ? { baseContainer: overrides.baseContainer } : {}),
      ...(overrides.depth !== undefined ? { depth: overrides.depth } : {}),
      ...(overrides.shared !== undefined ? { shared: overrides.shared } : {}),
      seed: 1,
    },
    data: { batch: 8, mean: 2, scale: 3, seed: 7 },
    freeze: overrides.freeze ?? 'none',
    ...(overrides.freezeTiming !== undefined ? { freezeTiming: overrides.freezeTiming } : {}),
    entryPoint: overrides.entryPoint ?? 'fit',
    steps: overrides.steps ?? 2,
    learningRate: 0.01,
  };
}

/** fast-check's shrunk counterexample of frozen-moving-stats/fit on webgl and webgpu (tfjs 4.22, seed 20261127): the repro tests' smallest failing case. */
export const FROZEN_FIT_COUNTEREXAMPLE: CaseSpec = {
  model: {
    architecture: 'bn-only',
    inputShape: [1],
    hiddenUnits: 1,
    bn: { axis: 1, momentum: 0, epsilon: 0.00001, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1 },
    classes: 2,
    nested: false,
    seed: 0,
  },
  data: { batch: 1, mean: 0, scale: 0, seed: 0 },
  freeze: 'bn',
  entryPoint: 'fit',
  steps: 1,
  learningRate: 0.001,
};

/** A frozen-BN case with dense features and several values per tensor, for the repro templates. */
export const DENSE_FROZEN_CASE: CaseSpec = {
  model: {
    architecture: 'dense',
    inputShape: [3],
    hiddenUnits: 2,
    bn: { axis: -1, momentum: 0.9, epsilon: 1e-3, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1 },
    classes: 2,
    nested: false,
    seed: 7,
  },
  data: { batch: 4, mean: 2, scale: 1.5, seed: 11 },
  freeze: 'bn',
  entryPoint: 'fit',
  steps: 1,
  learningRate: 0.01,
};

/**
 * The evidence of an MNIST transfer run (frozen variant asserted, one BN layer that does not
 * drift, two epochs), with the given fields replaced: what the report tests chart and tabulate.
 */
export function transferEvidence(overrides: Partial<TransferEvidence> = {}): TransferEvidence {
  const flat = { trainingModeAccuracy: [0.9, 0.9], inferenceModeAccuracy: [0.9, 0.9], gapPoints: [0, 0] };
  const still = { 'base/bn1': { mean: [0, 0], variance: [0, 0] } };
  return {
    dataset: 'mnist',
    architecture: 'mlp',
    variant: 'frozen',
    profile: 'quick',
    seed: 1,
    sizes: { pretrainTrain: 10, pretrainTest: 10, targetTrain: 10, targetTest: 10, pretrainDigits: [0, 1], targetDigits: [2, 3] },
    domainShift: null,
    cache: 'hit',
    pretrain: { trainingModeAccuracy: 0.99, inferenceModeAccuracy: 0.99, epochs: 1, steps: 10, calibration: {} },
    epochs: 2,
    stepsPerEpoch: 1,
    maxGapPoints: 5,
    variants: { frozen: flat, control: flat },
    drift: { frozen: still, control: still },
    timings: { dataMs: 1, baseMs: 1, frozenMs: 1, controlMs: 1, totalMs: 4 },
    ...overrides,
  };
}

/**
 * Steps using the second round of language extensions on a 3-channel bn-only model fed 4 samples
 * of uniform data: whole-model freezing, gradients for gamma and beta only with the forward output
 * kept, weights read from the model and its twin, and two expectThrows of which the last fails on
 * tfjs 4.22 (it accepts momentum -0.1). Shared by the engine's test and the repro script's.
 */
export const SECOND_ROUND_STEPS: unknown[] = [
  { freeze: 'model' },
  { expectWeightCount: { of: 'model', trainable: 0 } },
  { unfreeze: 'model' },
  { gradBn: { training: true, wrt: ['gamma', 'beta'], output: 'fwd', as: 'g' } },
  { expectShape: { output: 'fwd', shape: [4, 3] } },
  { expectOutput: { output: 'g_dbeta', fill: 4, atol: 1e-5 } },
  { readWeight: { weight: 'bn/moving_mean', as: 'mm' } },
  { readWeight: { weight: 'bn/moving_mean', as: 'twinMm', on: 'twin' } },
  // The training-mode call moved the model's moving mean, not the twin's.
  { expectDiffer: { a: 'mm', b: 'twinMm' } },
  { expectThrows: { step: { setWeight: { weight: 'bn/moving_mean', shape: [2, 2], values: [1, 2, 3, 4] } } } },
  { expectThrows: { step: { symbolicBn: { shape: [null, 3], options: { momentum: -0.1 } } } } },
];
