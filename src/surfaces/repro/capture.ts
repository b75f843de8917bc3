/**
 * What a repro script is made from: a case's initial weights and data, the inputs its template needs
 * besides them (a seeded upstream gradient, training targets, ...), and what bn-suite observed on
 * the case with its own checks: the numbers and allowances the script prints and judges with, or
 * what tfjs threw.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { z } from 'zod';
import type { BackendName } from '../../engine/backends';
import { withSeed } from '../../engine/determinism/with-seed';
import { UsageError } from '../../engine/errors';
import { INVARIANTS } from '../../engine/invariants';
import { inferenceAmplification, parityTolerance, predictionsTolerance, runBackendCase } from '../../engine/invariants/backend-parity';
import { determinismInterloper } from '../../engine/invariants/determinism';
import { judgedGammaBeta } from '../../engine/invariants/frozen-gamma-beta';
import { upstreamGradient } from '../../engine/invariants/gradient-agreement';
import { checkBnAgainstOracle } from '../../engine/invariants/oracle-agreement';
import { compareReloaded, reloadInMemory } from '../../engine/invariants/round-trip';
import { listingsProblems } from '../../engine/invariants/trainable-bookkeeping';
import { trainingTargets } from '../../engine/invariants/training-agreement';
import type { CheckOutcome, Evidence, Invariant, InvariantContext, InvariantId } from '../../engine/invariants/types';
import { LAYER_NAMES } from '../../engine/models/spec';
import { float32Tolerance, type Tolerance } from '../../engine/oracle/compare';
import type { CaseSpec } from '../../engine/run/case-spec';
import { bnInput, disposeCase, prepareCase, trainCase, type CaseRun } from '../../engine/run/case-run';
import { accuracy, argmaxRows, maxAbs, toDense } from '../../engine/run/tensor-data';
import { verdictFromError } from '../../engine/run/verdict';
import { snapshotKeys } from '../../engine/snapshot/snapshot';
import { tf } from '../../engine/tfjs';
import { nodeInvariantContext } from '../../hosts/node/services';

/** A tensor's values, inlined as a literal. */
export interface InlineTensor {
  shape: number[];
  values: number[];
}

/** Initial weights per layer, in each layer's `weights` order (null for a layer the model lacks). */
export interface CaseWeights {
  features: InlineTensor[] | null;
  bn: InlineTensor[];
  head: InlineTensor[] | null;
}

/** What bn-suite measured on the case for a frozen-moving-stats repro. */
export interface FrozenStatsObservation {
  kind: 'frozen-moving-stats';
  movingMean: { before: number[]; after: number[] };
  movingVariance: { before: number[]; after: number[] };
}

/** What bn-suite measured on the case for a mode-switch repro. */
export interface ModeSwitchObservation {
  kind: 'mode-switch';
  inference: InlineTensor;
  training: InlineTensor;
  tolerance: Tolerance;
  maxAbsDiff: number;
  inferenceAccuracy: number | null;
  trainingAccuracy: number | null;
}

/** What bn-suite measured on the case for a round-trip repro: every difference after a save and load through memory. */
export interface RoundTripObservation {
  kind: 'round-trip';
  mismatches: Array<{ what: string; name: string; detail: string }>;
}

/** What bn-suite measured on the case for a no-leaked-tensors repro: tensor counts around build, training, predict and dispose. */
export interface LeakObservation {
  kind: 'no-leaked-tensors';
  before: number;
  after: number;
  leftByDispose: number;
  disposeThrew: string | null;
}

/** What bn-suite found for a trainable-bookkeeping repro: the Keras-rule problems with the listings after the freeze steps. */
export interface BookkeepingObservation {
  kind: 'trainable-bookkeeping';
  problems: string[];
}

/** One compared quantity and the allowance bn-suite compared it with. */
export interface JudgedPart {
  part: string;
  ok: boolean;
  atol: number;
  rtol: number;
  comparison: string;
}

/** What bn-suite's float64 oracle found for an oracle-agreement repro: each part, its allowance and verdict. */
export interface OracleObservation {
  kind: 'oracle-agreement';
  trainingCalls: number;
  parts: JudgedPart[];
}

/** What bn-suite's frozen-gamma-beta check found: the judged gamma / beta weights that training moved. */
export interface GammaBetaObservation {
  kind: 'frozen-gamma-beta';
  moved: string[];
}

/** What bn-suite's inference-purity check found: the weights each inference call moved (empty when none). */
export interface PurityObservation {
  kind: 'inference-purity';
  movedBy: Record<string, string[]>;
}

