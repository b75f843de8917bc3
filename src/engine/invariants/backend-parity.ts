import { raisedOnBackend, UnsupportedCaseError } from '../run/verdict';
import type { Tensor } from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendName } from '../backends';
import { withSeed } from '../determinism/with-seed';
import { compareArrays, float32Tolerance, formatComparison, type Comparison, type Tolerance } from '../oracle/compare';
import type { DenseArray } from '../oracle/dense-array';
import type { CaseSpec } from '../run/case-spec';
import { trainCase } from '../run/case-run';
import { withCase } from '../run/observe';
import { maxAbs, toDense } from '../run/tensor-data';
import { captureSnapshot, weightKind, type Snapshot } from '../snapshot/snapshot';
import { tf } from '../tfjs';
import { fingerprintOf } from '../expectations/fingerprint';
import { defineInvariant } from './types';
import { z } from 'zod';
import { integer, measuredNumber, toleranceSchema } from './evidence-parts';

/** What one backend produced for a case: predictions after training, and every trained weight. */
export interface BackendRun {
  predictions: DenseArray & { values: Float32Array };
  weights: Snapshot;
}

/** How one array of another backend compares with the reference backend's. */
export interface ParityComparison {
  name: string;
  ok: boolean;
  tolerance: Tolerance;
  /** Largest |other - reference|; null when not finite, the shapes differ or one side lacks the array (JSON has no Infinity). */
  maxAbsDiff: number | null;
  /** Flat index of the first element that differs at all (bitwise); -1 when none does. */
  firstDifferingIndex: number;
  /** Flat index of the first element out of tolerance; -1 when none is. */
  firstIndexOutOfTolerance: number;
  comparison: string;
}

/** One other backend against the reference backend. */
export interface ParityReport {
  backend: BackendName;
  ok: boolean;
  predictions: ParityComparison;
  /** The weight with the largest difference (a failing one first), or null for a model without weights. */
  worstWeight: ParityComparison | null;
  /** Names of the weights out of tolerance (or present on one side only). */
  failingWeights: string[];
}

/**
 * The largest number of terms any float32 reduction in the case sums: BN's per-channel statistics
 * (at most the size of BN's input), the Dense/Conv fan-ins and the batch sums of the gradients
 * (each at most the size of the input or of BN's input). A bound from above, from the spec alone.
 */
export function parityReductionSize(spec: CaseSpec): number {
  const perSample = spec.model.inputShape.reduce((a, b) => a * b, 1);
  const inputSize = spec.data.batch * perSample;
  if (spec.model.architecture === 'bn-only') return inputSize;
  const lastDim = spec.model.inputShape[spec.model.inputShape.length - 1];
  return Math.max(inputSize, (inputSize / lastDim) * spec.model.hiddenUnits);
}

/**
 * Tolerance for one quantity of another backend against the reference backend.
 *
 * Backends differ legitimately: their kernels accumulate sums in different orders (the wasm
 * backend uses SIMD lanes and XNNPACK, cpu sums left to right), and their exp/sqrt may differ by
 * an ulp. One forward pass therefore differs by about what {@link float32Tolerance} allows for
 * the longest reduction. Training compounds this: every SGD step starts from weights that already
 * differ, and adds a fresh rounding difference of its own gradients; with a learning rate small
 * enough for training to converge the differences add up about linearly, so the tolerance is
 * scaled by `1 + steps`.
 *
 * Training-mode BN also divides by sqrt(batch variance + epsilon). For a batch with (almost) no
 * variance (batch size 1, constant features) the rounding noise of x - mean is divided by about
 * sqrt(epsilon), and that amplified noise reaches the gradients. The base tolerance is calibrated
 * at tfjs's default epsilon 1e-3; a smaller epsilon scales it by sqrt(1e-3 / epsilon) once the
 * case trains (shrinking found batch 1, zero-variance data, epsilon 1e-5 and learning rate 0.1
 * differing by 8e-5 relative between cpu and wasm after one step).
 */
export function parityTolerance(spec: CaseSpec, magnitude: number): Tolerance {
  const base = float32Tolerance({ reductionSize: parityReductionSize(spec), magnitude });
  const growth = 1 + Math.max(0, spec.steps);
  const conditioning = spec.steps > 0 ? Math.max(1, Math.sqrt(1e-3 / spec.model.bn.epsilon)) : 1;
  return { rtol: base.rtol * growth * conditioning, atol: base.atol * growth * conditioning };
}

/** How a trained model's BN layers scale differences in their input when they run in inference mode. */
export interface InferenceAmplification {
  /** max over BN channels of |γ| / sqrt(moving variance + ε); 1 for γ = 1 and unit variance. */
  gain: number;
  /** max |moving mean|: the size of the BN input whose differences are amplified. */
  meanMagnitude: number;
}

/**
 * Reads {@link InferenceAmplification} from a trained model's weights: every layer (weight-name
 * prefix) with a moving variance, paired with that layer's gamma when it has one.
 */
