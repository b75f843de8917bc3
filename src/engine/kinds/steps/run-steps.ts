import type { Tensor } from '@tensorflow/tfjs-core';
import { preparing } from '../../run/preparation';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { gaussianBlobs, oneHot } from '../../data/generators';
import { createRng, deriveSeed } from '../../data/rng';
import type { CheckOutcome } from '../../invariants/types';
import type { ExpectationEvidence, ExpectationKind, StepsEvidence } from './evidence';
import type { ModelStore } from '../../host-services';
import { findLayer, reloadInMemory } from '../../invariants/round-trip';
import { buildModel, freeze, type BuiltModel } from '../../models/build';
import type { ModelSpec } from '../../models/spec';
import { compareArrays, formatComparison } from '../../oracle/compare';
import type { DenseArray } from '../../oracle/dense-array';
import { bnInputOf } from '../../run/case-run';
import { toDense } from '../../run/tensor-data';
import type { StepsScenario } from '../../scenarios/types';
import { captureSnapshot, diffSnapshots, weightKind, type Snapshot } from '../../snapshot/snapshot';
import { tf } from '../../tfjs';
import type { Step, StepKind, StepParams, StepsData, StepsModel } from './schema';
import { fingerprintOf } from '../../expectations/fingerprint';

/** The model spec a steps scenario's model section describes. */
export function modelSpecOf(model: StepsModel, seed: number): ModelSpec {
  return {
    architecture: model.architecture,
    inputShape: model.inputShape,
    hiddenUnits: model.hiddenUnits,
    bn: { ...model.bn },
    classes: model.head?.units ?? 0,
    headActivation: model.head?.activation,
    nested: model.nested,
    seed,
  };
}

/** The input values of a steps scenario (row-major), as its data section describes them. */
export function inputValues(data: StepsData, shape: number[], seed: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = data.x;
  if ('fill' in x) return new Float32Array(size).fill(x.fill);
  if ('values' in x) {
    if (x.values.length !== size) throw new RangeError(`data.x.values has ${x.values.length} values but [batch, ...inputShape] = [${shape.join(', ')}] needs ${size}`);
    return Float32Array.from(x.values);
  }
  return gaussianBlobs({ shape, channelAxis: -1, mean: x.gaussian.mean, scale: x.gaussian.scale, seed: deriveSeed(seed, 'x') }).values;
}

/** The targets of a steps scenario, or null without data.y. */
export function targetTensor(data: StepsData, outputShape: number[], seed: number): Tensor | null {
  const y = data.y;
  if (y === undefined) return null;
  const size = outputShape.reduce((a, b) => a * b, 1);
  // From values, not tf.fill: data preparation must not depend on a kernel (old wasm's Fill needs a dtype).
  if ('fill' in y) return preparing('data.y', () => tf.tensor(new Float32Array(size).fill(y.fill), outputShape));
  if ('gaussian' in y) {
    const values = gaussianBlobs({ shape: outputShape, channelAxis: -1, mean: y.gaussian.mean, scale: y.gaussian.scale, seed: deriveSeed(seed, 'y') }).values;
    return preparing('data.y', () => tf.tensor(values, outputShape));
  }
  const classes = outputShape[outputShape.length - 1];
  const rng = createRng(deriveSeed(seed, 'labels'));
  const labels = Array.from({ length: outputShape[0] }, () => rng.int(classes));
  return preparing('data.y', () => tf.tensor(oneHot(labels, classes), outputShape));
}

/** expectDiffer's default atol and rtol, as Keras's assertNotAllClose has them. */
const DIFFER_TOLERANCE = 1e-6;

/** A failed expectation: which step, what it expected, and the numbers. */
class ExpectationFailed<K extends ExpectationKind = ExpectationKind> extends Error {
  constructor(readonly step: number, readonly kind: K, message: string, readonly evidence: ExpectationEvidence<K>) {
    super(message);
  }
}

/** Everything a steps program has made so far. */
interface StepsState {
  built: BuiltModel;
  x: Tensor;
  y: Tensor | null;
  compiled: { loss: string; learningRate: number } | null;
  outputs: Map<string, DenseArray>;
  losses: Map<string, number>;
  snapshots: Map<string, Snapshot>;
  /** The host's persistent store, for `saveReload: {via: disk}`. */
  store: ModelStore | null;
}

function lookup<T>(map: Map<string, T>, name: string, what: string, step: number): T {
  const value = map.get(name);
  if (value === undefined) throw new RangeError(`step ${step + 1}: no ${what} named '${name}' (defined: ${[...map.keys()].join(', ') || 'none'})`);
  return value;
}

