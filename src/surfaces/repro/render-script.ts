import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { BACKEND_PACKAGES, type BackendName } from '../../engine/backends';
import { withSeed } from '../../engine/determinism/with-seed';
import { tf } from '../../engine/tfjs';
import { UsageError } from '../../engine/errors';
import type { InvariantId } from '../../engine/invariants/types';
import { LAYER_NAMES, type ConstraintSpec, type ContainerKind, type RegularizerSpec } from '../../engine/models/spec';
import { compareReloaded, reloadInMemory } from '../../engine/invariants/round-trip';
import { listingsProblems } from '../../engine/invariants/trainable-bookkeeping';
import { checkBnAgainstOracle } from '../../engine/invariants/oracle-agreement';
import { float32Tolerance, type Tolerance } from '../../engine/oracle/compare';
import type { CaseSpec, FreezeTiming } from '../../engine/run/case-spec';
import { bnInput, compilesBeforeTraining, disposeCase, prepareCase, TIMING_STEPS, trainCase, type CaseRun } from '../../engine/run/case-run';
import { accuracy, argmaxRows, maxAbs, toDense } from '../../engine/run/tensor-data';

/** Invariants that have a standalone-script template. */
export const REPRO_TEMPLATES = ['frozen-moving-stats', 'mode-switch', 'round-trip', 'no-leaked-tensors', 'trainable-bookkeeping', 'oracle-agreement'] as const satisfies readonly InvariantId[];

/** One of {@link REPRO_TEMPLATES}. */
export type ReproInvariant = (typeof REPRO_TEMPLATES)[number];

/** True when {@link renderScript} can write a script for the invariant. */
export function hasReproTemplate(invariant: string): invariant is ReproInvariant {
  return (REPRO_TEMPLATES as readonly string[]).includes(invariant);
}

/** Throws the UsageError the CLI shows when an invariant has no template. */
export function assertReproTemplate(invariant: string): asserts invariant is ReproInvariant {
  if (!hasReproTemplate(invariant)) {
    throw new UsageError(`no repro template for invariant ${invariant} yet (templates exist for: ${REPRO_TEMPLATES.join(', ')})`);
  }
}

/** What the script says about its scenario. Free text: it only ever enters the script as a string literal. */
export interface ScenarioMeta {
  id: string;
  description: string;
  invariant: InvariantId;
}