/** What bn-suite's determinism check found: the trained weights' size and the first differing byte of each rerun (-1: none). */
export interface DeterminismObservation {
  kind: 'determinism';
  bytes: number;
  firstDifferingByteOnRepeat: number;
  firstDifferingByteAfterOtherModel: number;
}

/**
 * The allowances of a backend-parity repro, derived from the reference backend's run as bn-suite
 * derives them (predictions, and each trained weight by name), and what bn-suite's check found
 * when another backend was at hand (null when none was: a page repro compares in the page).
 */
export interface ParityObservation {
  kind: 'backend-parity';
  tolerances: { predictions: Tolerance; weights: Record<string, Tolerance> };
  failing: string[] | null;
}

/** What bn-suite's gradient check found: each gradient (`inference dx`, `training dgamma`, ...), its allowance and verdict. */
export interface GradientObservation {
  kind: 'gradient-agreement';
  parts: JudgedPart[];
}

/** What bn-suite's training check found: each trained weight against its float64 re-run, its allowance and verdict. */
export interface TrainingObservation {
  kind: 'training-agreement';
  parts: JudgedPart[];
}

/** Each invariant's observation, by invariant: a Record, so a new invariant needs one. */
export interface Observations {
  'frozen-moving-stats': FrozenStatsObservation;
  'frozen-gamma-beta': GammaBetaObservation;
  'inference-purity': PurityObservation;
  'mode-switch': ModeSwitchObservation;
  'oracle-agreement': OracleObservation;
  determinism: DeterminismObservation;
  'round-trip': RoundTripObservation;
  'backend-parity': ParityObservation;
  'no-leaked-tensors': LeakObservation;
  'trainable-bookkeeping': BookkeepingObservation;
  'gradient-agreement': GradientObservation;
  'training-agreement': TrainingObservation;
}

/** What bn-suite observed on a case for one invariant's repro. */
export type Observation = Observations[InvariantId];

/**
 * What tfjs threw where the invariant's check ran (an `error` verdict): the repro then reproduces
 * the throw. `message` is the first line.
 */
export interface ThrowObservation {
  kind: 'threw';
  errorName: string;
  message: string;
  /** The innermost stack frame, in tfjs (null when unknown). */
  at: string | null;
}

/** Inputs a template needs besides the model's weights and data; present where its template uses them. */
export interface CaptureInputs {
  /** gradient-agreement: the seeded upstream gradient dy, of BN's output shape. */
  dy?: InlineTensor;
  /** training-agreement: the seeded targets of the mean-squared-error loss. */
  targets?: InlineTensor;
  /** frozen-gamma-beta: the gamma / beta weights the check holds still (what compile collected may still train). */
  judged?: string[];
  /** determinism: the other case the check runs in between, as built. */
  interloper?: { spec: CaseSpec; weights: CaseWeights; x: InlineTensor; y: InlineTensor };
  /** backend-parity: the backends the script compares the case's backend with. */
  otherBackends?: BackendName[];
}

/** A case made concrete: the initial weights of every layer, the data, the template's inputs, and what bn-suite observed. */
export interface CaseCapture {
  weights: CaseWeights;
  x: InlineTensor;
  y: InlineTensor;
  labels: number[];
  /** Absent for templates that need nothing besides weights and data. */
  inputs?: CaptureInputs;
  observed: Observation | ThrowObservation;
}

/**
 * The case a repro script rebuilds for an invariant: the oracle and gradient checks call the BN
 * layer unfrozen and directly, the training check trains unfrozen with `trainOnBatch` (as the
 * invariants do), so their scripts neither freeze nor train through the model otherwise.
 */
export function scriptSpec(invariant: InvariantId, spec: CaseSpec): CaseSpec {
  if (invariant === 'oracle-agreement' || invariant === 'gradient-agreement') return { ...spec, freeze: 'none', entryPoint: 'layerApply' };
  if (invariant === 'training-agreement') return { ...spec, freeze: 'none', entryPoint: 'trainOnBatch' };
  return spec;
}

function inline(tensor: Tensor): InlineTensor {
  return { shape: tensor.shape.slice(), values: Array.from(tensor.dataSync() as Float32Array) };
}

/** A layer's weights, inlined, in its `weights` order (null for no layer). */
export function layerWeights(layer: Layer | null): InlineTensor[] | null {
  return layer === null ? null : layer.weights.map((w) => inline(w.read()));
}