export function inferenceAmplification(weights: Snapshot, epsilon: number): InferenceAmplification {
  const layers = new Map<string, { gamma?: Float32Array; movingMean?: Float32Array; movingVariance?: Float32Array }>();
  for (const weight of Object.values(weights.weights)) {
    const kind = weightKind(weight.name);
    if (kind !== 'gamma' && kind !== 'moving_mean' && kind !== 'moving_variance') continue;
    const layer = weight.name.slice(0, Math.max(0, weight.name.lastIndexOf('/')));
    const entry = layers.get(layer) ?? {};
    if (kind === 'gamma') entry.gamma = weight.values;
    else if (kind === 'moving_mean') entry.movingMean = weight.values;
    else entry.movingVariance = weight.values;
    layers.set(layer, entry);
  }
  let gain = 1;
  let meanMagnitude = 0;
  for (const { gamma, movingMean, movingVariance } of layers.values()) {
    if (movingVariance === undefined) continue;
    movingVariance.forEach((variance, c) => {
      const channelGain = Math.abs(gamma?.[c] ?? 1) / Math.sqrt(Math.max(0, variance) + epsilon);
      if (Number.isFinite(channelGain) && channelGain > gain) gain = channelGain;
    });
    if (movingMean !== undefined) meanMagnitude = Math.max(meanMagnitude, maxAbs(movingMean));
  }
  return { gain, meanMagnitude };
}

/**
 * Tolerance for the predictions (inference mode, after training) of another backend.
 *
 * {@link parityTolerance} of the predictions' own magnitude covers rounding on the way out. A BN
 * layer in inference mode also multiplies every difference in its input and in its moving mean by
 * γ/sqrt(v + ε), and those differences are as large as the parity tolerance at the BN input's
 * scale (its moving mean, at least 1). With a healthy moving variance the factor is about 1 and
 * the first term dominates (it is today's tolerance, with headroom); training with momentum 0 on
 * a batch without variance leaves v near 0 and the factor near 1/sqrt(ε): shrinking found cpu and
 * wasm 3e-6 apart in a Dense bias (well within its tolerance) and therefore 4e-4 apart in softmax
 * predictions, with ε = 1e-5.
 */
export function predictionsTolerance(spec: CaseSpec, magnitude: number, amplification: InferenceAmplification): Tolerance {
  const own = parityTolerance(spec, magnitude);
  const amplified = parityTolerance(spec, Math.max(1, amplification.meanMagnitude)).atol * amplification.gain;
  return { rtol: own.rtol, atol: Math.max(own.atol, amplified) };
}

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    // Bitwise in spirit: NaN equals NaN, every other inequality counts.
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return a.length === b.length ? -1 : length;
}

function compareOne(name: string, other: DenseArray, reference: DenseArray, tolerance: Tolerance): ParityComparison {
  const c: Comparison = compareArrays(other, reference, tolerance);
  return {
    name,
    ok: c.ok,
    tolerance,
    // Infinity (a NaN or infinity on one side) becomes null: evidence must survive JSON.
    maxAbsDiff: (c.ok || c.kind === 'values') && Number.isFinite(c.maxAbsDiff) ? c.maxAbsDiff : null,
    firstDifferingIndex: firstDifference(other.values, reference.values),
    firstIndexOutOfTolerance: !c.ok && c.kind === 'values' ? c.firstIndex : -1,
    comparison: formatComparison(c),
  };
}

/**
 * Compares another backend's run with the reference backend's, each quantity within
 * {@link parityTolerance} of the reference's magnitude. Exported for tests.
 */
export function compareBackendRuns(spec: CaseSpec, backend: BackendName, reference: BackendRun, other: BackendRun): ParityReport {
  const amplification = inferenceAmplification(reference.weights, spec.model.bn.epsilon);
  const predictions = compareOne('predictions', other.predictions, reference.predictions, predictionsTolerance(spec, maxAbs(reference.predictions.values), amplification));
  const weights: ParityComparison[] = [];
  const failingWeights: string[] = [];
  const names = new Set([...Object.keys(reference.weights.weights), ...Object.keys(other.weights.weights)]);
  for (const name of [...names].sort()) {
    const ref = reference.weights.weights[name];
    const oth = other.weights.weights[name];
    if (ref === undefined || oth === undefined) {
      failingWeights.push(name);
      const tolerance = parityTolerance(spec, 0);
      const side = ref === undefined ? 'reference' : backend;
      weights.push({ name, ok: false, tolerance, maxAbsDiff: null, firstDifferingIndex: 0, firstIndexOutOfTolerance: 0, comparison: `absent on ${side}` });
      continue;
    }
    const result = compareOne(name, oth, ref, parityTolerance(spec, maxAbs(ref.values)));
    if (!result.ok) failingWeights.push(name);
    weights.push(result);
  }
  // Worst: a failing weight before a passing one, then the larger difference.
  const worstWeight = weights.reduce<ParityComparison | null>((worst, w) => {
    if (worst === null) return w;
    if (w.ok !== worst.ok) return w.ok ? worst : w;
    return (w.maxAbsDiff ?? Infinity) > (worst.maxAbsDiff ?? Infinity) ? w : worst;
  }, null);
  return { backend, ok: predictions.ok && failingWeights.length === 0, predictions, worstWeight, failingWeights };
}

