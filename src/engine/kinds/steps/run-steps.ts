import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { preparing } from '../../run/preparation';
import type { CheckOutcome } from '../../invariants/types';
import type { ExpectationEvidence, ExpectationKind, StepsEvidence } from './evidence';
import type { ModelStore } from '../../host-services';
import { findLayer, reloadInMemory } from '../../invariants/round-trip';
import { buildModel, freeze, makeBnLayer, type BuiltModel } from '../../models/build';
import type { ModelSpec } from '../../models/spec';
import { compareArrays, formatComparison } from '../../oracle/compare';
import type { DenseArray } from '../../oracle/dense-array';
import { bnInputOf } from '../../run/case-run';
import { toDense } from '../../run/tensor-data';
import type { StepsScenario } from '../../scenarios/types';
import { captureSnapshot, diffSnapshots, weightKind, type Snapshot } from '../../snapshot/snapshot';
import { tf, tfl } from '../../tfjs';
import { DEFAULT_LEARNING_RATES, type ModelRole, type Step, type StepKind, type StepParams } from './schema';
import { fingerprintOf } from '../../expectations/fingerprint';
import { makeOptimizer } from '../../run/optimizers';
import { dataTensors } from './data';
import { modelSpecOf, outputShapeOf } from './model-spec';
import { stepEntry } from './references';
import { tensorStatistic } from './statistics';


/** expectDiffer's default atol and rtol, as Keras's assertNotAllClose has them. */
const DIFFER_TOLERANCE = 1e-6;

/** Values kept in a failed expectation's evidence per side (a golden output may have thousands). */
const EVIDENCE_VALUES = 16;

/** A failed expectation: which step, what it expected, and the numbers. */
class ExpectationFailed<K extends ExpectationKind = ExpectationKind> extends Error {
  constructor(readonly step: number, readonly kind: K, message: string, readonly evidence: ExpectationEvidence<K>) {
    super(message);
  }
}

/** How a model was compiled, so that a reload or a freeze can compile it the same way again. */
type Compiled = Omit<StepParams['compile'], 'on'>;

/** Everything a steps program has made so far. */
interface StepsState {
  spec: ModelSpec;
  /** BN options the twin has of its own. */
  twinBn: Partial<ModelSpec['bn']>;
  /** The model under test (replaced by saveReload). */
  built: BuiltModel;
  /** The second build of the spec, made by the first step that acts on it. */
  twin: BuiltModel | null;
  /** The main input, as a tensor for the whole program. */
  x: Tensor;
  compiled: Map<ModelRole, Compiled>;
  /** Data tensors and outputs, by name. */
  tensors: Map<string, DenseArray>;
  /** Losses by name: one value, or a fit's history (one per epoch). */
  losses: Map<string, number[]>;
  snapshots: Map<string, { role: ModelRole; snapshot: Snapshot }>;
  /** Symbolic output shapes (`symbolicBn`), null for a size not known. */
  shapes: Map<string, Array<number | null>>;
  /** The host's persistent store, for `saveReload: {via: disk}`. */
  store: ModelStore | null;
}

function lookup<T>(map: Map<string, T>, name: string, what: string, step: number): T {
  const value = map.get(name);
  if (value === undefined) throw new RangeError(`step ${step + 1}: no ${what} named '${name}' (defined: ${[...map.keys()].join(', ') || 'none'})`);
  return value;
}

/** The built model a role names (the twin is built on first use, from the same seeded spec). */
function builtOf(state: StepsState, role: ModelRole | undefined): BuiltModel {
  if (role !== 'twin') return state.built;
  state.twin ??= buildModel(twinSpecOf(state.spec, state.twinBn));
  return state.twin;
}

/** The spec of the twin: the model's, with the twin's own BN options. */
export function twinSpecOf(spec: ModelSpec, bn: Partial<ModelSpec['bn']>): ModelSpec {
  return { ...spec, bn: { ...spec.bn, ...bn } };
}

/** The LayersModel a role names. */
function modelOf(state: StepsState, role: ModelRole | undefined): LayersModel {
  if (role === 'sibling') {
    if (state.built.sibling === null) throw new RangeError('the sibling model needs model.sibling: true');
    return state.built.sibling;
  }
  return builtOf(state, role).model;
}