function compile(state: StepsState): void {
  if (state.compiled === null) return;
  state.built.model.optimizer?.dispose();
  state.built.model.compile({ optimizer: tf.train.sgd(state.compiled.learningRate), loss: state.compiled.loss });
}

function needTargets(state: StepsState, step: number): Tensor {
  if (state.y === null) throw new RangeError(`step ${step + 1}: this step needs data.y (targets)`);
  return state.y;
}

async function lossOf(value: number | number[] | Tensor | Tensor[]): Promise<number> {
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) {
    const loss = await lossOf(value[0] as number | Tensor);
    // evaluate with metrics returns one tensor per metric: all of them are ours to free.
    for (const extra of value.slice(1)) if (typeof extra !== 'number') extra.dispose();
    return loss;
  }
  try {
    return (await value.data())[0];
  } finally {
    value.dispose();
  }
}

async function saveReload(state: StepsState, via: StepParams['saveReload']['via']): Promise<void> {
  const old = state.built.model;
  let reloaded: LayersModel;
  if (via === 'memory') reloaded = await reloadInMemory(old);
  else if (state.store === null) throw new Error(`saveReload via ${via}: this host has no persistent model store`);
  else reloaded = await state.store.roundTrip(old);
  const bn = findLayer(reloaded, 'bn');
  if (bn === null) throw new Error('saveReload: the reloaded model has no layer named bn');
  const base = findLayer(reloaded, 'base') as LayersModel | null;
  old.optimizer?.dispose();
  old.dispose();
  // The host (the model whose graph holds BN) is the reloaded one too: callBn reads BN's input
  // through it, and the old graph does not lead to the reloaded BN.
  state.built = { ...state.built, model: reloaded, bn: bn as Layer, base, host: base ?? reloaded };
}

type Fail = <K extends ExpectationKind>(kind: K, message: string, evidence: ExpectationEvidence<K>) => never;

/** Runs one kind of step: an action changes the state, an expectation calls `fail` when it does not hold. */
type StepHandler<K extends StepKind> = (state: StepsState, params: StepParams[K], index: number, fail: Fail) => void | Promise<void>;

/**
 * Every step kind's handler. A `Record` over {@link StepKind}: a new action in the schema without a
 * handler here fails the type check instead of passing silently.
 */