/**
 * Trains the case on the active backend under its data seed; predicts in inference mode after
 * training. Exported for repro scripts, whose allowances are derived from the reference run.
 */
export async function runBackendCase(spec: CaseSpec): Promise<BackendRun> {
  // withSeed: fit's shuffle and any unseeded initializer draw from Math.random; every backend must see the same draws.
  return withSeed(spec.data.seed, () =>
    withCase(spec, async (run) => {
      await trainCase(run);
      const output = run.built.model.predict(run.x) as Tensor;
      try {
        return { predictions: await toDense(output), weights: await captureSnapshot(run.built.model) };
      } finally {
        output.dispose();
      }
    }),
  );
}

const parityComparison = z
  .object({ name: z.string(), ok: z.boolean(), tolerance: toleranceSchema, maxAbsDiff: measuredNumber, firstDifferingIndex: integer, firstIndexOutOfTolerance: integer, comparison: z.string() })
  .strict();

/** Evidence of backend-parity: each other backend's predictions and worst weight against the reference backend's. */
export const backendParityEvidence = z
  .object({
    reference: z.enum(BACKEND_NAMES),
    reductionSize: integer,
    steps: integer,
    backends: z.array(
      z
        .object({
          backend: z.enum(BACKEND_NAMES),
          ok: z.boolean(),
          predictionsMaxAbsDiff: measuredNumber,
          predictionsFirstDifferingIndex: integer,
          predictions: parityComparison,
          worstWeight: parityComparison.nullable(),
          failingWeights: z.array(z.string()),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Invariant 8: one seeded case gives the same trained weights and predictions on every backend,
 * up to float32 rounding.
 */
export const backendParity = defineInvariant({
  id: 'backend-parity',
  evidence: backendParityEvidence,
  title: 'backends agree on training and inference',
  contract:
    'BN semantics are the framework\'s, not the backend\'s: the same seeded case trained on cpu, wasm or tensorflow ends with the same weights (moving statistics included) and predictions, within float32 rounding that grows with the number of SGD steps.',
  async check(spec, context) {
    const others = [...new Set(context.otherBackends)].filter((name) => name !== context.backend);
    if (others.length === 0) {
      throw new UnsupportedCaseError(
        `backend-parity needs at least two available backends; only '${context.backend}' is in this run (install @tensorflow/tfjs-backend-wasm or select more backends)`,
        context.backend,
      );
    }
    const reports: ParityReport[] = [];
    // A comparison of a backend with itself would pass vacuously: make sure each switch took effect.
    const switchTo = async (backend: BackendName) => {
      await context.activate(backend);
      const active = tf.getBackend();
      if (active !== backend) throw new Error(`backend-parity: activating '${backend}' left '${active}' active`);
    };
    try {
      await switchTo(context.backend);
      const reference = await runBackendCase(spec);
      for (const backend of others) {
        await switchTo(backend);
        let other: BackendRun;
        try {
          other = await runBackendCase(spec);
        } catch (error) {
          // The verdict is made back on the reference backend: say where this was raised.
          throw raisedOnBackend(error, backend);
        }
        reports.push(compareBackendRuns(spec, backend, reference, other));
      }
    } finally {
      await context.activate(context.backend);
    }
    const evidence = {
      reference: context.backend,
      reductionSize: parityReductionSize(spec),
      steps: spec.steps,
      backends: reports.map((r) => ({
        backend: r.backend,
        ok: r.ok,
        predictionsMaxAbsDiff: r.predictions.maxAbsDiff,
        predictionsFirstDifferingIndex: r.predictions.firstDifferingIndex,
        predictions: r.predictions,
        worstWeight: r.worstWeight,
        failingWeights: r.failingWeights,
      })),
    };
    const failing = reports.filter((r) => !r.ok);
    if (failing.length === 0) return { status: 'pass', evidence };
    const summary = failing
      .map((r) => {
        const what = !r.predictions.ok ? `predictions: ${r.predictions.comparison}` : `${r.worstWeight?.name}: ${r.worstWeight?.comparison}`;
        return `${r.backend} vs ${context.backend}: ${what}`;
      })
      .join('; ');
    const parts = failing.flatMap((r) => [...(!r.predictions.ok ? [`${r.backend} predictions`] : []), ...r.failingWeights.map((w) => `${r.backend} ${w}`)]);
    return { status: 'fail', summary, evidence, fingerprint: fingerprintOf(parts, null) };
  },
});