function compile(state: StepsState, role: ModelRole): void {
  const compiled = state.compiled.get(role);
  if (compiled === undefined) return;
  const model = modelOf(state, role);
  model.optimizer?.dispose();
  const optimizer = makeOptimizer(compiled.optimizer, compiled.learningRate ?? DEFAULT_LEARNING_RATES[compiled.optimizer], compiled.momentum);
  model.compile({ optimizer, loss: compiled.loss });
}

/** A named data tensor or output as a tensor (the main input is the program's own; the caller disposes the others). */
function tensorNamed(state: StepsState, name: string, index: number): { tensor: Tensor; owned: boolean } {
  if (name === 'x' || name === 'input') return { tensor: state.x, owned: false };
  const dense = lookup(state.tensors, name, 'tensor', index);
  return { tensor: preparing(`tensor ${name}`, () => tf.tensor(Array.from(dense.values), dense.shape as number[])), owned: true };
}

/** Runs `use` with the tensors named (an absent name gives undefined), disposing those made for it. */
async function withTensors<T>(state: StepsState, names: Array<string | undefined>, index: number, use: (...tensors: Tensor[]) => T | Promise<T>): Promise<T> {
  const made = names.map((name) => (name === undefined ? undefined : tensorNamed(state, name, index)));
  try {
    return await use(...made.map((m) => m?.tensor as Tensor));
  } finally {
    for (const m of made) if (m?.owned === true) m.tensor.dispose();
  }
}

/** The input a step reads: the one it names, or the data's x. */
function inputName(params: { input?: string }): string {
  return params.input ?? 'x';
}

