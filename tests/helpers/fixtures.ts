/**
 * Builders of synthetic test data. Only type imports from src/: loading this file loads no tfjs
 * (see suite-result.ts for the SuiteResult builder, which needs run-suite's summarize).
 */
import type { BnLayerSpec, ModelSpec } from '../../src/engine/models/spec';
import type { CaseSpec } from '../../src/engine/run/case-spec';
import type { ResultRecord } from '../../src/results/schema';

/**
 * A ResultRecord: a passing, expected-nothing result of `scenario` @ cpu, seed 1, with a replay
 * token made of its (possibly overridden) scenario, backend and seed. Tests pass what they test.
 */
export function resultRecord(overrides: Partial<ResultRecord> = {}): ResultRecord {
  const { scenario = 'scenario', backend = 'cpu', seed = 1 } = overrides;
  return {
    scenario,
    invariant: 'oracle-agreement',
    tags: [],
    backend,
    status: 'pass',
    summary: '',
    evidence: {},
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
    ...overrides,
  };
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