/** A tensor's values, inlined as a literal. */
export interface InlineTensor {
  shape: number[];
  values: number[];
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

/** What bn-suite's float64 oracle found for an oracle-agreement repro: each part, its allowance and verdict. */
export interface OracleObservation {
  kind: 'oracle-agreement';
  trainingCalls: number;
  parts: Array<{ part: string; ok: boolean; atol: number; rtol: number; comparison: string }>;
}

/**
 * The case a repro script rebuilds: the oracle check runs on the BN layer unfrozen, called
 * directly (as the invariant does), so its script neither freezes nor trains through the model.
 */
export function scriptSpec(invariant: ReproInvariant, spec: CaseSpec): CaseSpec {
  return invariant === 'oracle-agreement' ? { ...spec, freeze: 'none', entryPoint: 'layerApply' } : spec;
}

/** A case made concrete: the initial weights of every layer, the data, and what bn-suite observed. */
export interface CaseCapture {
  /** Initial weights per layer, in each layer's `weights` order. */
  weights: { features: InlineTensor[] | null; bn: InlineTensor[]; head: InlineTensor[] | null };
  x: InlineTensor;
  y: InlineTensor;
  labels: number[];
  observed: FrozenStatsObservation | ModeSwitchObservation | RoundTripObservation | LeakObservation | BookkeepingObservation | OracleObservation;
}

function inline(tensor: Tensor): InlineTensor {
  return { shape: tensor.shape.slice(), values: Array.from(tensor.dataSync() as Float32Array) };
}

/** A layer's weights, inlined, in its `weights` order (null for no layer). */
export function layerWeights(layer: Layer | null): InlineTensor[] | null {
  return layer === null ? null : layer.weights.map((w) => inline(w.read()));
}

function bnStat(run: CaseRun, kind: 'moving_mean' | 'moving_variance'): number[] {
  const weight = run.built.bn.weights.find((w) => w.originalName.endsWith(`/${kind}`));
  if (weight === undefined) throw new Error(`the BN layer has no ${kind} weight`);
  return Array.from(weight.read().dataSync() as Float32Array);
}

/**
 * Builds the case on the active backend (under its seed, as checkCase does), captures the initial
 * weights and data, and observes what the invariant looks at, for the script and the issue text.
 */
export async function captureCase(invariant: ReproInvariant, caseSpec: CaseSpec): Promise<CaseCapture> {
  const spec = scriptSpec(invariant, caseSpec);
  return withSeed(spec.data.seed, async () => {
    // The weights as built, before the freeze timing's steps: the script sets them and then takes
    // the same steps itself (a first fit between two fits changes them).
    let weights: CaseCapture['weights'] | null = null;
    // Counted before the model exists: the leak check spans the whole life of the case.
    const tensorsBefore = tf.memory().numTensors;
    let disposed = false;
    const run = await prepareCase(spec, {
      beforeSteps(prepared) {
        weights = {
          features: spec.model.architecture === 'bn-only' ? null : layerWeights(prepared.built.host.getLayer(LAYER_NAMES.features)),
          bn: layerWeights(prepared.built.bn) as InlineTensor[],
          head: spec.model.classes > 0 ? layerWeights(prepared.built.model.getLayer(LAYER_NAMES.head)) : null,
        };
      },
    });
    try {
      if (weights === null) throw new Error('prepareCase did not call beforeSteps');
      const base = { weights: weights as CaseCapture['weights'], x: inline(run.x), y: inline(run.y), labels: Array.from(run.labels) };
      if (invariant === 'frozen-moving-stats') {
        const before = { mean: bnStat(run, 'moving_mean'), variance: bnStat(run, 'moving_variance') };
        await trainCase(run);
        const observed: FrozenStatsObservation = {
          kind: 'frozen-moving-stats',
          movingMean: { before: before.mean, after: bnStat(run, 'moving_mean') },
          movingVariance: { before: before.variance, after: bnStat(run, 'moving_variance') },
        };
        return { ...base, observed };
      }
      if (invariant === 'no-leaked-tensors') {
        await trainCase(run);
        tf.dispose(run.built.model.predict(run.x) as Tensor);
        disposed = true;
        const { leftBehind, thrown } = disposeCase(run);
        const observed: LeakObservation = { kind: 'no-leaked-tensors', before: tensorsBefore, after: tf.memory().numTensors, leftByDispose: leftBehind, disposeThrew: thrown };
        return { ...base, observed };
      }
      if (invariant === 'oracle-agreement') {
        const input = bnInput(run);
        try {
          const { axis, epsilon, momentum, center, scale } = spec.model.bn;
          const trainingCalls = Math.max(1, spec.steps);
          const parts = (await checkBnAgainstOracle(run.built.bn, input, { axis, epsilon, momentum, center, scale }, trainingCalls)).map((p) => ({ part: p.part, ok: p.ok, atol: p.tolerance.atol, rtol: p.tolerance.rtol, comparison: p.comparison }));
          const observed: OracleObservation = { kind: 'oracle-agreement', trainingCalls, parts };
          return { ...base, observed };
        } finally {
          input.dispose();
        }
      }
      if (invariant === 'trainable-bookkeeping') {
        // After the freeze steps (prepareCase took them), before training: what the script checks.
        const observed: BookkeepingObservation = { kind: 'trainable-bookkeeping', problems: listingsProblems(run) };
        return { ...base, observed };
      }
      if (invariant === 'round-trip') {
        await trainCase(run);
        const reloaded = await reloadInMemory(run.built.model);
        try {
          const mismatches = (await compareReloaded(run.built.model, reloaded, run.x, 'memory')).map(({ what, name, detail }) => ({ what, name, detail }));
          const observed: RoundTripObservation = { kind: 'round-trip', mismatches };
          return { ...base, observed };
        } finally {
          reloaded.dispose();
        }
      }
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
      const observed: ModeSwitchObservation = {
        kind: 'mode-switch',
        inference: { shape: [...inference.shape], values: Array.from(inference.values) },
        training: { shape: [...training.shape], values: Array.from(training.values) },
        tolerance,
        maxAbsDiff,
        inferenceAccuracy: hasLabels ? accuracy(argmaxRows(inference), run.labels) : null,
        trainingAccuracy: hasLabels ? accuracy(argmaxRows(training), run.labels) : null,
      };
      return { ...base, observed };
    } finally {
      if (!disposed) disposeCase(run);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Literals. Everything that comes from outside bn-suite's code enters the script through these.

/**
 * A string as a JS string literal: JSON escapes quotes, backslashes and control characters; U+2028/9
 * too. A `<` that starts `</script`, `<script` or `<!--` becomes `\u003c`, so the literal is also
 * safe inside an HTML `<script>` element (where those sequences end the script or change how the
 * parser looks for its end) and reads back as the same text.
 */
export function stringLiteral(text: string): string {
  return JSON.stringify(String(text))
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/<(?=\/script|script|!--)/gi, '\\u003c');
}

/** A number as a JS literal (finite numbers via JSON, which never yields code). */
export function numberLiteral(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return JSON.stringify(value);
}

/** A float32 value as the shortest decimal literal that reads back as the same float32. */
export function float32Literal(value: number): string {
  if (!Number.isFinite(value) || Object.is(value, -0)) return numberLiteral(value);
  const f = Math.fround(value);
  for (let precision = 1; precision <= 17; precision++) {
    const candidate = Number(f.toPrecision(precision));
    if (Math.fround(candidate) === f) return JSON.stringify(candidate);
  }
  return JSON.stringify(f);
}

/** A float32 array literal, ten values a line when long. */
export function floatArrayLiteral(values: readonly number[], indent: string): string {
  const items = values.map(float32Literal);
  if (items.join(', ').length <= 80) return `[${items.join(', ')}]`;
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += 10) lines.push(`${indent}  ${items.slice(i, i + 10).join(', ')},`);
  return `[\n${lines.join('\n')}\n${indent}]`;
}

/** A shape as an array literal. */
export function shapeLiteral(shape: readonly number[]): string {
  return `[${shape.map((d) => numberLiteral(d)).join(', ')}]`;
}

function tensorLiteral(t: InlineTensor, indent: string): string {
  return `tf.tensor(${floatArrayLiteral(t.values, indent)}, ${shapeLiteral(t.shape)})`;
}

function tensorListLiteral(list: readonly InlineTensor[], indent: string): string {
  return `[\n${list.map((t) => `${indent}  ${tensorLiteral(t, `${indent}  `)},`).join('\n')}\n${indent}]`;
}

// ---------------------------------------------------------------------------------------------

/** Everything {@link renderScript} needs. */
export interface ScriptInput {
  scenario: ScenarioMeta;
  backend: BackendName;
  spec: CaseSpec;
  capture: CaseCapture;
  /** bn-suite's version, printed by the script. */
  bnSuiteVersion: string;
}

const ENTRY_DESCRIPTIONS: Record<CaseSpec['entryPoint'], (spec: CaseSpec) => string> = {
  fit: (s) => `model.fit(x, y, {epochs: ${s.steps}, batchSize: ${s.data.batch}, shuffle: false})`,
  trainOnBatch: (s) => `model.trainOnBatch(x, y) x ${s.steps}`,
  minimize: (s) => `optimizer.minimize(() => loss(y, model.apply(x, {training: true}))) x ${s.steps}`,
  layerApply: (s) => `bn.apply(features, {training: true}) x ${s.steps}`,
};

/** One line describing how the case trains, as printed by the script and quoted in the issue. */
export function describeEntryPoint(spec: CaseSpec): string {
  return ENTRY_DESCRIPTIONS[spec.entryPoint](spec);
}

function lossOf(spec: CaseSpec): 'categoricalCrossentropy' | 'meanSquaredError' {
  return spec.model.classes > 0 && spec.model.headActivation !== 'linear' ? 'categoricalCrossentropy' : 'meanSquaredError';
}

/**
 * Lines that put layers together the way bn-suite's build does (models/build.ts `wire`): a
 * Sequential starts with an input layer so a nested model stays one layer; a functional model
 * applies the layers in order.
 */
function wireLines(kind: ContainerKind, variable: string, name: string, inputName: string, shape: string, layers: readonly string[], fixedBatch?: number): string[] {
  // A fixed batch (a bare layer built for its data) gives the input a full batch shape.
  const batchShape = fixedBatch !== undefined ? `[${numberLiteral(fixedBatch)}, ...${shape}]` : null;
  if (kind === 'sequential') {
    const size = batchShape !== null ? `batchInputShape: ${batchShape}` : `inputShape: ${shape}`;
    const list = [`tfl.layers.inputLayer({ ${size}, name: ${stringLiteral(inputName)} })`, ...layers].join(', ');
    return [`  const ${variable} = tfl.sequential({ name: ${stringLiteral(name)}, layers: [${list}] });`];
  }
  const input = `${variable}Input`;
  const output = layers.reduce((tensor, layer) => `${layer}.apply(${tensor})`, input);
  const size = batchShape !== null ? `batchShape: ${batchShape}` : `shape: ${shape}`;
  return [`  const ${input} = tfl.input({ ${size}, name: ${stringLiteral(inputName)} });`, `  const ${variable} = tfl.model({ inputs: ${input}, outputs: ${output}, name: ${stringLiteral(name)} });`];
}

/** The regularizer and constraint options of the BN constructor, as tfjs-layers calls. */
function bnWeightOptionLines(bn: CaseSpec['model']['bn']): string[] {
  const regularizer = (r: RegularizerSpec) => `tfl.regularizers.l1l2({ l1: ${numberLiteral(r.l1 ?? 0)}, l2: ${numberLiteral(r.l2 ?? 0)} })`;
  const constraint = (c: ConstraintSpec) =>
    c === 'nonNeg'
      ? 'tfl.constraints.nonNeg()'
      : c === 'unitNorm'
        ? 'tfl.constraints.unitNorm({})'
        : 'maxNorm' in c
          ? `tfl.constraints.maxNorm({ maxValue: ${numberLiteral(c.maxNorm.maxValue)} })`
          : `tfl.constraints.minMaxNorm({ minValue: ${numberLiteral(c.minMaxNorm.minValue)}, maxValue: ${numberLiteral(c.minMaxNorm.maxValue)}, rate: ${numberLiteral(c.minMaxNorm.rate ?? 1)} })`;
  return [
    ...(bn.gammaRegularizer !== undefined ? [`    gammaRegularizer: ${regularizer(bn.gammaRegularizer)},`] : []),
    ...(bn.betaRegularizer !== undefined ? [`    betaRegularizer: ${regularizer(bn.betaRegularizer)},`] : []),
    ...(bn.gammaConstraint !== undefined ? [`    gammaConstraint: ${constraint(bn.gammaConstraint)},`] : []),
    ...(bn.betaConstraint !== undefined ? [`    betaConstraint: ${constraint(bn.betaConstraint)},`] : []),
  ];
}

/** The tfjs-layers call that makes the Dense or Conv2D layer in front of BN, with the spec's structural options (its weights are set afterwards). */
function featureLayerCall(m: CaseSpec['model']): string {
  const f = m.features ?? {};
  const options = [
    ...(m.architecture === 'conv'
      ? [`filters: ${numberLiteral(m.hiddenUnits)}`, `kernelSize: ${shapeLiteral(f.kernelSize ?? [3, 3])}`, `padding: ${stringLiteral(f.padding ?? 'same')}`, ...(f.strides !== undefined ? [`strides: ${shapeLiteral(f.strides)}`] : [])]
      : [`units: ${numberLiteral(m.hiddenUnits)}`]),
    ...(f.useBias === false ? ['useBias: false'] : []),
    ...(f.activation !== undefined ? [`activation: ${stringLiteral(f.activation)}`] : []),
    `name: ${stringLiteral(LAYER_NAMES.features)}`,
  ];
  return `tfl.layers.${m.architecture === 'conv' ? 'conv2d' : 'dense'}({ ${options.join(', ')} })`;
}

/** The variable holding what `freeze: base` freezes: the outermost nested model. */
function frozenContainer(spec: Pick<CaseSpec, 'model'>): string {
  return (spec.model.depth ?? 1) === 2 ? 'wrapper' : 'base';
}

/** Lines that build the model with plain tfjs-layers calls, set the captured weights, make x and y, and freeze as the case does. */
function modelLines(spec: CaseSpec, capture: CaseCapture): string[] {
  return [...modelBuildLines(spec.model, capture.weights), '', '  const x = tf.tensor(X_VALUES, X_SHAPE);', '  const y = tf.tensor(Y_VALUES, Y_SHAPE);', ...freezeLines(spec)];
}

/**
 * Lines that build bn-suite's model (models/build.ts) with plain tfjs-layers calls, named as
 * bn-suite names them (`featureLayer`, `bn`, `head`, `base`, `model`), and set the captured initial
 * weights. Shared by the case repros and the steps-scenario repros.
 */
export function modelBuildLines(m: CaseSpec['model'], weights: CaseCapture['weights']): string[] {
  const spec = { model: m };
  const shape = shapeLiteral(m.inputShape);
  const lines: string[] = [];
  lines.push('  // The layers, made with plain tfjs-layers calls, then put together.');
  const trunk: string[] = [];
  if (m.masking !== undefined) {
    lines.push(`  const maskingLayer = tfl.layers.masking({ maskValue: ${numberLiteral(m.masking.maskValue)}, name: ${stringLiteral(LAYER_NAMES.masking)} });`);
    trunk.push('maskingLayer');
  }
  if (m.architecture !== 'bn-only') {
    lines.push(`  const featureLayer = ${featureLayerCall(m)};`);
    trunk.push('featureLayer');
  }
  lines.push('  const bn = tfl.layers.batchNormalization({');
  lines.push(`    name: ${stringLiteral(m.timeDistributed === true ? LAYER_NAMES.bnInWrapper : LAYER_NAMES.bn)},`);
  lines.push(`    axis: ${numberLiteral(m.bn.axis)},`);
  lines.push(`    momentum: ${numberLiteral(m.bn.momentum)},`);
  lines.push(`    epsilon: ${numberLiteral(m.bn.epsilon)},`);
  lines.push(`    center: ${m.bn.center ? 'true' : 'false'},`);
  lines.push(`    scale: ${m.bn.scale ? 'true' : 'false'},`);
  lines.push(...bnWeightOptionLines(m.bn));
  lines.push('  });');
  if (m.timeDistributed === true) {
    lines.push(`  const timeDistributed = tfl.layers.timeDistributed({ layer: bn, name: ${stringLiteral(LAYER_NAMES.bn)} }); // runs BN once per time step; its weights are bn/...`);
    trunk.push('timeDistributed');
  } else trunk.push('bn');
  const tail: string[] = [];
  if (m.classes > 0) {
    if (m.inputShape.length > 1) {
      lines.push(`  const flatten = tfl.layers.flatten({ name: ${stringLiteral(LAYER_NAMES.flatten)} });`);
      tail.push('flatten');
    }
    const noBias = m.head?.useBias === false ? ', useBias: false' : '';
    lines.push(`  const head = tfl.layers.dense({ units: ${numberLiteral(m.classes)}, activation: ${stringLiteral(m.headActivation ?? 'softmax')}${noBias}, name: ${stringLiteral(LAYER_NAMES.head)} });`);
    tail.push('head');
  }
  const outer = m.container ?? 'functional';
  const inner = m.baseContainer ?? 'functional';
  const depth = m.depth ?? 1;
  if (m.nested) {
    lines.push(`  // Everything up to BN is a base model (${inner}), nested in the ${depth === 2 ? 'wrapper model, itself nested in the ' : ''}outer model (${outer}) as one layer: transfer learning.`);
    lines.push(...wireLines(inner, 'base', LAYER_NAMES.base, 'x', shape, trunk));
    if (depth === 2) lines.push(...wireLines(inner, 'wrapper', LAYER_NAMES.wrapper, 'wrapper_x', shape, ['base']));
    lines.push(...wireLines(outer, 'model', 'model_under_test', 'outer_x', shape, [frozenContainer(spec), ...tail]));
  } else {
    lines.push(...wireLines(outer, 'model', 'model_under_test', 'x', shape, [...trunk, ...tail], m.fixedBatch));
  }
  if (m.shared === true) {
    lines.push('  // A second model shares these layers (built after the model, as in bn-suite).');
    lines.push(...wireLines('functional', 'sibling', LAYER_NAMES.sibling, 'sibling_x', shape, m.nested ? [frozenContainer(spec)] : trunk));
  }
  lines.push('');
  lines.push("  // The initial weights bn-suite's seeded build had, so the numbers do not depend on initializers.");
  lines.push('  // In tf.tidy: the variables keep the values, the literal tensors are freed (a leak check counts them).');
  if (weights.features !== null) lines.push(`  tf.tidy(() => featureLayer.setWeights(${tensorListLiteral(weights.features, '  ')}));`);
  lines.push(`  tf.tidy(() => bn.setWeights(${tensorListLiteral(weights.bn, '  ')}));`);
  if (weights.head !== null) lines.push(`  tf.tidy(() => head.setWeights(${tensorListLiteral(weights.head, '  ')}));`);
  return lines;
}

/** Whether the freeze timing's steps compile the model (so an `after-compile` case's training must not). */
function preludeCompiles(spec: CaseSpec): boolean {
  return spec.freeze !== 'none' && TIMING_STEPS[spec.freezeTiming ?? 'before-compile'].includes('compile');
}

/** The freeze and the timing's steps around it, as in case-run.ts `prepareCase`. */
function freezeLines(spec: CaseSpec): string[] {
  if (spec.freeze === 'none') return [];
  const timing = spec.freezeTiming ?? 'before-compile';
  const target = spec.freeze === 'bn' ? 'bn' : frozenContainer(spec);
  const lines: string[] = [''];
  if (timing === 'before-compile') {
    lines.push(
      spec.freeze === 'bn'
        ? '  // Freeze the BN layer (before compiling). tf.keras / Keras 3 then run it in inference mode.'
        : '  // Freeze the whole base (before compiling), the transfer-learning move. tf.keras / Keras 3 then run its BN in inference mode.',
    );
  } else {
    lines.push(`  // Freeze timing ${stringLiteral(timing)}: ${FREEZE_TIMING_NOTES[timing]}`);
  }
  let compiled = false;
  for (const action of TIMING_STEPS[timing]) {
    if (action === 'freeze') lines.push(`  ${target}.trainable = false;`);
    else if (action === 'unfreeze') lines.push(`  ${target}.trainable = true;`);
    else if (action === 'compile') {
      lines.push(compileLine(spec));
      compiled = true;
    } else lines.push('  // One step before the freeze, with everything trainable.', ...trainingLines(spec, 1, !compiled));
  }
  return lines;
}

/** What each timing means, for the script's comment. */
const FREEZE_TIMING_NOTES: Record<FreezeTiming, string> = {
  'before-compile': 'freeze, then compile.',
  'after-compile': 'compile, then freeze; nothing recompiles, so by the Keras rule the compiled trainable weights still train.',
  'after-compile-recompile': 'compile, freeze, compile again.',
  'unfreeze-refreeze': 'freeze, compile, unfreeze, compile, freeze again (then compile).',
  'between-fits': 'one training step unfrozen, then freeze (then compile).',
};

function compileLine(spec: CaseSpec): string {
  return `  model.compile({ optimizer: tf.train.sgd(${numberLiteral(spec.learningRate)}), loss: ${stringLiteral(lossOf(spec))} });`;
}

/** The case's own training: `spec.steps` steps, compiling first unless an `after-compile` freeze forbids it. */
function caseTrainingLines(spec: CaseSpec): string[] {
  return trainingLines(spec, spec.steps, compilesBeforeTraining(spec) || !preludeCompiles(spec));
}

function trainingLines(spec: CaseSpec, stepCount: number, compile: boolean): string[] {
  const loss = lossOf(spec);
  const steps = numberLiteral(stepCount);
  const lr = numberLiteral(spec.learningRate);
  const compiling = compile ? [compileLine(spec)] : [];
  switch (spec.entryPoint) {
    case 'fit':
      return [...compiling, `  await model.fit(x, y, { epochs: ${steps}, batchSize: ${numberLiteral(spec.data.batch)}, shuffle: false, verbose: 0 });`];
    case 'trainOnBatch':
      return [...compiling, `  for (let step = 0; step < ${steps}; step++) await model.trainOnBatch(x, y);`];
    case 'minimize':
      return [
        '  {',
        `    const optimizer = tf.train.sgd(${lr});`,
        '    const variables = model.trainableWeights.map((w) => w.read());',
        `    for (let step = 0; step < ${steps}; step++) {`,
        `      optimizer.minimize(() => tf.mean(tfl.metrics.${loss}(y, model.apply(x, { training: true }))), false, variables);`,
        '    }',
        '  }',
      ];
    case 'layerApply': {
      const bnInput = spec.model.architecture === 'bn-only' ? 'x' : 'featureLayer.apply(x)';
      const note = spec.model.architecture === 'bn-only' ? ' // BN is the first layer' : ' // what BN sees';
      return ['  {', `    const bnInput = ${bnInput};${note}`, `    for (let step = 0; step < ${steps}; step++) bn.apply(bnInput, { training: true }).dispose();`, '  }'];
    }
  }
}

function frozenStatsBody(spec: CaseSpec): string[] {
  return [
    '  const statistic = (kind) => bn.weights.find((w) => w.name.includes(kind));',
    "  const movingMean = statistic('moving_mean');",
    "  const movingVariance = statistic('moving_variance');",
    '  const before = { mean: await read(movingMean), variance: await read(movingVariance) };',
    '',
    `  // Train: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`,
    ...caseTrainingLines(spec),
    '',
    '  const after = { mean: await read(movingMean), variance: await read(movingVariance) };',
    '  const meanDrift = drift(before.mean, after.mean);',
    '  const varianceDrift = drift(before.variance, after.variance);',
    '  log(`moving_mean     before ${show(before.mean)}  after ${show(after.mean)}  drift ${num(meanDrift)}`);',
    '  log(`moving_variance before ${show(before.variance)}  after ${show(after.variance)}  drift ${num(varianceDrift)}`);',
    "  log('expected: moving_mean and moving_variance unchanged (tf.keras and Keras 3 run a BN layer with trainable = false in inference mode: no moving-statistic updates)');",
    '  const reproduced = meanDrift > 0 || varianceDrift > 0;',
    "  log(`actual:   ${reproduced ? 'the moving statistics of the frozen BN changed' : 'the moving statistics did not change'}`);",
    '  return reproduced;',
  ];
}

function modeSwitchBody(capture: CaseCapture): string[] {
  const observed = capture.observed as ModeSwitchObservation;
  const lines = [
    '  // Same weights, same input: inference mode first, then training mode (a training-mode call also moves the statistics).',
    '  const inference = model.predict(x);',
    '  const training = model.apply(x, { training: true });',
    '  const inferenceValues = await read(inference);',
    '  const trainingValues = await read(training);',
    `  const tolerance = { atol: ${numberLiteral(observed.tolerance.atol)}, rtol: ${numberLiteral(observed.tolerance.rtol)} }; // float32 round-off allowance`,
    '  let maxAbsDiff = 0;',
    '  let mismatches = 0;',
    '  inferenceValues.forEach((e, i) => {',
    '    const a = trainingValues[i];',
    '    const diff = Number.isNaN(a) || Number.isNaN(e) ? (Number.isNaN(a) && Number.isNaN(e) ? 0 : Infinity) : Math.abs(a - e);',
    '    maxAbsDiff = Math.max(maxAbsDiff, diff);',
    '    if (diff > tolerance.atol + tolerance.rtol * Math.abs(e)) mismatches++;',
    '  });',
    '  log(`model.predict(x)                    ${show(inferenceValues)}`);',
    '  log(`model.apply(x, {training: true})    ${show(trainingValues)}`);',
    '  log(`max abs diff ${num(maxAbsDiff)} (allowed ${num(tolerance.atol)} + ${num(tolerance.rtol)} x |expected|), ${mismatches} of ${inferenceValues.length} values differ`);',
  ];
  if (capture.labels.length > 0) {
    lines.push(
      '  const accuracy = (values) => {',
      '    const classes = values.length / LABELS.length;',
      '    let hits = 0;',
      '    LABELS.forEach((label, r) => {',
      '      const row = values.slice(r * classes, (r + 1) * classes);',
      '      if (row.indexOf(Math.max(...row)) === label) hits++;',
      '    });',
      '    return hits / LABELS.length;',
      '  };',
      '  log(`accuracy on the same batch: inference mode ${num(accuracy(inferenceValues))}, training mode ${num(accuracy(trainingValues))}`);',
    );
  }
  lines.push(
    "  log('expected: the same output in both modes (tf.keras and Keras 3 run a BN layer with trainable = false in inference mode, even when called with training = true)');",
    '  const reproduced = mismatches > 0;',
    "  log(`actual:   ${reproduced ? 'training mode normalizes the frozen BN with the batch statistics: the outputs differ' : 'the outputs agree'}`);",
    '  return reproduced;',
  );
  return lines;
}

/**
 * The round trip as tfjs users make it: train, save with a pass-through handler, load from memory,
 * and list what differs: every layer's `trainable` flag (through nested models), the weights an
 * optimizer would train, every weight's values, and predictions.
 */
function roundTripBody(spec: CaseSpec): string[] {
  return [
    `  // Train first, so the moving statistics hold non-default values: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`,
    ...caseTrainingLines(spec),
    '',
    '  let saved;',
    "  await model.save(tf.io.withSaveHandler(async (artifacts) => { saved = artifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));",
    '  const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(saved));',
    '  const flags = (owner, prefix = \'\') => owner.layers.flatMap((layer) => [[prefix + layer.name, layer.trainable], ...(layer.layers ? flags(layer, prefix + layer.name + \'/\') : [])]);',
    '  const differences = [];',
    '  const after = new Map(flags(reloaded));',
    '  for (const [path, trainable] of flags(model)) if (after.get(path) !== trainable) differences.push(`${path}.trainable: ${trainable} -> ${after.get(path)}`);',
    '  const trainableNames = (m) => m.trainableWeights.map((w) => w.originalName).sort().join(\', \');',
    '  if (trainableNames(model) !== trainableNames(reloaded)) differences.push(`trainable weights: [${trainableNames(model)}] -> [${trainableNames(reloaded)}]`);',
    '  const weightsAfter = new Map(reloaded.weights.map((w) => [w.originalName, w]));',
    '  for (const w of model.weights) {',
    '    const other = weightsAfter.get(w.originalName);',
    '    if (other === undefined) { differences.push(`${w.originalName}: missing after reload`); continue; }',
    '    const d = drift(await read(w), await read(other));',
    '    if (d > 0) differences.push(`${w.originalName}: values differ by up to ${num(d)}`);',
    '  }',
    '  const predictionDiff = drift(await read(model.predict(x)), await read(reloaded.predict(x)));',
    '  if (predictionDiff > 0) differences.push(`predict(x): differs by up to ${num(predictionDiff)}`);',
    '  for (const line of differences) log(`after save and load: ${line}`);',
    "  log('expected: the reloaded model has the same trainable flags (a frozen layer or base stays frozen), trainable weights, weights and predictions');",
    '  const reproduced = differences.length > 0;',
    "  log(`actual:   ${reproduced ? `${differences.length} difference(s) after save and load` : 'the reloaded model is the same'}`);",
    '  return reproduced;',
  ];
}

/**
 * The life of a case as a user writes it: build, train, predict, dispose every model (and the
 * optimizer a model compiled with an object does not own), then count what is still alive.
 */
function leakBody(spec: CaseSpec): string[] {
  return [
    `  // Train: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`,
    ...caseTrainingLines(spec),
    '  tf.dispose(model.predict(x));',
    '  tf.dispose([x, y]);',
    '',
    '  // Dispose as a user would: the model, the model sharing its layers if any, the optimizer.',
    `  const variables = new Set([...model.weights${spec.model.shared === true ? ', ...sibling.weights' : ''}]);`,
    '  const optimizer = model.optimizer;',
    '  let thrown = null;',
    '  try {',
    '    model.dispose();',
    ...(spec.model.shared === true ? ['    sibling.dispose();'] : []),
    '  } catch (error) {',
    '    thrown = error.message;',
    '  }',
    '  optimizer?.dispose();',
    '  let leftByDispose = 0;',
    '  for (const variable of variables) {',
    '    let value;',
    '    try { value = variable.read(); } catch { continue; } // read() refuses a disposed weight',
    '    value.dispose(); // freed here so it counts once, as a weight dispose() left',
    '    leftByDispose++;',
    '  }',
    '  const tensorsAfter = tf.memory().numTensors;',
    '  log(`tensors: ${tensorsBefore} before the model, ${tensorsAfter} after dispose; weights dispose() left alive: ${leftByDispose}; dispose() threw: ${thrown === null ? \'no\' : `"${thrown}"`}`);',
    "  log('expected: after every model and the optimizer are disposed, tf.memory().numTensors is back where it started and dispose() throws nothing');",
    '  const reproduced = tensorsAfter !== tensorsBefore || leftByDispose > 0 || thrown !== null;',
    "  log(`actual:   ${reproduced ? `${tensorsAfter - tensorsBefore} tensor(s) leaked, ${leftByDispose} weight(s) left by dispose()${thrown === null ? '' : ', dispose() threw'}` : 'nothing leaked'}`);",
    '  return reproduced;',
  ];
}

/**
 * The Keras rule for `trainable`, checked after the freeze steps: inside a frozen container every
 * layer's own `trainable` is false, and every container lists a weight as trainable exactly when it
 * is not a moving statistic and every layer from the model down to its owner is trainable.
 */
function bookkeepingBody(spec: CaseSpec): string[] {
  const containers = ['model', ...(spec.model.nested ? ['base'] : []), ...((spec.model.depth ?? 1) === 2 ? ['wrapper'] : []), ...(spec.model.shared === true ? ['sibling'] : []), 'bn'];
  return [
    '  // After the freeze steps above: what each container lists, by the Keras rule.',
    '  const problems = [];',
    '  const visit = (layer, frozenBy) => {',
    '    if (frozenBy !== null && layer.trainable) problems.push(`${layer.name}.trainable is still true inside the frozen ${frozenBy} (Keras sets it to false with the ${frozenBy})`);',
    '    const by = frozenBy ?? (layer.trainable ? null : layer.name);',
    '    for (const child of layer.layers ?? []) visit(child, by);',
    '  };',
    '  visit(model, null);',
    ...(spec.model.shared === true ? ['  visit(sibling, null);'] : []),
    '  // The layers from `from` down to the one owning the weight named `name`, or null.',
    '  const pathToOwner = (from, name) => {',
    '    if (!from.layers) return from.weights.some((w) => w.originalName === name) ? [from] : null;',
    '    for (const child of from.layers) { const p = pathToOwner(child, name); if (p !== null) return [from, ...p]; }',
    '    return null;',
    '  };',
    `  for (const container of [${containers.join(', ')}]) {`,
    '    const listed = new Set(container.trainableWeights.map((w) => w.originalName));',
    '    log(`${container.name}: trainable ${container.trainable}; trainableWeights [${[...listed].sort().join(\', \')}]`);',
    '    for (const w of new Set(container.weights)) {',
    '      const statistic = /moving_(mean|variance)/.test(w.originalName);',
    `      const path = pathToOwner(model, w.originalName) ?? ${spec.model.shared === true ? 'pathToOwner(sibling, w.originalName) ?? ' : ''}[];`,
    '      const shouldTrain = !statistic && path.every((layer) => layer.trainable);',
    '      if (shouldTrain && !listed.has(w.originalName)) problems.push(`${container.name} does not list ${w.originalName} as trainable`);',
    "      if (!shouldTrain && listed.has(w.originalName)) problems.push(`${container.name} lists ${w.originalName} as trainable${statistic ? ' (a moving statistic is never trainable)' : ' although it is frozen from there'}`);",
    '    }',
    '  }',
    '  for (const p of problems) log(`problem: ${p}`);',
    "  log('expected (Keras): inside a frozen container every layer is frozen, and no container lists a frozen or moving-statistic weight as trainable');",
    '  const reproduced = problems.length > 0;',
    "  log(`actual:   ${reproduced ? `${problems.length} problem(s) with the trainable bookkeeping` : 'the bookkeeping follows the Keras rule'}`);",
    '  return reproduced;',
  ];
}

/**
 * The layer against the textbook formulas, computed in float64 by the script itself: inference with
 * the moving statistics, the first training-mode call with the batch mean and biased variance, and
 * the moving statistics after the training calls (moving * momentum + batch * (1 - momentum)). The
 * allowances are bn-suite's float32 rounding bounds for this input.
 */
function oracleBody(spec: CaseSpec, capture: CaseCapture): string[] {
  const o = capture.observed as OracleObservation;
  const bn = spec.model.bn;
  const n = numberLiteral;
  const allowance = Object.fromEntries(o.parts.map((p) => [p.part, { atol: p.atol, rtol: p.rtol }]));
  return [
    `  const bnInput = ${spec.model.architecture === 'bn-only' ? 'x' : 'featureLayer.apply(x)'}; // what BN sees`,
    '  const xs = await read(bnInput);',
    '  const shape = bnInput.shape;',
    `  const axis = ${n(bn.axis)} < 0 ? ${n(bn.axis)} + shape.length : ${n(bn.axis)};`,
    '  const channels = shape[axis];',
    '  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);',
    '  const channelOf = (i) => Math.floor(i / inner) % channels;',
    "  const weight = (kind) => { const w = bn.weights.find((v) => v.originalName.endsWith('/' + kind)); return w === undefined ? null : w; };",
    "  const gamma = weight('gamma') ? await read(weight('gamma')) : null;",
    "  const beta = weight('beta') ? await read(weight('beta')) : null;",
    "  const movingMean0 = await read(weight('moving_mean'));",
    "  const movingVariance0 = await read(weight('moving_variance'));",
    '  // Float64 batch moments per channel (biased variance, as Keras and tfjs normalize with).',
    '  const sums = new Float64Array(channels), squares = new Float64Array(channels), counts = new Float64Array(channels);',
    '  xs.forEach((v, i) => { const c = channelOf(i); sums[c] += v; counts[c] += 1; });',
    '  const mean = Array.from(sums, (s, c) => s / counts[c]);',
    '  xs.forEach((v, i) => { const c = channelOf(i); squares[c] += (v - mean[c]) ** 2; });',
    '  const variance = Array.from(squares, (q, c) => q / counts[c]);',
    `  const normalize = (m, v) => xs.map((value, i) => { const c = channelOf(i); return ${bn.scale ? 'gamma[c]' : '1'} * (value - m[c]) / Math.sqrt(v[c] + ${n(bn.epsilon)}) + ${bn.center ? 'beta[c]' : '0'}; });`,
    `  const ALLOWANCE = ${JSON.stringify(allowance)}; // bn-suite's float32 rounding bounds for this input`,
    '  // The first index where |a - b| > atol + rtol * |b| (NaN only matches NaN), or null.',
    '  const mismatch = (a, b, atol, rtol) => {',
    '    if (a.length !== b.length) return 0;',
    '    for (let i = 0; i < a.length; i++) {',
    '      const ok = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? Number.isNaN(a[i]) && Number.isNaN(b[i]) : Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);',
    '      if (!ok) return i;',
    '    }',
    '    return null;',
    '  };',
    '  const parts = [];',
    '  const judge = (part, actual, expected) => {',
    '    const { atol, rtol } = ALLOWANCE[part];',
    '    const bad = mismatch(actual, expected, atol, rtol);',
    '    log(`${part}: tfjs ${show(actual)}; float64 ${show(expected)}; max abs diff ${num(drift(expected, actual))} (allowed ${num(atol)} + ${num(rtol)} x |expected|)${bad === null ? \'\' : `; first out of bounds at ${bad}: ${num(actual[bad])} vs ${num(expected[bad])}`}`);',
    '    if (bad !== null) parts.push(part);',
    '  };',
    "  judge('inference', await read(bn.apply(bnInput, { training: false })), normalize(movingMean0, movingVariance0));",
    "  judge('training', await read(bn.apply(bnInput, { training: true })), normalize(mean, variance));",
    `  for (let call = 2; call <= ${n(o.trainingCalls)}; call++) bn.apply(bnInput, { training: true }).dispose();`,
    '  let expectedMean = movingMean0, expectedVariance = movingVariance0;',
    `  for (let call = 1; call <= ${n(o.trainingCalls)}; call++) {`,
    `    expectedMean = expectedMean.map((m, c) => m * ${n(bn.momentum)} + mean[c] * (1 - ${n(bn.momentum)}));`,
    `    expectedVariance = expectedVariance.map((m, c) => m * ${n(bn.momentum)} + variance[c] * (1 - ${n(bn.momentum)}));`,
    '  }',
    "  judge('moving_mean', await read(weight('moving_mean')), expectedMean);",
    "  judge('moving_variance', await read(weight('moving_variance')), expectedVariance);",
    "  log('expected: inference y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta; training y with the batch mean and biased variance; moving <- moving * momentum + batch * (1 - momentum), within float32 rounding');",
    '  const reproduced = parts.length > 0;',
    "  log(`actual:   ${reproduced ? `out of bounds: ${parts.join(', ')}` : 'every part agrees'}`);",
    '  return reproduced;',
  ];
}

/** What each template adds before the model is built, and its body after; a Record so a new template needs both. */
const REPRO_BODIES: Record<ReproInvariant, { before: string[]; body: (spec: CaseSpec, capture: CaseCapture) => string[] }> = {
  'frozen-moving-stats': { before: [], body: (spec) => frozenStatsBody(spec) },
  'mode-switch': { before: [], body: (_spec, capture) => modeSwitchBody(capture) },
  'round-trip': { before: [], body: (spec) => roundTripBody(spec) },
  'no-leaked-tensors': { before: ['  const tensorsBefore = tf.memory().numTensors; // before the model exists', ''], body: (spec) => leakBody(spec) },
  'trainable-bookkeeping': { before: [], body: (spec) => bookkeepingBody(spec) },
  'oracle-agreement': { before: [], body: (spec, capture) => oracleBody(spec, capture) },
};

/** `read`, `num`, `show` and `drift`: the helpers every generated script has (the caller adds `log`). */
export const SCRIPT_HELPERS: readonly string[] = [
  '// Values are read with await data(): webgpu cannot read synchronously on some adapters.',
  'const read = async (tensorOrVariable) => Array.from(await (tensorOrVariable.read ? tensorOrVariable.read() : tensorOrVariable).data());',
  'const num = (v) => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v));',
  "const show = (values) => `[${values.slice(0, 8).map(num).join(', ')}${values.length > 8 ? `, ... (${values.length} values)` : ''}]`;",
  'const drift = (a, b) => a.reduce((max, v, i) => Math.max(max, Object.is(v, b[i]) ? 0 : Number.isNaN(v) || Number.isNaN(b[i]) ? Infinity : Math.abs(b[i] - v)), 0);',
];

/**
 * The parts of a repro that do not depend on where it runs, shared by `repro.mjs`
 * ({@link renderScript}) and the browser page (render-page.ts), so that both rebuild the case the
 * same way. Each part is a list of lines; the page and the script put their own prelude, printing
 * and exit around them. The generated code reads tensors only with `await tensor.data()`: webgpu's
 * `dataSync()` returns zeros on software adapters and then breaks the device.
 */
export interface ReproParts {
  /** `const SCENARIO = ...` and the other scenario constants (the only place scenario text enters). */
  constants: string[];
  /** `read`, `num`, `show` and `drift`, used by {@link ReproParts.body}; the caller adds `log`. */
  helpers: string[];
  /** First inside `async function main()`: sets the backend, checks that tfjs really runs on it, prints the scenario lines. */
  backendCheck: string[];
  /** Inside `main()`: builds the model, trains or calls it, prints expected vs actual, returns true when it reproduces. */
  body: string[];
  /** After `main()`: the inlined data (X_VALUES, Y_VALUES, LABELS, ...). */
  data: string[];
}

/**
 * Renders the shared {@link ReproParts} for a case. Throws a UsageError for an invariant without a
 * template and an Error when the capture is for another invariant.
 */
export function reproParts(input: ScriptInput): ReproParts {
  const { scenario, backend, capture } = input;
  assertReproTemplate(scenario.invariant);
  const spec = scriptSpec(scenario.invariant, input.spec);
  if (capture.observed.kind !== scenario.invariant) throw new Error(`capture is for ${capture.observed.kind}, scenario for ${scenario.invariant}`);
  return {
    constants: [
      `const SCENARIO = ${stringLiteral(scenario.id)};`,
      `const DESCRIPTION = ${stringLiteral(scenario.description)};`,
      `const INVARIANT = ${stringLiteral(scenario.invariant)};`,
      `const BACKEND = ${stringLiteral(backend)};`,
      `const GENERATOR = ${stringLiteral(`bn-suite ${input.bnSuiteVersion}`)};`,
    ],
    helpers: [...SCRIPT_HELPERS],
    backendCheck: [
      '  if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialize`);',
      '  await tf.ready();',
      '  // tfjs falls back to another backend quietly when one cannot start: insist on the one under test.',
      "  if (tf.getBackend() !== BACKEND) throw new Error(`tfjs runs on backend ${tf.getBackend()}, not ${BACKEND}`);",
      '  log(`scenario: ${SCENARIO}`);',
      '  log(`description: ${DESCRIPTION}`);',
      '  log(`invariant: ${INVARIANT}; generated by ${GENERATOR}`);',
    ],
    body: [...REPRO_BODIES[scenario.invariant].before, ...modelLines(spec, capture), '', ...REPRO_BODIES[scenario.invariant].body(spec, capture)],
    data: [
      '// The data, as float32 values (row-major).',
      `const X_SHAPE = ${shapeLiteral(capture.x.shape)};`,
      `const X_VALUES = ${floatArrayLiteral(capture.x.values, '')};`,
      `const Y_SHAPE = ${shapeLiteral(capture.y.shape)};`,
      `const Y_VALUES = ${floatArrayLiteral(capture.y.values, '')};`,
      `const LABELS = [${capture.labels.map((l) => numberLiteral(l)).join(', ')}];`,
    ],
  };
}

/**
 * Renders `repro.mjs`: a standalone ES module that depends only on @tensorflow/tfjs-core,
 * @tensorflow/tfjs-layers and the backend's package. It rebuilds the case with plain tfjs calls,
 * sets the captured initial weights, inlines the data, runs the entry point, prints expected vs
 * actual with the numbers, and exits 1 when the behaviour reproduces, 0 when it does not (2 when
 * the script itself throws). Scenario text enters only as escaped string literals.
 */
export function renderScript(input: ScriptInput): string {
  return renderScriptFromParts(reproParts(input), input.backend, ['// Standalone reproduction generated by bn-suite. Needs only tfjs-core, tfjs-layers and the backend package:']);
}

/**
 * `repro.mjs` around a repro's parts (see {@link renderScript}): `header` comment lines, the run and
 * exit-code lines, the tfjs imports and `imports` (more import lines), the parts, and
 * {@link SCRIPT_EPILOGUE}. Shared by every kind of Node repro script.
 */
export function renderScriptFromParts(parts: ReproParts, backend: BackendName, header: readonly string[], imports: readonly string[] = []): string {
  const lines = [
    ...header,
    '//   npm install && node repro.mjs',
    '// Exit code 1: the behaviour reproduces; 0: it does not; 2: the script itself failed.',
    "import * as tf from '@tensorflow/tfjs-core';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    `import ${stringLiteral(BACKEND_PACKAGES[backend])};`,
    ...imports,
    '',
    ...parts.constants,
    '',
    ...parts.helpers,
    'const log = (line) => console.log(line);',
    '',
    'async function main() {',
    "  tf.enableProdMode(); // silences tfjs's Node.js banner",
    ...parts.backendCheck,
    '  log(`tfjs-core ${tf.version_core}, tfjs-layers ${tfl.version_layers}, backend ${tf.getBackend()}, Node ${process.versions.node}`);',
    '',
    ...parts.body,
    '}',
    '',
    ...parts.data,
    '',
    ...SCRIPT_EPILOGUE,
  ];
  return lines.join('\n');
}

/** The end of every generated script: runs main() and exits 1 / 0 / 2 with a RESULT line once stdout is flushed. */
export const SCRIPT_EPILOGUE: readonly string[] = [
  '// Exit once stdout is flushed (process.exit alone may cut piped output short).',
  'const finish = (line, code) => process.stdout.write(`${line}\\n`, () => process.exit(code));',
  'main().then(',
  "  (reproduced) => finish(`RESULT: ${reproduced ? 'reproduced' : 'not reproduced'}`, reproduced ? 1 : 0),",
  '  (error) => {',
  '    console.error(error);',
  "    finish('RESULT: script error', 2);",
  '  },',
  ');',
  '',
];