/** The targets a training step uses: given, or the data's y (load-time checks make sure one exists). */
function targetsName(params: { input?: string; targets?: string }): string {
  return params.targets ?? 'y';
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

async function saveReload(state: StepsState, via: StepParams['saveReload']['via'], role: 'model' | 'twin'): Promise<void> {
  const built = builtOf(state, role);
  const old = built.model;
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
  const replaced = { ...built, model: reloaded, bn: bn as Layer, base, host: base ?? reloaded };
  if (role === 'twin') state.twin = replaced;
  else state.built = replaced;
}

/** The weights of a role's model, by snapshot key. */
async function weightsOf(state: StepsState, role: ModelRole | undefined): Promise<Snapshot['weights']> {
  return (await captureSnapshot(modelOf(state, role))).weights;
}

function sample(values: ArrayLike<number>): number[] {
  return Array.from({ length: Math.min(values.length, EVIDENCE_VALUES) }, (_, i) => values[i]);
}

type Fail = <K extends ExpectationKind>(kind: K, message: string, evidence: ExpectationEvidence<K>) => never;

/** Runs one kind of step: an action changes the state, an expectation calls `fail` when it does not hold. */
type StepHandler<K extends StepKind> = (state: StepsState, params: StepParams[K], index: number, fail: Fail) => void | Promise<void>;

/** The current gamma and beta of the BN layer (absent without scale / center), to unscale an output. */
async function gammaBeta(state: StepsState): Promise<{ gamma?: Float32Array; beta?: Float32Array }> {
  const weights = await weightsOf(state, 'model');
  return { gamma: weights['bn/gamma']?.values, beta: weights['bn/beta']?.values };
}

/**
 * Every step kind's handler. A `Record` over {@link StepKind}: a new action in the schema without a
 * handler here fails the type check instead of passing silently.
 */
const STEP_HANDLERS: { [K in StepKind]: StepHandler<K> } = {
  freeze: (state, p) => setTrainable(state, p, false),
  unfreeze: (state, p) => setTrainable(state, p, true),
  compile: (state, { on, ...compiled }) => {
    state.compiled.set(on ?? 'model', compiled);
    compile(state, on ?? 'model');
  },
  fit: async (state, p, index) => {
    const history = await withTensors(state, [inputName(p), targetsName(p)], index, (x, y) =>
      modelOf(state, p.on).fit(x, y, { epochs: p.epochs, batchSize: p.batchSize ?? x.shape[0], shuffle: p.shuffle, verbose: 0 }),
    );
    if (p.as !== undefined) state.losses.set(p.as, (history.history.loss ?? []).map(Number));
  },
  trainOnBatch: async (state, p, index) => {
    let loss = Number.NaN;
    await withTensors(state, [inputName(p), targetsName(p)], index, async (x, y) => {
      for (let i = 0; i < p.times; i++) loss = await lossOf(await modelOf(state, p.on).trainOnBatch(x, y));
    });
    if (p.as !== undefined) state.losses.set(p.as, [loss]);
  },
  callBn: async (state, p, index) => {
    const built = builtOf(state, p.on);
    await withTensors(state, [inputName(p), ...(p.mask !== undefined ? [p.mask] : [])], index, async (x, mask) => {
      const input = bnInputOf(built, x);
      let current = input;
      try {
        for (let i = 0; i < p.times; i++) {
          const out = built.bn.apply(p.chain ? current : input, { training: p.training, ...(mask !== undefined ? { mask } : {}) }) as Tensor;
          if (current !== input) current.dispose();
          current = out;
        }
        if (p.as !== undefined) state.tensors.set(p.as, await toDense(current));
        state.tensors.set('bn_input', await toDense(input));
      } finally {
        if (current !== input) current.dispose();
        input.dispose();
      }
    });
  },
  callModel: (state, p, index) => withTensors(state, [inputName(p)], index, (x) => recordOutput(state, modelOf(state, p.on).apply(x, { training: p.training }) as Tensor, p.as)),
  predict: (state, p, index) => withTensors(state, [inputName(p)], index, (x) => recordOutput(state, modelOf(state, p.on).predict(x, p.batchSize !== undefined ? { batchSize: p.batchSize } : {}) as Tensor, p.as)),
  evaluate: async (state, p, index) => {
    const loss = await withTensors(state, [inputName(p), targetsName(p)], index, (x, y) => lossOf(modelOf(state, p.on).evaluate(x, y, { batchSize: p.batchSize ?? 32 }) as Tensor | Tensor[]));
    state.losses.set(p.as, [loss]);
  },
  snapshot: async (state, p) => {
    state.snapshots.set(p.as, { role: p.on ?? 'model', snapshot: await captureSnapshot(modelOf(state, p.on)) });
  },
  saveReload: async (state, p) => {
    await saveReload(state, p.via, p.on ?? 'model');
    compile(state, p.on ?? 'model');
  },
  gradBn: async (state, p, index) => {
    const built = builtOf(state, p.on);
    await withTensors(state, [inputName(p), p.cotangent], index, async (x, cotangent) => {
      const input = bnInputOf(built, x);
      // One forward pass for every gradient: the input becomes a variable next to gamma and beta.
      // A variable only when its gradient is asked for: variableGrads differentiates every trainable one it is given.
      const inputVariable = preparing('the BN input as a variable', () => tf.variable(input, (p.wrt ?? ['input']).includes('input')));
      const dy = cotangent ?? preparing('the cotangent', () => tf.onesLike(input));
      const wrt = p.wrt ?? ['input', 'gamma', 'beta'];
      const affine = built.bn.weights.filter((w) => wrt.some((name) => name !== 'input' && w.originalName.endsWith(`/${name}`)));
      // LayerVariable.read() hands out the tf.Variable itself, which variableGrads keys its gradients by.
      const variables = affine.map((w) => ({ suffix: w.originalName.slice(w.originalName.lastIndexOf('/') + 1), variable: w.read() as Variable }));
      // tfjs differentiates trainable variables only: a frozen layer's gamma and beta get no gradient (NaN here).
      const trainable = variables.filter((v) => v.variable.trainable);
      const withInput = wrt.includes('input');
      const kept: Tensor[] = [];
      try {
        const { value, grads } = tf.variableGrads(() => {
          const out = built.bn.apply(inputVariable, { training: p.training }) as Tensor;
          // Kept past the tape only when asked: one forward pass serves the gradients and the output.
          if (p.output !== undefined) kept.push(tf.keep(out));
          return tf.sum(tf.mul(out, dy));
        }, [...(withInput ? [inputVariable] : []), ...trainable.map((v) => v.variable)]);
        value.dispose();
        try {
          if (p.output !== undefined && kept.length > 0) state.tensors.set(p.output, await toDense(kept[0]));
          if (withInput) state.tensors.set(`${p.as}_dx`, await toDense(grads[inputVariable.name]));
          for (const { suffix, variable } of variables) {
            const grad = grads[variable.name];
            state.tensors.set(`${p.as}_d${suffix}`, grad !== undefined && grad !== null ? await toDense(grad) : { shape: [...variable.shape], values: new Float32Array(variable.size).fill(Number.NaN) });
          }
        } finally {
          tf.dispose(Object.values(grads));
        }
      } finally {
        tf.dispose(kept);
        inputVariable.dispose();
        input.dispose();
        if (cotangent === undefined) dy.dispose();
      }
    });
  },
  batchNormOp: async (state, p, index) => {
    const names = [p.x, p.mean, p.variance, p.offset, p.scale];
    await withTensors(state, names, index, async (x, mean, variance, offset, scale) => {
      await recordOutput(state, tf.batchNorm(x, mean, variance, offset, scale, p.epsilon), p.as);
    });
  },
  symbolicBn: (state, p) => {
    const layer = makeBnLayer({ ...state.spec.bn, ...p.options }, state.spec.seed, 'bn_symbolic');
    try {
      const output = layer.apply(tfl.input({ batchShape: p.shape })) as ReturnType<typeof tfl.input>;
      if (p.as !== undefined) state.shapes.set(p.as, [...output.shape]);
    } finally {
      // Building on a symbolic input made the layer's weights.
      if (layer.built) layer.dispose();
    }
  },
  setWeight: (state, p, index) => {
    const weight = modelOf(state, p.on).weights.find((w) => w.originalName === p.weight);
    if (weight === undefined) throw new RangeError(`step ${index + 1}: no weight '${p.weight}'`);
    const shape = p.shape ?? (weight.shape as number[]);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = p.values ?? new Array<number>(size).fill(p.fill ?? Number.NaN);
    const tensor = preparing(`the values of ${p.weight}`, () => tf.tensor(values, shape));
    try {
      // tfjs's own check: a value of another shape is refused here (what an expectThrows around this may ask).
      weight.write(tensor);
    } finally {
      tensor.dispose();
    }
  },
  readWeight: async (state, p, index) => {
    const weight = (await weightsOf(state, p.on))[p.weight];
    if (weight === undefined) throw new RangeError(`step ${index + 1}: no weight '${p.weight}'`);
    state.tensors.set(p.as, { shape: weight.shape, values: weight.values });
  },
  expectWeight: async (state, e, index, fail) => {
    const weights = await weightsOf(state, e.on);
    const current = weights[e.weight];
    if (current === undefined) throw new RangeError(`step ${index + 1}: no weight '${e.weight}' (weights: ${Object.keys(weights).join(', ')})`);
    const expectedValues = e.values ?? new Array<number>(current.values.length).fill(e.fill ?? Number.NaN);
    const flat = compareArrays({ shape: [current.values.length], values: current.values }, { shape: [expectedValues.length], values: expectedValues }, { atol: e.atol, rtol: e.rtol });
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
  expectClose: (state, e, index, fail) => {
    const a = lookup(state.tensors, e.a, 'tensor', index);
    const b = lookup(state.tensors, e.b, 'tensor', index);
    const comparison = compareArrays(a, b, { atol: e.atol, rtol: e.rtol });
    if (!comparison.ok) fail('expectClose', `${e.a} vs ${e.b}: ${formatComparison(comparison)}`, { comparison: formatComparison(comparison) });
  },
  expectDiffer: (state, e, index, fail) => {
    const a = lookup(state.tensors, e.a, 'tensor', index);
    const b = lookup(state.tensors, e.b, 'tensor', index);
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
    const out = lookup(state.tensors, e.output, 'tensor', index);
    const rank = out.shape.length;
    const axis = e.axis < 0 ? e.axis + rank : e.axis;
    if (axis < 1 || axis >= rank) throw new RangeError(`step ${index + 1}: expectNormalized.axis ${e.axis} is not a channel axis of ${e.output} (rank ${rank})`);
    const unscale = { ...(await gammaBeta(state)), axis };
    const means = tensorStatistic(out, 'mean', axis, unscale);
    const stds = tensorStatistic(out, 'std', axis, unscale);
    const bad = means.findIndex((m, c) => !(Math.abs(m) <= e.atol && Math.abs(stds[c] - 1) <= e.atol));
    if (bad >= 0) fail('expectNormalized', `channel ${bad} (axis ${e.axis}) of (${e.output} - beta) / gamma has mean ${means[bad].toPrecision(4)} and std ${stds[bad].toPrecision(4)} (want 0 and 1 within ${e.atol})`, { means, stds });
  },
  expectLossEqual: (state, e, index, fail) => {
    const a = lastOf(lookup(state.losses, e.a, 'loss', index));
    const b = lastOf(lookup(state.losses, e.b, 'loss', index));
    // unittest's assertAlmostEqual(a, b, places): round(a - b, places) == 0.
    if (!(Math.abs(a - b) < 0.5 * 10 ** -e.decimals)) fail('expectLossEqual', `loss ${e.a} = ${a} and ${e.b} = ${b} differ at ${e.decimals} decimals (difference ${Math.abs(a - b).toPrecision(3)})`, { a, b, difference: Math.abs(a - b) });
  },
  expectOutput: (state, e, index, fail) => {
    const out = lookup(state.tensors, e.output, 'tensor', index);
    const expected = e.values ?? new Array<number>(out.values.length).fill(e.fill ?? Number.NaN);
    // Literal values are written flat (row-major); their count is checked against the shape when the scenario loads.
    const comparison = compareArrays({ shape: [out.values.length], values: out.values }, { shape: [expected.length], values: expected }, { atol: e.atol, rtol: e.rtol });
    if (!comparison.ok) {
      fail('expectOutput', `${e.output} ${formatComparison(comparison)}`, { comparison: formatComparison(comparison), maxAbsDiff: comparison.kind === 'values' ? comparison.maxAbsDiff : null, actual: sample(out.values), expected: sample(expected) });
    }
  },
  expectShape: (state, e, index, fail) => {
    const actual = state.shapes.get(e.output) ?? [...lookup(state.tensors, e.output, 'tensor', index).shape];
    const same = actual.length === e.shape.length && actual.every((d, i) => d === e.shape[i]);
    if (!same) fail('expectShape', `${e.output} has shape [${actual.map(String).join(', ')}], expected [${e.shape.map(String).join(', ')}]`, { actual, expected: e.shape });
  },
  expectStatistic: async (state, e, index, fail) => {
    const of = lookup(state.tensors, e.of, 'tensor', index);
    const unscale = e.unscale ? { ...(await gammaBeta(state)), axis: bnAxisOf(state, of.shape.length) } : undefined;
    const actual = tensorStatistic(of, e.statistic, e.axis, unscale);
    let expected: number[];
    if (typeof e.equals === 'number') expected = actual.map(() => e.equals as number);
    else if (Array.isArray(e.equals)) expected = e.equals;
    else {
      const weight = (await weightsOf(state, 'model'))[e.equals.weight];
      if (weight === undefined) throw new RangeError(`step ${index + 1}: no weight '${e.equals.weight}'`);
      expected = Array.from(weight.values);
    }
    const comparison = compareArrays({ shape: [actual.length], values: actual }, { shape: [expected.length], values: expected }, { atol: e.atol, rtol: e.rtol });
    const what = `${e.statistic} of ${e.unscale ? `(${e.of} - beta) / gamma` : e.of}${e.axis !== undefined ? ` per index of axis ${e.axis}` : ''}`;
    if (!comparison.ok) fail('expectStatistic', `${what}: ${formatComparison(comparison)}`, { statistic: what, actual, expected });
  },
  expectLoss: (state, e, index, fail) => {
    const actual = lookup(state.losses, e.of, 'loss', index);
    if (e.decreasing) {
      const up = actual.findIndex((loss, i) => i > 0 && !(loss < actual[i - 1]));
      if (up > 0) fail('expectLoss', `loss ${e.of} does not decrease at epoch ${up + 1}: ${actual[up - 1]} -> ${actual[up]}`, { actual, expected: null });
      return;
    }
    const expected = e.values ?? [];
    const comparison = compareArrays({ shape: [actual.length], values: actual }, { shape: [expected.length], values: expected }, { atol: e.atol, rtol: e.rtol });
    if (!comparison.ok) fail('expectLoss', `loss ${e.of}: ${formatComparison(comparison)}`, { actual, expected });
  },
  expectWeightCount: (state, e, _index, fail) => {
    const owner = e.of === 'bn' ? state.built.bn : e.of === 'base' ? state.built.base : modelOf(state, e.of);
    if (owner === null) throw new RangeError("expectWeightCount of 'base': the model has no nested base");
    const names = (weights: ReadonlyArray<{ originalName: string }>) => weights.map((w) => w.originalName);
    const actual = {
      trainable: owner.trainableWeights.length,
      nonTrainable: owner.nonTrainableWeights.length,
      total: owner.weights.length,
      trainableNames: names(owner.trainableWeights),
      nonTrainableNames: names(owner.nonTrainableWeights),
    };
    const expected = { trainable: e.trainable, nonTrainable: e.nonTrainable, total: e.total, trainableNames: e.trainableNames, nonTrainableNames: e.nonTrainableNames };
    const counts = (['trainable', 'nonTrainable', 'total'] as const).filter((k) => expected[k] !== undefined && expected[k] !== actual[k]);
    const lists = (['trainableNames', 'nonTrainableNames'] as const).filter((k) => expected[k] !== undefined && expected[k]?.join('\n') !== actual[k].join('\n'));
    if (counts.length + lists.length > 0) {
      const said = [...counts.map((k) => `${actual[k]} ${k} weights (expected ${expected[k]})`), ...lists.map((k) => `${k} [${actual[k].join(', ')}] (expected [${expected[k]?.join(', ')}])`)];
      fail('expectWeightCount', `${e.of} lists ${said.join(', ')}`, { of: e.of, actual, expected: Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)) });
    }
  },
  expectLayerLosses: async (state, e, _index, fail) => {
    const owner = e.of === 'bn' ? state.built.bn : state.built.model;
    const losses = owner.losses;
    const values: number[] = [];
    for (const loss of losses) {
      const value = loss();
      try {
        values.push((await value.data())[0]);
      } finally {
        value.dispose();
      }
    }
    const valuesDiffer = e.values !== undefined && !compareArrays({ shape: [values.length], values }, { shape: [e.values.length], values: e.values }, { atol: e.atol, rtol: e.rtol }).ok;
    if (values.length !== e.count || valuesDiffer) {
      fail('expectLayerLosses', `${e.of} has ${values.length} regularization loss(es) [${values.map((v) => v.toPrecision(6)).join(', ')}], expected ${e.count}${e.values !== undefined ? ` [${e.values.join(', ')}]` : ''}`, { of: e.of, count: values.length, values });
    }
  },
  expectConfig: (state, e, _index, fail) => {
    const layer = builtOf(state, e.of === 'twin' ? 'twin' : 'model').bn;
    const config = layer.getConfig() as Record<string, unknown>;
    const differing = Object.entries(e.values)
      .map(([key, expected]) => ({ key, actual: JSON.stringify(config[key]) ?? 'undefined', expected: JSON.stringify(expected) ?? 'undefined' }))
      .filter((d) => d.actual !== d.expected);
    if (differing.length > 0) fail('expectConfig', `${e.of} config: ${differing.map((d) => `${d.key} = ${d.actual}, expected ${d.expected}`).join('; ')}`, { differing });
  },
  expectConstraint: (state, e, index, fail) => {
    const weight = state.built.model.weights.find((w) => w.originalName === e.weight);
    if (weight === undefined) throw new RangeError(`step ${index + 1}: no weight '${e.weight}'`);
    const actual = weight.constraint === null || weight.constraint === undefined ? 'none' : weight.constraint.getClassName();
    if (actual !== e.className) fail('expectConstraint', `${e.weight} has constraint ${actual}, expected ${e.className}`, { weight: e.weight, actual, expected: e.className });
  },
  expectThrows: async (state, e, index, fail) => {
    const { kind, params } = stepEntry(e.step as Step);
    let thrown: string | null = null;
    try {
      await runHandler(kind, state, params as StepParams[typeof kind], index);
    } catch (error) {
      thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (thrown === null) fail('expectThrows', `${kind} did not throw${e.message !== undefined ? ` (expected a message matching /${e.message}/)` : ''}`, { thrown, message: e.message ?? null });
    else if (e.message !== undefined && !new RegExp(e.message).test(thrown)) fail('expectThrows', `${kind} threw "${thrown.split('\n')[0]}", not a message matching /${e.message}/`, { thrown, message: e.message });
  },
};

/** `trainable = value` on the BN layer, the nested base or the whole model of a role. */
function setTrainable(state: StepsState, p: StepParams['freeze'], value: boolean): void {
  if (p.target === 'model') modelOf(state, p.on).trainable = value;
  else freeze(builtOf(state, p.on), p.target, value);
}

/** The BN axis, positive, for a tensor of the given rank (unscaling reads gamma and beta along it). */
function bnAxisOf(state: StepsState, rank: number): number {
  const axis = state.spec.bn.axis;
  return axis < 0 ? axis + rank : axis;
}

function lastOf(values: readonly number[]): number {
  return values[values.length - 1];
}

async function recordOutput(state: StepsState, out: Tensor, as: string | undefined): Promise<void> {
  try {
    if (as !== undefined) state.tensors.set(as, await toDense(out));
  } finally {
    out.dispose();
  }
}

async function weightsMovedSince(state: StepsState, e: StepParams['expectUnchanged'], index: number): Promise<ReturnType<typeof diffSnapshots>> {
  const since = lookup(state.snapshots, e.since, 'snapshot', index);
  return diffSnapshots(since.snapshot, await captureSnapshot(modelOf(state, since.role)), (name) => (e.kinds as string[]).includes(weightKind(name)));
}

function runHandler<K extends StepKind>(kind: K, state: StepsState, params: StepParams[K], index: number): void | Promise<void> {
  const fail: Fail = (failedKind, message, evidence) => {
    throw new ExpectationFailed(index, failedKind, `step ${index + 1} (${failedKind}): ${message}`, evidence);
  };
  return STEP_HANDLERS[kind](state, params, index, fail);
}

async function runStep(state: StepsState, step: Step, index: number): Promise<void> {
  const { kind, params } = stepEntry(step);
  await runHandler(kind, state, params as StepParams[typeof kind], index);
}

/**
 * Runs a steps scenario on the active backend: builds its model and data, runs every step in order
 * and stops at the first expectation that does not hold. Throws for errors (a missing kernel, a
 * step that references an unknown name); every tensor is disposed either way.
 */
export async function runStepsScenario(scenario: StepsScenario, store: ModelStore | null): Promise<CheckOutcome<StepsEvidence>> {
  const spec = modelSpecOf(scenario.model, scenario.seed, scenario.data.batch);
  const data = dataTensors(scenario.data, scenario.model.inputShape, outputShapeOf(scenario.model), scenario.seed);
  const built = buildModel(spec);
  const x = data.get('x') as DenseArray;
  const state: StepsState = {
    spec,
    twinBn: scenario.model.twin?.bn ?? {},
    built,
    twin: null,
    x: preparing('data.x', () => tf.tensor(x.values, x.shape as number[])),
    compiled: new Map(),
    tensors: new Map([...data, ['input', x]]),
    losses: new Map(),
    snapshots: new Map(),
    shapes: new Map(),
    store,
  };
  try {
    for (const [index, step] of scenario.steps.entries()) await runStep(state, step, index);
    return { status: 'pass', evidence: { steps: scenario.steps.length, losses: Object.fromEntries([...state.losses].map(([name, values]) => [name, lastOf(values)])) } };
  } catch (error) {
    if (error instanceof ExpectationFailed) {
      // A program stops at its first failed expectation: that step and kind are the failing part.
      const fingerprint = fingerprintOf([`step ${error.step + 1} ${error.kind}`], null);
      return { status: 'fail', summary: error.message, evidence: { ...error.evidence, step: error.step + 1, kind: error.kind } as StepsEvidence, fingerprint };
    }
    throw error;
  } finally {
    state.x.dispose();
    for (const owned of [state.built, state.twin]) {
      if (owned === null) continue;
      owned.model.optimizer?.dispose();
      owned.sibling?.optimizer?.dispose();
      owned.model.dispose();
      // The sibling holds the shared layers too: their weights go with the last model that holds them.
      owned.sibling?.dispose();
    }
  }
}