/** The weights and data of a case as built, before its freeze timing's steps (what a script starts from). */
function initialState(spec: CaseSpec, run: CaseRun): Pick<CaseCapture, 'weights' | 'x' | 'y' | 'labels'> {
  const weights: CaseWeights = {
    features: spec.model.architecture === 'bn-only' ? null : layerWeights(run.built.host.getLayer(LAYER_NAMES.features)),
    bn: layerWeights(run.built.bn) as InlineTensor[],
    head: spec.model.classes > 0 ? layerWeights(run.built.model.getLayer(LAYER_NAMES.head)) : null,
  };
  return { weights, x: inline(run.x), y: inline(run.y), labels: Array.from(run.labels) };
}

function bnStat(run: CaseRun, kind: 'moving_mean' | 'moving_variance'): number[] {
  const weight = run.built.bn.weights.find((w) => w.originalName.endsWith(`/${kind}`));
  if (weight === undefined) throw new Error(`the BN layer has no ${kind} weight`);
  return Array.from(weight.read().dataSync() as Float32Array);
}

/**
 * What tfjs threw, as the repro reproduces it. A kernel the backend lacks (or a check this run
 * cannot make) is no repro's business: a UsageError with the reason. bn-suite's own faults pass
 * through (verdictFromError throws them).
 */
export function throwObservation(error: unknown): ThrowObservation {
  const verdict = verdictFromError(error);
  if (verdict.status === 'unsupported') throw new UsageError(`the case cannot be reproduced here: ${verdict.summary}`);
  if (verdict.status !== 'error') throw new Error(`verdictFromError gave a ${verdict.status} verdict for a throw`);
  return { kind: 'threw', errorName: verdict.evidence.errorName, message: verdict.evidence.message.split('\n')[0], at: verdict.evidence.at };
}

/** A capture in progress: the case prepared on the active backend, and what observing it needs. */
interface CaptureState {
  run: CaseRun;
  spec: CaseSpec;
  context: InvariantContext;
  /** The backends the script is to compare with (backend-parity). */
  comparedBackends: readonly BackendName[];
  /** `tf.memory().numTensors` before the model existed: the leak check spans the case's whole life. */
  tensorsBefore: number;
  /** Set by an observer that disposed the case itself. */
  disposed: boolean;
}

/**
 * Runs an invariant's own check on the case as checkCase does (under the case's seed, the backend
 * restored afterwards), keeping its typed evidence. A throw propagates: the capture turns it into
 * a {@link ThrowObservation}.
 */
async function ownCheck<S extends z.ZodType<Evidence, Evidence>>(invariant: Invariant<S>, state: CaptureState): Promise<CheckOutcome<z.input<S>>> {
  try {
    return await withSeed(state.spec.data.seed, () => invariant.check(state.spec, state.context));
  } finally {
    await state.context.activate(state.context.backend);
  }
}

/** The parts of an allowance-bearing check's evidence as a script judges them: each part's name, allowance and verdict. */
function judgedParts(parts: ReadonlyArray<{ ok: boolean; tolerance: { atol: number | null; rtol: number | null }; comparison: string }>, name: (index: number) => string): JudgedPart[] {
  return parts.map((p, i) => ({ part: name(i), ok: p.ok, atol: p.tolerance.atol ?? Infinity, rtol: p.tolerance.rtol ?? Infinity, comparison: p.comparison }));
}

/** How a template's capture observes the case; `inputs` runs first, since the observation may throw. */
interface CaptureTemplate<I extends InvariantId> {
  inputs?(state: CaptureState): Promise<CaptureInputs> | CaptureInputs;
  observe(state: CaptureState): Promise<Observations[I]>;
}