const STEP_HANDLERS: { [K in StepKind]: StepHandler<K> } = {
  freeze: (state, target) => freeze(state.built, target),
  unfreeze: (state, target) => {
    if (target === 'base' && state.built.base !== null) state.built.base.trainable = true;
    else state.built.bn.trainable = true;
  },
  compile: (state, params) => {
    state.compiled = { loss: params.loss, learningRate: params.learningRate };
    compile(state);
  },
  fit: async (state, params, index) => {
    await state.built.model.fit(state.x, needTargets(state, index), { epochs: params.epochs, batchSize: params.batchSize ?? state.x.shape[0], shuffle: params.shuffle, verbose: 0 });
  },
  trainOnBatch: async (state, params, index) => {
    let loss = Number.NaN;
    for (let i = 0; i < params.times; i++) loss = await lossOf(await state.built.model.trainOnBatch(state.x, needTargets(state, index)));
    if (params.as !== undefined) state.losses.set(params.as, loss);
  },
  callBn: async (state, params) => {
    const input = bnInputOf(state.built, state.x);
    try {
      for (let i = 0; i < params.times; i++) {
        const out = state.built.bn.apply(input, { training: params.training }) as Tensor;
        try {
          if (i === params.times - 1 && params.as !== undefined) state.outputs.set(params.as, await toDense(out));
        } finally {
          out.dispose();
        }
      }
      state.outputs.set('bn_input', await toDense(input));
    } finally {
      input.dispose();
    }
  },
  callModel: (state, params) => recordOutput(state, state.built.model.apply(state.x, { training: params.training }) as Tensor, params.as),
  predict: (state, params) => recordOutput(state, state.built.model.predict(state.x) as Tensor, params.as),
  evaluate: async (state, params, index) => {
    const batchSize = params.batchSize ?? 32;
    state.losses.set(params.as, await lossOf(state.built.model.evaluate(state.x, needTargets(state, index), { batchSize }) as Tensor | Tensor[]));
  },
  snapshot: async (state, params) => {
    state.snapshots.set(params.as, await captureSnapshot(state.built.model));
  },
  saveReload: async (state, params) => {
    await saveReload(state, params.via);
    compile(state);
  },
  expectWeight: async (state, e, index, fail) => {
    const weights = (await captureSnapshot(state.built.model)).weights;
    const current = weights[e.weight];
    if (current === undefined) throw new RangeError(`step ${index + 1}: no weight '${e.weight}' (weights: ${Object.keys(weights).join(', ')})`);
    const expectedValues = e.values ?? new Array<number>(current.values.length).fill(e.fill ?? Number.NaN);
    const comparison = compareArrays({ shape: current.shape, values: current.values }, { shape: [expectedValues.length], values: expectedValues }, { atol: e.atol, rtol: e.rtol });
    const shapeOnly = !comparison.ok && comparison.kind === 'shape' && expectedValues.length === current.values.length;
    const flat = shapeOnly ? compareArrays({ shape: [current.values.length], values: current.values }, { shape: [expectedValues.length], values: expectedValues }, { atol: e.atol, rtol: e.rtol }) : comparison;
    if (!flat.ok) fail('expectWeight', `${e.weight} ${formatComparison(flat)}`, { weight: e.weight, actual: Array.from(current.values), expected: expectedValues });
  },
  expectUnchanged: async (state, e, index, fail) => {
    const moved = (await weightsMovedSince(state, e, index)).moved;
    if (moved.length > 0) fail('expectUnchanged', `${moved.map((w) => `${w.name} moved by up to ${w.maxAbsDiff.toPrecision(4)} (${w.before} -> ${w.after} at ${w.firstIndex})`).join('; ')}`, { moved });
  },
  expectChanged: async (state, e, index, fail) => {
    const diff = await weightsMovedSince(state, e, index);
    if (diff.moved.length === 0) fail('expectChanged', `no ${e.kinds.join('/')} weight changed since '${e.since}'`, { unchanged: diff.unchanged });
  },
  expectClose: async (state, e, index, fail) => {
    const a = lookup(state.outputs, e.a, 'output', index);
    const b = e.b === 'input' ? await toDense(state.x) : lookup(state.outputs, e.b, 'output', index);
    const comparison = compareArrays(a, b, { atol: e.atol, rtol: e.rtol });
    if (!comparison.ok) fail('expectClose', `${e.a} vs ${e.b}: ${formatComparison(comparison)}`, { comparison: formatComparison(comparison) });
  },
  expectDiffer: (state, e, index, fail) => {
    const a = lookup(state.outputs, e.a, 'output', index);
    const b = lookup(state.outputs, e.b, 'output', index);
    let sum = 0;
    for (let i = 0; i < a.values.length; i++) sum += a.values[i] - b.values[i];
    const absSumDiff = Math.abs(sum);
    if (e.minAbsSumDiff !== undefined) {
      if (!(absSumDiff > e.minAbsSumDiff)) fail('expectDiffer', `|sum(${e.a} - ${e.b})| = ${absSumDiff} is not above ${e.minAbsSumDiff}`, { absSumDiff, maxAbsDiff: null });
      return;
    }
    // Different means not all close: one element out of atol + rtol * |b| (or another shape) is enough.
    const tolerance = { atol: e.atol ?? DIFFER_TOLERANCE, rtol: e.rtol ?? DIFFER_TOLERANCE };
    const comparison = compareArrays(a, b, tolerance);
    if (comparison.ok) {
      fail('expectDiffer', `${e.a} and ${e.b} are close everywhere: max abs diff ${comparison.maxAbsDiff.toPrecision(4)} within atol ${tolerance.atol} + rtol ${tolerance.rtol} * |${e.b}|`, { absSumDiff, maxAbsDiff: comparison.maxAbsDiff });
    }
  },
  expectNormalized: async (state, e, index, fail) => {
    const out = lookup(state.outputs, e.output, 'output', index);
    const weights = (await captureSnapshot(state.built.model)).weights;
    const rank = out.shape.length;
    const axis = e.axis < 0 ? e.axis + rank : e.axis;
    if (axis < 1 || axis >= rank) throw new RangeError(`step ${index + 1}: expectNormalized.axis ${e.axis} is not a channel axis of ${e.output} (rank ${rank})`);
    const channels = out.shape[axis];
    // Elements of one channel repeat every `inner` elements in blocks of `inner` (row-major layout).
    const inner = out.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const gamma = weights['bn/gamma']?.values;
    const beta = weights['bn/beta']?.values;
    const sums = new Float64Array(channels);
    const squares = new Float64Array(channels);
    const n = out.values.length / channels;
    for (let i = 0; i < out.values.length; i++) {
      const c = Math.floor(i / inner) % channels;
      const z = (out.values[i] - (beta?.[c] ?? 0)) / (gamma?.[c] ?? 1);
      sums[c] += z;
      squares[c] += z * z;
    }
    const means = Array.from(sums, (s) => s / n);
    const stds = Array.from(squares, (q, c) => Math.sqrt(Math.max(0, q / n - means[c] ** 2)));
    const bad = means.findIndex((m, c) => Math.abs(m) > e.atol || Math.abs(stds[c] - 1) > e.atol);
    if (bad >= 0) fail('expectNormalized', `channel ${bad} (axis ${e.axis}) of (${e.output} - beta) / gamma has mean ${means[bad].toPrecision(4)} and std ${stds[bad].toPrecision(4)} (want 0 and 1 within ${e.atol})`, { means, stds });
  },
  expectLossEqual: (state, e, index, fail) => {
    const a = lookup(state.losses, e.a, 'loss', index);
    const b = lookup(state.losses, e.b, 'loss', index);
    // unittest's assertAlmostEqual(a, b, places): round(a - b, places) == 0.
    if (!(Math.abs(a - b) < 0.5 * 10 ** -e.decimals)) fail('expectLossEqual', `loss ${e.a} = ${a} and ${e.b} = ${b} differ at ${e.decimals} decimals (difference ${Math.abs(a - b).toPrecision(3)})`, { a, b, difference: Math.abs(a - b) });
  },
};