/** Every invariant's capture: a Record, so a new invariant without one fails the type check. */
const CAPTURES: { [I in InvariantId]: CaptureTemplate<I> } = {
  'frozen-moving-stats': {
    async observe({ run }) {
      const before = { mean: bnStat(run, 'moving_mean'), variance: bnStat(run, 'moving_variance') };
      await trainCase(run);
      return {
        kind: 'frozen-moving-stats',
        movingMean: { before: before.mean, after: bnStat(run, 'moving_mean') },
        movingVariance: { before: before.variance, after: bnStat(run, 'moving_variance') },
      };
    },
  },
  'frozen-gamma-beta': {
    inputs({ run, spec }) {
      const { stale, judged } = judgedGammaBeta(spec, snapshotKeys(run.built.model.weights), run.compiledTrainable);
      // The check would say unsupported: by the Keras rule every gamma and beta may still train.
      if (stale && judged.length === 0) throw new UsageError(`the case cannot be reproduced: the freeze came after compile and nothing recompiled, so by the Keras rule ${spec.entryPoint} still trains gamma and beta`);
      return { judged };
    },
    async observe(state) {
      const outcome = await ownCheck(INVARIANTS['frozen-gamma-beta'], state);
      return { kind: 'frozen-gamma-beta', moved: 'moved' in outcome.evidence ? outcome.evidence.moved.map((w) => w.name) : [] };
    },
  },
  'inference-purity': {
    async observe(state) {
      const outcome = await ownCheck(INVARIANTS['inference-purity'], state);
      return { kind: 'inference-purity', movedBy: 'movedBy' in outcome.evidence ? outcome.evidence.movedBy : {} };
    },
  },
  'mode-switch': {
    async observe({ run }) {
      const inferenceTensor = run.built.model.predict(run.x) as Tensor;
      const inference = await toDense(inferenceTensor);
      inferenceTensor.dispose();
      const trainingTensor = run.built.model.apply(run.x, { training: true }) as Tensor;
      const training = await toDense(trainingTensor);
      trainingTensor.dispose();
      const tolerance = float32Tolerance({ reductionSize: run.x.size, magnitude: maxAbs(inference.values) });
      let maxAbsDiff = 0;
      inference.values.forEach((e, i) => {
        const a = training.values[i];
        const diff = Number.isNaN(a) || Number.isNaN(e) ? (Number.isNaN(a) && Number.isNaN(e) ? 0 : Infinity) : Math.abs(a - e);
        maxAbsDiff = Math.max(maxAbsDiff, diff);
      });
      const hasLabels = run.labels.length > 0;
      return {
        kind: 'mode-switch',
        inference: { shape: [...inference.shape], values: Array.from(inference.values) },
        training: { shape: [...training.shape], values: Array.from(training.values) },
        tolerance,
        maxAbsDiff,
        inferenceAccuracy: hasLabels ? accuracy(argmaxRows(inference), run.labels) : null,
        trainingAccuracy: hasLabels ? accuracy(argmaxRows(training), run.labels) : null,
      };
    },
  },
  'oracle-agreement': {
    async observe({ run, spec }) {
      const input = bnInput(run);
      try {
        const { axis, epsilon, momentum, center, scale } = spec.model.bn;
        const trainingCalls = Math.max(1, spec.steps);
        const parts = await checkBnAgainstOracle(run.built.bn, input, { axis, epsilon, momentum, center, scale }, trainingCalls);
        return { kind: 'oracle-agreement', trainingCalls, parts: judgedParts(parts, (i) => parts[i].part) };
      } finally {
        input.dispose();
      }
    },
  },
  determinism: {
    async inputs({ spec }) {
      // The other case, as bn-suite builds it: the script runs it between its runs of the case.
      const other = determinismInterloper(spec);
      const run = await prepareCase(other);
      try {
        const { weights, x, y } = initialState(other, run);
        return { interloper: { spec: other, weights, x, y } };
      } finally {
        disposeCase(run);
      }
    },
    async observe(state) {
      const { evidence } = await ownCheck(INVARIANTS.determinism, state);
      return { kind: 'determinism', ...evidence };
    },
  },
  'round-trip': {
    async observe({ run }) {
      await trainCase(run);
      const reloaded = await reloadInMemory(run.built.model);
      try {
        const mismatches = (await compareReloaded(run.built.model, reloaded, run.x, 'memory')).map(({ what, name, detail }) => ({ what, name, detail }));
        return { kind: 'round-trip', mismatches };
      } finally {
        reloaded.dispose();
      }
    },
  },
  'backend-parity': {
    inputs(state) {
      const { comparedBackends } = state;
      if (comparedBackends.length === 0) throw new UsageError(`backend-parity compares the case's backend with another one, and none is available here besides ${state.context.backend} (install @tensorflow/tfjs-backend-wasm or select more backends)`);
      return { otherBackends: [...comparedBackends] };
    },
    async observe(state) {
      const { spec } = state;
      // The allowances come from the reference backend's run, as the check derives them.
      const reference = await runBackendCase(spec);
      const amplification = inferenceAmplification(reference.weights, spec.model.bn.epsilon);
      const tolerances = {
        predictions: predictionsTolerance(spec, maxAbs(reference.predictions.values), amplification),
        weights: Object.fromEntries(Object.values(reference.weights.weights).map((w) => [w.name, parityTolerance(spec, maxAbs(w.values))])),
      };
      // The check itself needs the other backends in this process (a page compares in the page).
      if (state.context.otherBackends.length === 0) return { kind: 'backend-parity', tolerances, failing: null };
      const outcome = await ownCheck(INVARIANTS['backend-parity'], state);
      return { kind: 'backend-parity', tolerances, failing: outcome.status === 'pass' ? [] : outcome.fingerprint.parts };
    },
  },
  'no-leaked-tensors': {
    async observe(state) {
      const { run } = state;
      await trainCase(run);
      tf.dispose(run.built.model.predict(run.x) as Tensor);
      state.disposed = true;
      const { leftBehind, thrown } = disposeCase(run);
      return { kind: 'no-leaked-tensors', before: state.tensorsBefore, after: tf.memory().numTensors, leftByDispose: leftBehind, disposeThrew: thrown };
    },
  },
  'trainable-bookkeeping': {
    // After the freeze steps (prepareCase took them), before training: what the script checks.
    observe: async ({ run }) => ({ kind: 'trainable-bookkeeping', problems: listingsProblems(run) }),
  },
  'gradient-agreement': {
    inputs({ run, spec }) {
      const z = bnInput(run);
      try {
        const dy = upstreamGradient(z.shape, spec.data.seed);
        return { dy: { shape: [...dy.shape], values: Array.from(dy.values) } };
      } finally {
        z.dispose();
      }
    },
    async observe(state) {
      const { evidence } = await ownCheck(INVARIANTS['gradient-agreement'], state);
      return { kind: 'gradient-agreement', parts: judgedParts(evidence.parts, (i) => `${evidence.parts[i].mode} ${evidence.parts[i].part}`) };
    },
  },
  'training-agreement': {
    inputs({ spec }) {
      return { targets: { shape: [spec.data.batch, spec.model.hiddenUnits], values: Array.from(trainingTargets(spec)) } };
    },
    async observe(state) {
      const { evidence } = await ownCheck(INVARIANTS['training-agreement'], state);
      return { kind: 'training-agreement', parts: judgedParts(evidence.weights, (i) => evidence.weights[i].weight) };
    },
  },
};

/** Options of {@link captureCase}. */
export interface CaptureOptions {
  /** The context checks run in (default: the active Node backend alone). */
  context?: InvariantContext;
  /** The backends a backend-parity script compares with (default: the context's other backends). */
  comparedBackends?: readonly BackendName[];
}

/**
 * Builds the case on the active backend (under its seed, as checkCase does), captures the initial
 * weights and data and the template's inputs, and observes what the invariant looks at, for the
 * script and the issue text. A throw of tfjs while observing (or during the freeze timing's steps)
 * is captured as a {@link ThrowObservation}: the script then reproduces the throw. Throws a
 * UsageError for a case that cannot be reproduced (a kernel the backend lacks, backend-parity
 * without a second backend).
 */
export async function captureCase(invariant: InvariantId, caseSpec: CaseSpec, options: CaptureOptions = {}): Promise<CaseCapture> {
  const spec = scriptSpec(invariant, caseSpec);
  const context = options.context ?? nodeInvariantContext(tf.getBackend() as BackendName, []);
  const template: CaptureTemplate<InvariantId> = CAPTURES[invariant];
  return withSeed(spec.data.seed, async () => {
    // Counted before the model exists: the leak check spans the whole life of the case.
    const tensorsBefore = tf.memory().numTensors;
    // The weights as built, before the freeze timing's steps: the script sets them and then takes
    // the same steps itself (a first fit between two fits changes them).
    const built: { initial?: Pick<CaseCapture, 'weights' | 'x' | 'y' | 'labels'> } = {};
    let run: CaseRun;
    try {
      run = await prepareCase(spec, { beforeSteps: (prepared) => void (built.initial = initialState(spec, prepared)) });
    } catch (error) {
      // tfjs threw on a freeze-timing step (a first fit): the script reproduces that.
      if (built.initial === undefined) throw error;
      return { ...built.initial, observed: throwObservation(error) };
    }
    const state: CaptureState = { run, spec, context, comparedBackends: options.comparedBackends ?? context.otherBackends, tensorsBefore, disposed: false };
    try {
      const { initial } = built;
      if (initial === undefined) throw new Error('prepareCase did not call beforeSteps');
      const inputs = template.inputs === undefined ? undefined : await template.inputs(state);
      let observed: Observation | ThrowObservation;
      try {
        observed = await template.observe(state);
      } catch (error) {
        observed = throwObservation(error);
      }
      return { ...initial, ...(inputs !== undefined ? { inputs } : {}), observed };
    } finally {
      if (!state.disposed) disposeCase(run);
    }
  });
}