async function recordOutput(state: StepsState, out: Tensor, as: string | undefined): Promise<void> {
  try {
    if (as !== undefined) state.outputs.set(as, await toDense(out));
  } finally {
    out.dispose();
  }
}

async function weightsMovedSince(state: StepsState, e: StepParams['expectUnchanged'], index: number): Promise<ReturnType<typeof diffSnapshots>> {
  const since = lookup(state.snapshots, e.since, 'snapshot', index);
  return diffSnapshots(since, await captureSnapshot(state.built.model), (name) => (e.kinds as string[]).includes(weightKind(name)));
}

function runHandler<K extends StepKind>(kind: K, state: StepsState, params: StepParams[K], index: number): void | Promise<void> {
  const fail: Fail = (failedKind, message, evidence) => {
    throw new ExpectationFailed(index, failedKind, `step ${index + 1} (${failedKind}): ${message}`, evidence);
  };
  return STEP_HANDLERS[kind](state, params, index, fail);
}

async function runStep(state: StepsState, step: Step, index: number): Promise<void> {
  // The schema admits exactly one key per step.
  const kind = Object.keys(step)[0] as StepKind;
  await runHandler(kind, state, step[kind] as StepParams[typeof kind], index);
}

/**
 * Runs a steps scenario on the active backend: builds its model and data, runs every step in order
 * and stops at the first expectation that does not hold. Throws for errors (a missing kernel, a
 * step that references an unknown name); every tensor is disposed either way.
 */
export async function runStepsScenario(scenario: StepsScenario, store: ModelStore | null): Promise<CheckOutcome<StepsEvidence>> {
  const spec = modelSpecOf(scenario.model, scenario.seed);
  const built = buildModel(spec);
  const inputShape = [scenario.data.batch, ...scenario.model.inputShape];
  const state: StepsState = {
    built,
    x: preparing('data.x', () => tf.tensor(inputValues(scenario.data, inputShape, scenario.seed), inputShape)),
    y: null,
    compiled: null,
    outputs: new Map(),
    losses: new Map(),
    snapshots: new Map(),
    store,
  };
  try {
    state.y = targetTensor(scenario.data, [scenario.data.batch, ...(built.model.outputs[0].shape.slice(1) as number[])], scenario.seed);
    for (const [index, step] of scenario.steps.entries()) await runStep(state, step, index);
    return { status: 'pass', evidence: { steps: scenario.steps.length, losses: Object.fromEntries(state.losses) } };
  } catch (error) {
    if (error instanceof ExpectationFailed) {
      // A program stops at its first failed expectation: that step and kind are the failing part.
      const fingerprint = fingerprintOf([`step ${error.step + 1} ${error.kind}`], null);
      return { status: 'fail', summary: error.message, evidence: { ...error.evidence, step: error.step + 1, kind: error.kind } as StepsEvidence, fingerprint };
    }
    throw error;
  } finally {
    tf.dispose([state.x, ...(state.y !== null ? [state.y] : [])]);
    state.built.model.optimizer?.dispose();
    state.built.model.dispose();
  }
}
