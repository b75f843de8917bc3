import { BACKEND_PACKAGES, type BackendName } from '../../engine/backends';
import { deriveSeed } from '../../engine/data/rng';
import type { OptimizerKind } from '../../engine/run/optimizers';
import { UsageError } from '../../engine/errors';
import { INVARIANT_IDS, type InvariantId } from '../../engine/invariants/types';
import { LAYER_NAMES, type ConstraintSpec, type ContainerKind, type RegularizerSpec } from '../../engine/models/spec';
import type { Tolerance } from '../../engine/oracle/compare';
import { NODE_FRAME, TFJS_FRAME } from '../../engine/run/error-origin';
import type { CaseSpec, FreezeTiming } from '../../engine/run/case-spec';
import { compilesBeforeTraining, TIMING_STEPS } from '../../engine/run/case-run';
import {
  scriptSpec,
  type CaptureInputs,
  type CaseCapture,
  type CaseWeights,
  type GradientObservation,
  type InlineTensor,
  type ModeSwitchObservation,
  type Observation,
  type Observations,
  type OracleObservation,
  type ParityObservation,
  type ThrowObservation,
  type TrainingObservation,
} from './capture';
import { MESSAGE_NUMBERS } from './minimize';

export {
  captureCase,
  layerWeights,
  scriptSpec,
  type BookkeepingObservation,
  type CaseCapture,
  type DeterminismObservation,
  type FrozenStatsObservation,
  type GammaBetaObservation,
  type GradientObservation,
  type InlineTensor,
  type LeakObservation,
  type ModeSwitchObservation,
  type OracleObservation,
  type ParityObservation,
  type PurityObservation,
  type RoundTripObservation,
  type ThrowObservation,
  type TrainingObservation,
} from './capture';

/** Every invariant has a repro template (the catalogue below is a Record over them). */
export const REPRO_TEMPLATES: readonly InvariantId[] = INVARIANT_IDS;

/** An invariant with a repro template: every one. */
export type ReproInvariant = InvariantId;

/** True when {@link renderScript} can write a script for the invariant (any invariant id). */
export function hasReproTemplate(invariant: string): invariant is ReproInvariant {
  return (REPRO_TEMPLATES as readonly string[]).includes(invariant);
}

/** Throws the UsageError the CLI shows for a name that is no invariant with a template. */
export function assertReproTemplate(invariant: string): asserts invariant is ReproInvariant {
  if (!hasReproTemplate(invariant)) {
    throw new UsageError(`no repro template for invariant ${invariant} (templates exist for: ${REPRO_TEMPLATES.join(', ')})`);
  }
}

/** What the script says about its scenario. Free text: it only ever enters the script as a string literal. */
export interface ScenarioMeta {
  id: string;
  description: string;
  invariant: InvariantId;
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

/**
 * The BN constructor's initializers as bn-suite's build makes them (models/build.ts `makeBnLayer`):
 * the values are set afterwards anyway, but the layer's config (getConfig, a saved model) names them.
 */
function bnInitializerLines(bn: CaseSpec['model']['bn'], seed: number): string[] {
  const random = (min: number, max: number, label: string) => `tfl.initializers.randomUniform({ minval: ${numberLiteral(min)}, maxval: ${numberLiteral(max)}, seed: ${numberLiteral(deriveSeed(seed, label))} })`;
  const constant = (value: number) => `tfl.initializers.constant({ value: ${numberLiteral(value)} })`;
  return [
    `    gammaInitializer: ${bn.gammaInit !== undefined ? constant(bn.gammaInit) : random(0.5, 1.5, 'gamma')},`,
    `    betaInitializer: ${bn.betaInit !== undefined ? constant(bn.betaInit) : random(-0.5, 0.5, 'beta')},`,
    `    movingMeanInitializer: ${constant(bn.movingMeanInit)},`,
    `    movingVarianceInitializer: ${constant(bn.movingVarianceInit)},`,
  ];
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

/**
 * Lines that build the model with plain tfjs-layers calls, set the captured weights, make x and y
 * from the inlined data (`X_VALUES`, `X_SHAPE`, ... or another case's, by prefix), and freeze as
 * the case does.
 */
function modelLines(spec: CaseSpec, weights: CaseWeights, data: { x: string; y: string } = { x: 'X', y: 'Y' }): string[] {
  return [...modelBuildLines(spec.model, weights), '', `  const x = tf.tensor(${data.x}_VALUES, ${data.x}_SHAPE);`, `  const y = tf.tensor(${data.y}_VALUES, ${data.y}_SHAPE);`, ...freezeLines(spec)];
}

/**
 * Lines that build bn-suite's model (models/build.ts) with plain tfjs-layers calls, named as
 * bn-suite names them (`featureLayer`, `bn`, `head`, `base`, `model`), and set the captured initial
 * weights. Shared by the case repros and the steps-scenario repros.
 */
export function modelBuildLines(m: CaseSpec['model'], weights: CaseWeights): string[] {
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
  lines.push(...bnInitializerLines(m.bn, m.seed));
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

/**
 * The tfjs call that makes the case's optimizer, with the arguments bn-suite's factories
 * (engine/run/optimizers.ts) give it.
 */
function optimizerCall(spec: CaseSpec): string {
  const lr = numberLiteral(spec.learningRate);
  const kind = spec.optimizer ?? 'sgd';
  const extra: Record<OptimizerKind, string> = { sgd: '', momentum: ', 0.9', adam: '', rmsprop: ', 0.9, 0', adagrad: '', adadelta: '', adamax: '' };
  return `tf.train.${kind}(${lr}${extra[kind]})`;
}

function compileLine(spec: CaseSpec): string {
  return `  model.compile({ optimizer: ${optimizerCall(spec)}, loss: ${stringLiteral(lossOf(spec))} });`;
}

/** The case's own training: `spec.steps` steps, compiling first unless an `after-compile` freeze forbids it. */
function caseTrainingLines(spec: CaseSpec): string[] {
  return trainingLines(spec, spec.steps, compilesBeforeTraining(spec) || !preludeCompiles(spec));
}

function trainingLines(spec: CaseSpec, stepCount: number, compile: boolean): string[] {
  const loss = lossOf(spec);
  const steps = numberLiteral(stepCount);
  const compiling = compile ? [compileLine(spec)] : [];
  // Named for a repro of a throw, which says which call threw.
  const calling = callingLine(describeEntryPoint({ ...spec, steps: stepCount }));
  switch (spec.entryPoint) {
    case 'fit':
      return [...compiling, calling, `  await model.fit(x, y, { epochs: ${steps}, batchSize: ${numberLiteral(spec.data.batch)}, shuffle: false, verbose: 0 });`];
    case 'trainOnBatch':
      return [...compiling, calling, `  for (let step = 0; step < ${steps}; step++) await model.trainOnBatch(x, y);`];
    case 'minimize':
      return [
        calling,
        '  {',
        `    const optimizer = ${optimizerCall(spec)};`,
        '    const variables = model.trainableWeights.map((w) => w.read());',
        `    for (let step = 0; step < ${steps}; step++) {`,
        `      optimizer.minimize(() => tf.mean(tfl.metrics.${loss}(y, model.apply(x, { training: true }))), false, variables);`,
        '    }',
        '  }',
      ];
    case 'layerApply': {
      const bnInput = spec.model.architecture === 'bn-only' ? 'x' : 'featureLayer.apply(x)';
      const note = spec.model.architecture === 'bn-only' ? ' // BN is the first layer' : ' // what BN sees';
      return [calling, '  {', `    const bnInput = ${bnInput};${note}`, `    for (let step = 0; step < ${steps}; step++) bn.apply(bnInput, { training: true }).dispose();`, '  }'];
    }
  }
}

/** `calling = '...';`: names the tfjs call about to run, for a repro of a throw (see {@link throwLines}). */
function callingLine(call: string): string {
  return `  calling = ${stringLiteral(call)};`;
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

/** Without an observation (bn-suite saw the case throw) the outputs are printed, not judged: there is no allowance. */
function modeSwitchBody(capture: CaseCapture, observed: ModeSwitchObservation | null): string[] {
  const tolerance = observed === null ? 'null' : `{ atol: ${numberLiteral(observed.tolerance.atol)}, rtol: ${numberLiteral(observed.tolerance.rtol)} }`;
  const lines = [
    '  // Same weights, same input: inference mode first, then training mode (a training-mode call also moves the statistics).',
    callingLine('model.predict(x)'),
    '  const inference = model.predict(x);',
    callingLine('model.apply(x, {training: true})'),
    '  const training = model.apply(x, { training: true });',
    '  const inferenceValues = await read(inference);',
    '  const trainingValues = await read(training);',
    `  const tolerance = ${tolerance}; // float32 round-off allowance`,
    '  let maxAbsDiff = 0;',
    '  let mismatches = 0;',
    '  inferenceValues.forEach((e, i) => {',
    '    const a = trainingValues[i];',
    '    const diff = Number.isNaN(a) || Number.isNaN(e) ? (Number.isNaN(a) && Number.isNaN(e) ? 0 : Infinity) : Math.abs(a - e);',
    '    maxAbsDiff = Math.max(maxAbsDiff, diff);',
    '    if (tolerance !== null && diff > tolerance.atol + tolerance.rtol * Math.abs(e)) mismatches++;',
    '  });',
    '  log(`model.predict(x)                    ${show(inferenceValues)}`);',
    '  log(`model.apply(x, {training: true})    ${show(trainingValues)}`);',
    `  log(\`max abs diff \${num(maxAbsDiff)} \${tolerance === null ? ${stringLiteral(NOT_JUDGED)} : \`(allowed \${num(tolerance.atol)} + \${num(tolerance.rtol)} x |expected|), \${mismatches} of \${inferenceValues.length} values differ\`}\`);`,
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
    callingLine('model.save(tf.io.withSaveHandler(...)), then tfl.loadLayersModel(tf.io.fromMemory(...))'),
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
    callingLine('model.predict(x)'),
    '  tf.dispose(model.predict(x));',
    '  tf.dispose([x, y]);',
    '',
    '  // Dispose as a user would: the model, the model sharing its layers if any, the optimizer.',
    `  const variables = new Set([...model.weights${spec.model.shared === true ? ', ...sibling.weights' : ''}]);`,
    '  let thrown = null;',
    ...disposeModelLines(spec, 'thrown = error.message;'),
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
 * Lines that dispose the case's models as a user would: the model and the model sharing its layers
 * (a throw of theirs runs `onThrow`, with `error` in scope), then the optimizer the model was
 * compiled with, which a model compiled with an optimizer object does not own.
 */
function disposeModelLines(spec: CaseSpec, onThrow: string): string[] {
  return [
    '  const optimizer = model.optimizer;',
    '  try {',
    '    model.dispose();',
    ...(spec.model.shared === true ? ['    sibling.dispose();'] : []),
    '  } catch (error) {',
    `    ${onThrow}`,
    '  }',
    '  optimizer?.dispose();',
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

/** Said where a template cannot judge numbers: bn-suite measured none on a case it saw throw. */
const NOT_JUDGED = '(not judged: bn-suite saw this case throw, so it has no allowance for it)';

/**
 * Lines that lay BN's channels over the flat values of `input` (`channels`, `channelOf(i)`) and
 * compute float64 batch moments per channel (`moments(values)`: the mean and the biased variance,
 * as Keras and tfjs normalize with).
 */
function channelLines(axis: number, input: string): string[] {
  const n = numberLiteral;
  return [
    `  const shape = ${input}.shape;`,
    `  const axis = ${n(axis)} < 0 ? ${n(axis)} + shape.length : ${n(axis)};`,
    '  const channels = shape[axis];',
    '  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);',
    '  const channelOf = (i) => Math.floor(i / inner) % channels;',
    '  // Float64 batch moments per channel (biased variance, as Keras and tfjs normalize with).',
    '  const moments = (values) => {',
    '    const sums = new Float64Array(channels), squares = new Float64Array(channels), counts = new Float64Array(channels);',
    '    values.forEach((v, i) => { const c = channelOf(i); sums[c] += v; counts[c] += 1; });',
    '    const mean = Array.from(sums, (s, c) => s / counts[c]);',
    '    values.forEach((v, i) => { const c = channelOf(i); squares[c] += (v - mean[c]) ** 2; });',
    '    return { mean, variance: Array.from(squares, (q, c) => q / counts[c]) };',
    '  };',
  ];
}

/** `weightOf(layer, kind)`: the layer's weight whose name ends in `/<kind>`, or null (a BN without center has no beta). */
const WEIGHT_OF = "  const weightOf = (layer, kind) => layer.weights.find((w) => w.originalName.endsWith('/' + kind)) ?? null;";

/** An object literal of allowances by part, every name and number through the literal helpers. */
function allowanceLiteral(allowance: Readonly<Record<string, Tolerance>>): string {
  const entries = Object.entries(allowance).map(([part, t]) => `${stringLiteral(part)}: { atol: ${numberLiteral(t.atol)}, rtol: ${numberLiteral(t.rtol)} }`);
  return entries.length === 0 ? '{}' : `{\n${entries.map((e) => `    ${e},`).join('\n')}\n  }`;
}

/**
 * The judging helpers of the templates that compare numbers within bn-suite's allowances (oracle,
 * gradient, training, backend parity): `ALLOWANCE` by part, `mismatch` (compareArrays's rule: NaN
 * matches only NaN, an infinity only itself, else |a - e| <= atol + rtol * |e|), `failed` (the
 * parts out of bounds) and `judge(part, actualSide, actual, expectedSide, expected, key = part)`,
 * which prints both sides, the largest difference and the allowance `ALLOWANCE[key]`. Without
 * allowances (null: bn-suite saw the case throw and measured nothing) the numbers are printed and
 * not judged.
 */
function judgeLines(allowance: Readonly<Record<string, Tolerance>> | null, what: string): string[] {
  return [
    `  const ALLOWANCE = ${allowance === null ? 'null' : allowanceLiteral(allowance)}; // ${what}`,
    '  // The first index where a and b disagree (as bn-suite compares: NaN only matches NaN, an infinity only itself), or null.',
    '  const mismatch = (a, b, atol, rtol) => {',
    '    if (a.length !== b.length) return 0;',
    '    for (let i = 0; i < a.length; i++) {',
    '      const ok = a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])) || (Number.isFinite(a[i]) && Number.isFinite(b[i]) && Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]));',
    '      if (!ok) return i;',
    '    }',
    '    return null;',
    '  };',
    '  const failed = [];',
    '  const judge = (part, actualSide, actual, expectedSide, expected, key = part) => {',
    '    const line = `${part}: ${actualSide} ${show(actual)}; ${expectedSide} ${show(expected)}; max abs diff ${num(drift(expected, actual))}`;',
    `    if (ALLOWANCE === null) return log(\`\${line} \${${stringLiteral(NOT_JUDGED)}}\`);`,
    '    const { atol, rtol } = ALLOWANCE[key];',
    '    const bad = mismatch(actual, expected, atol, rtol);',
    '    log(`${line} (allowed ${num(atol)} + ${num(rtol)} x |expected|)${bad === null ? \'\' : `; first out of bounds at ${bad}: ${num(actual[bad])} vs ${num(expected[bad])}`}`);',
    '    if (bad !== null) failed.push(part);',
    '  };',
  ];
}

/** The closing lines of a judging template: the rule, and which parts broke it. */
function judgedVerdictLines(expected: string): string[] {
  return [
    `  log(${stringLiteral(`expected: ${expected}`)});`,
    '  const reproduced = failed.length > 0;',
    "  log(`actual:   ${reproduced ? `out of bounds: ${failed.join(', ')}` : 'every part agrees'}`);",
    '  return reproduced;',
  ];
}

/** The allowances of a judged observation by part, or null without one. */
function allowancesOf(observed: { parts: ReadonlyArray<{ part: string; atol: number; rtol: number }> } | null): Record<string, Tolerance> | null {
  return observed === null ? null : Object.fromEntries(observed.parts.map((p) => [p.part, { atol: p.atol, rtol: p.rtol }]));
}

/** What BN sees: x itself for a model that starts with BN, else the layer before BN applied to x. */
function bnInputExpression(spec: CaseSpec): string {
  return spec.model.architecture === 'bn-only' ? 'x' : 'featureLayer.apply(x)';
}

/**
 * The layer against the textbook formulas, computed in float64 by the script itself: inference with
 * the moving statistics, the first training-mode call with the batch mean and biased variance, and
 * the moving statistics after the training calls (moving * momentum + batch * (1 - momentum)). The
 * allowances are bn-suite's float32 rounding bounds for this input.
 */
function oracleBody(spec: CaseSpec, observed: OracleObservation | null): string[] {
  const bn = spec.model.bn;
  const n = numberLiteral;
  // Without an observation (the case threw), as many calls as the check makes.
  const trainingCalls = observed?.trainingCalls ?? Math.max(1, spec.steps);
  return [
    `  const bnInput = ${bnInputExpression(spec)}; // what BN sees`,
    '  const xs = await read(bnInput);',
    ...channelLines(bn.axis, 'bnInput'),
    WEIGHT_OF,
    "  const gamma = weightOf(bn, 'gamma') ? await read(weightOf(bn, 'gamma')) : null;",
    "  const beta = weightOf(bn, 'beta') ? await read(weightOf(bn, 'beta')) : null;",
    "  const movingMean0 = await read(weightOf(bn, 'moving_mean'));",
    "  const movingVariance0 = await read(weightOf(bn, 'moving_variance'));",
    '  const { mean, variance } = moments(xs);',
    `  const normalize = (m, v) => xs.map((value, i) => { const c = channelOf(i); return ${bn.scale ? 'gamma[c]' : '1'} * (value - m[c]) / Math.sqrt(v[c] + ${n(bn.epsilon)}) + ${bn.center ? 'beta[c]' : '0'}; });`,
    ...judgeLines(allowancesOf(observed), "bn-suite's float32 rounding bounds for this input"),
    callingLine('bn.apply(bnInput, {training: false})'),
    "  judge('inference', 'tfjs', await read(bn.apply(bnInput, { training: false })), 'float64', normalize(movingMean0, movingVariance0));",
    callingLine('bn.apply(bnInput, {training: true})'),
    "  judge('training', 'tfjs', await read(bn.apply(bnInput, { training: true })), 'float64', normalize(mean, variance));",
    `  for (let call = 2; call <= ${n(trainingCalls)}; call++) bn.apply(bnInput, { training: true }).dispose();`,
    '  let expectedMean = movingMean0, expectedVariance = movingVariance0;',
    `  for (let call = 1; call <= ${n(trainingCalls)}; call++) {`,
    `    expectedMean = expectedMean.map((m, c) => m * ${n(bn.momentum)} + mean[c] * (1 - ${n(bn.momentum)}));`,
    `    expectedVariance = expectedVariance.map((m, c) => m * ${n(bn.momentum)} + variance[c] * (1 - ${n(bn.momentum)}));`,
    '  }',
    "  judge('moving_mean', 'tfjs', await read(weightOf(bn, 'moving_mean')), 'float64', expectedMean);",
    "  judge('moving_variance', 'tfjs', await read(weightOf(bn, 'moving_variance')), 'float64', expectedVariance);",
    ...judgedVerdictLines('inference y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta; training y with the batch mean and biased variance; moving <- moving * momentum + batch * (1 - momentum), within float32 rounding'),
  ];
}

/**
 * Training with the BN frozen, then gamma and beta compared bit for bit with their values before.
 * Judged are the weights bn-suite's check holds still (after a freeze without a recompile, what
 * compile collected may still train: by the Keras rule the freeze takes effect at the next compile).
 */
function gammaBetaBody(spec: CaseSpec, judged: readonly string[] | undefined): string[] {
  const names = judged === undefined ? "bn.weights.map((w) => w.originalName).filter((name) => /\\/(gamma|beta)$/.test(name))" : `[${judged.map(stringLiteral).join(', ')}]`;
  return [
    `  const judged = bn.weights.filter((w) => ${names}.includes(w.originalName)); // gamma and beta, held still by the freeze`,
    '  const before = [];',
    '  for (const w of judged) before.push(await read(w));',
    '',
    `  // Train: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`,
    ...caseTrainingLines(spec),
    '',
    '  const moved = [];',
    '  for (const [i, w] of judged.entries()) {',
    '    const after = await read(w);',
    '    const d = drift(before[i], after);',
    '    log(`${w.originalName} before ${show(before[i])}  after ${show(after)}  drift ${num(d)}`);',
    '    if (d > 0) moved.push(w.originalName);',
    '  }',
    "  log('expected: gamma and beta unchanged (a frozen layer contributes no trainable weights: no optimizer step after the next compile may change them)');",
    '  const reproduced = moved.length > 0;',
    "  log(`actual:   ${reproduced ? `${moved.join(', ')} changed` : 'gamma and beta did not change'}`);",
    '  return reproduced;',
  ];
}

/**
 * The inference calls of bn-suite's purity check, each between two readings of every weight:
 * `predict`, `evaluate`, `apply(training=false)` and `execute`. Every call runs even when an earlier
 * one throws (a throw must not hide a weight another call moves); a throw is rethrown at the end
 * when no weight moved, as the check does.
 */
function purityBody(spec: CaseSpec): string[] {
  return [
    '  // evaluate needs a compiled model; compiling changes no weight.',
    compileLine(spec),
    '  const calls = [',
    "    ['model.predict(x)', () => tf.dispose(model.predict(x))],",
    "    ['model.evaluate(x, y)', () => tf.dispose(model.evaluate(x, y))],",
    "    ['model.apply(x, {training: false})', () => tf.dispose(model.apply(x, { training: false }))],",
    "    ['model.execute(x, model.outputs[0].name)', () => tf.dispose(model.execute(x, model.outputs[0].name))],",
    '  ];',
    '  const weightValues = async () => { const values = []; for (const w of model.weights) values.push(await read(w)); return values; };',
    '  const moved = [];',
    '  let firstThrow = null;',
    '  for (const [call, invoke] of calls) {',
    '    const before = await weightValues();',
    '    try {',
    '      invoke();',
    '    } catch (error) {',
    '      firstThrow ??= { call, error };',
    '    }',
    '    const after = await weightValues();',
    '    model.weights.forEach((w, i) => {',
    '      const d = drift(before[i], after[i]);',
    '      if (d > 0) {',
    '        moved.push(`${call} ${w.originalName}`);',
    '        log(`${call} changed ${w.originalName}: before ${show(before[i])}  after ${show(after[i])}  drift ${num(d)}`);',
    '      }',
    '    });',
    '  }',
    '  if (moved.length === 0 && firstThrow !== null) {',
    '    calling = firstThrow.call;',
    '    throw firstThrow.error;',
    '  }',
    "  log('expected: predict, evaluate, execute and apply(x, {training: false}) change no weight, moving statistics included');",
    '  const reproduced = moved.length > 0;',
    "  log(`actual:   ${reproduced ? `${moved.length} weight change(s) by inference calls${firstThrow === null ? '' : `; ${firstThrow.call} also threw ${firstThrow.error.message}`}` : 'no weight changed'}`);",
    '  return reproduced;',
  ];
}

/** Indents lines (every physical line, for lines that hold several) by `by`. */
function indented(lines: readonly string[], by: string): string[] {
  return lines.join('\n').split('\n').map((line) => (line === '' ? line : `${by}${line}`));
}

/** `const <name> = async (<params>) => { ... };` around lines written for main()'s own scope. */
function functionLines(name: string, params: string, body: readonly string[]): string[] {
  return [`  const ${name} = async (${params}) => {`, ...indented(body, '  '), '  };'];
}

/**
 * The case run from scratch as bn-suite's determinism check runs it, twice, then another case, then
 * the case again: build, set the weights, freeze, train, and the trained weights' bytes, sorted by
 * name. Each run's bytes are compared with the first run's, byte for byte.
 */
function determinismBody(spec: CaseSpec, model: readonly string[], interloper: NonNullable<CaptureInputs['interloper']>): string[] {
  const dispose = (s: CaseSpec) => [...disposeModelLines(s, '// disposal is not what this checks'), '  tf.dispose([x, y]);'];
  return [
    '  // The trained weights, sorted by name, with their bytes.',
    '  const trainedWeights = async (m) => {',
    '    const weights = [];',
    '    for (const w of m.weights) weights.push({ name: w.originalName, values: new Float32Array(await read(w)) });',
    '    return weights.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));',
    '  };',
    '  // One run of the case from scratch: build, set the weights, freeze, train.',
    ...functionLines('runCase', '', [...model, `  // Train: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`, ...caseTrainingLines(spec), '  const trained = await trainedWeights(model);', ...dispose(spec), '  return trained;']),
    "  // Other work in between: another model (bn-suite's check runs this one), so tfjs's global state has moved on.",
    ...functionLines('runOtherCase', '', [...modelLines(interloper.spec, interloper.weights, { x: 'OTHER_X', y: 'OTHER_Y' }), ...caseTrainingLines(interloper.spec), ...dispose(interloper.spec)]),
    '  // The first byte at which two runs differ, with the weight and element it falls in, or null.',
    '  const firstDifference = (a, b) => {',
    '    let offset = 0;',
    '    for (let k = 0; k < Math.max(a.length, b.length); k++) {',
    "      if (a[k]?.name !== b[k]?.name || a[k].values.length !== b[k].values.length) return { byte: offset, where: `the weights differ: ${a[k]?.name} vs ${b[k]?.name}` };",
    '      const bytesA = new Uint8Array(a[k].values.buffer), bytesB = new Uint8Array(b[k].values.buffer);',
    '      for (let i = 0; i < bytesA.length; i++) {',
    '        if (bytesA[i] !== bytesB[i]) { const e = Math.floor(i / 4); return { byte: offset + i, where: `${a[k].name}[${e}]: ${a[k].values[e]} vs ${b[k].values[e]}` }; }',
    '      }',
    '      offset += bytesA.length;',
    '    }',
    '    return null;',
    '  };',
    '  const first = await runCase();',
    '  const size = first.reduce((total, w) => total + w.values.length * 4, 0);',
    "  log(`run 1: ${size} bytes of trained weights (${first.map((w) => `${w.name} ${show(Array.from(w.values))}`).join('; ')})`);",
    '  const differences = [];',
    '  const compare = (label, run) => {',
    '    const d = firstDifference(first, run);',
    "    log(`${label}: ${d === null ? 'byte-identical to run 1' : `differs from run 1 at byte ${d.byte} (${d.where})`}`);",
    '    if (d !== null) differences.push(label);',
    '  };',
    "  compare('run 2', await runCase());",
    '  await runOtherCase();',
    "  compare('run 3, after another model', await runCase());",
    "  log('expected: the same seeded case gives byte-identical weights every time, whatever ran before');",
    '  const reproduced = differences.length > 0;',
    "  log(`actual:   ${reproduced ? `${differences.join(' and ')} differ` : 'every run is byte-identical'}`);",
    '  return reproduced;',
  ];
}

/**
 * The case run on the case's backend and on each other one: build, set the weights, freeze, train,
 * predict; the predictions and every weight of each other backend within bn-suite's float32
 * allowances of the reference backend's (derived from the reference run's magnitudes).
 */
function parityBody(spec: CaseSpec, model: readonly string[], otherBackends: readonly BackendName[], observed: ParityObservation | null): string[] {
  const allowance = observed === null ? null : { predictions: observed.tolerances.predictions, ...observed.tolerances.weights };
  return [
    '  // The case on one backend: build, set the weights, freeze, train, predict.',
    ...functionLines('runOn', 'backendName', [
      "  calling = `tf.setBackend('${backendName}')`;",
      "  if (!(await tf.setBackend(backendName)) || tf.getBackend() !== backendName) throw new Error(`backend ${backendName} did not start (tfjs runs on ${tf.getBackend()})`);",
      ...model,
      `  // Train: ${describeEntryPoint(spec).replace(/[^\x20-\x7e]/g, '?')}`,
      ...caseTrainingLines(spec),
      callingLine('model.predict(x)'),
      '  const predictions = await read(model.predict(x));',
      '  const weights = new Map();',
      '  for (const w of model.weights) weights.set(w.originalName, await read(w));',
      ...disposeModelLines(spec, '// disposal is not what this checks'),
      '  tf.dispose([x, y]);',
      '  return { predictions, weights };',
    ]),
    ...judgeLines(allowance, "bn-suite's float32 allowances, from the reference backend's run (they grow with the training steps)"),
    '  const reference = await runOn(BACKEND);',
    `  for (const other of [${otherBackends.map(stringLiteral).join(', ')}]) {`,
    '    const run = await runOn(other);',
    "    judge(`${other} predictions`, other, run.predictions, BACKEND, reference.predictions, 'predictions');",
    '    for (const name of [...new Set([...reference.weights.keys(), ...run.weights.keys()])].sort()) {',
    '      if (!reference.weights.has(name) || !run.weights.has(name)) {',
    '        log(`${other} ${name}: absent on ${reference.weights.has(name) ? other : BACKEND}`);',
    '        failed.push(`${other} ${name}`);',
    '      } else judge(`${other} ${name}`, other, run.weights.get(name), BACKEND, reference.weights.get(name), name);',
    '    }',
    '  }',
    '  await tf.setBackend(BACKEND);',
    ...judgedVerdictLines('the same seeded case ends with the same weights (moving statistics included) and predictions on every backend, within float32 rounding'),
  ];
}

/**
 * BN's backward pass against the formulas in float64, as bn-suite's gradient check makes it: for
 * L = sum(BN(z) * dy) with a seeded dy, first in inference mode (moving statistics) and then in
 * training mode (batch statistics, which depend on z), dL/dz, dL/dgamma and dL/dbeta, and for a
 * dense layer in front of BN on rank-2 input its kernel's and bias's gradients through BN.
 */
function gradientBody(spec: CaseSpec, observed: GradientObservation | null): string[] {
  const bn = spec.model.bn;
  const n = numberLiteral;
  const denseBefore = spec.model.architecture === 'dense' && spec.model.inputShape.length === 1;
  const dense = (lines: string[]) => (denseBefore ? lines : []);
  return [
    `  const z = ${bnInputExpression(spec)}; // what BN sees`,
    '  const zs = await read(z);',
    ...channelLines(bn.axis, 'z'),
    '  const DY = tf.tensor(DY_VALUES, DY_SHAPE); // the seeded upstream gradient: L = sum(BN(z) * dy), so dL/dy = dy',
    WEIGHT_OF,
    "  const gammaVariable = weightOf(bn, 'gamma')?.read() ?? null;",
    "  const betaVariable = weightOf(bn, 'beta')?.read() ?? null;",
    '  const gamma = gammaVariable === null ? null : await read(gammaVariable);',
    "  const movingMean = await read(weightOf(bn, 'moving_mean'));",
    "  const movingVariance = await read(weightOf(bn, 'moving_variance'));",
    ...dense([
      "  const kernelVariable = weightOf(featureLayer, 'kernel').read();",
      "  const biasVariable = weightOf(featureLayer, 'bias')?.read() ?? null;",
      '  const xs = await read(x);',
      '  const [batch, inputs] = x.shape;',
      '  const units = z.shape[1];',
    ]),
    ...judgeLines(allowancesOf(observed), "bn-suite's float32 rounding bounds for these sums (gradient-agreement.ts gradientTolerances)"),
    '  const n = zs.length / channels; // the elements each channel reduces over',
    "  // Inference first: a training-mode call moves the moving statistics the inference gradient uses.",
    "  for (const mode of ['inference', 'training']) {",
    "    const training = mode === 'training';",
    '    const loss = (input) => tf.sum(tf.mul(bn.apply(input, { training }), DY));',
    '    calling = `tf.grad((z) => sum(bn.apply(z, {training: ${training}}) * dy))(z)`;',
    '    const dx = await read(tf.grad(loss)(z));',
    '    const affine = [gammaVariable, betaVariable].filter((v) => v !== null);',
    '    let bnGrads = {};',
    '    if (affine.length > 0) {',
    '      calling = `tf.variableGrads(() => sum(bn.apply(z, {training: ${training}}) * dy), [gamma, beta])`;',
    '      bnGrads = tf.variableGrads(() => loss(z), affine).grads;',
    '    }',
    ...dense([
      '    calling = `tf.variableGrads(() => sum(bn.apply(featureLayer.apply(x), {training: ${training}}) * dy), [kernel, bias])`;',
      '    const denseGrads = tf.variableGrads(() => loss(featureLayer.apply(x)), [kernelVariable, ...(biasVariable === null ? [] : [biasVariable])]).grads;',
    ]),
    '    // The float64 reference: x^ = (z - mean) * s, s = 1 / sqrt(variance + epsilon), with the batch statistics in training mode and the moving ones in inference mode.',
    '    const { mean, variance } = training ? moments(zs) : { mean: movingMean, variance: movingVariance };',
    `    const s = variance.map((v) => 1 / Math.sqrt(v + ${n(bn.epsilon)}));`,
    '    const g = (c) => (gamma === null ? 1 : gamma[c]);',
    '    const xhat = zs.map((v, i) => (v - mean[channelOf(i)]) * s[channelOf(i)]);',
    '    const sumDy = new Array(channels).fill(0), sumDyXhat = new Array(channels).fill(0);',
    '    DY_VALUES.forEach((d, i) => { sumDy[channelOf(i)] += d; sumDyXhat[channelOf(i)] += d * xhat[i]; });',
    '    // Inference: dz = gamma * s * dy. Training: dz = gamma * s * (dy - mean(dy) - x^ * mean(dy * x^)), the batch statistics depending on z.',
    '    const expectedDx = DY_VALUES.map((d, i) => { const c = channelOf(i); return g(c) * s[c] * (training ? d - sumDy[c] / n - (xhat[i] * sumDyXhat[c]) / n : d); });',
    "    judge(`${mode} dx`, 'tfjs', dx, 'float64', expectedDx);",
    "    if (gammaVariable !== null) judge(`${mode} dgamma`, 'tfjs', await read(bnGrads[gammaVariable.name]), 'float64', sumDyXhat);",
    "    if (betaVariable !== null) judge(`${mode} dbeta`, 'tfjs', await read(bnGrads[betaVariable.name]), 'float64', sumDy);",
    ...dense([
      '    // Through BN into the dense layer: dW[i][j] = sum over the batch of x[b][i] * dz[b][j], db[j] = sum of dz[b][j].',
      '    const expectedKernel = new Array(inputs * units).fill(0), expectedBias = new Array(units).fill(0);',
      '    for (let b = 0; b < batch; b++) {',
      '      for (let j = 0; j < units; j++) {',
      '        expectedBias[j] += expectedDx[b * units + j];',
      '        for (let i = 0; i < inputs; i++) expectedKernel[i * units + j] += xs[b * inputs + i] * expectedDx[b * units + j];',
      '      }',
      '    }',
      "    judge(`${mode} features/kernel`, 'tfjs', await read(denseGrads[kernelVariable.name]), 'float64', expectedKernel);",
      "    if (biasVariable !== null) judge(`${mode} features/bias`, 'tfjs', await read(denseGrads[biasVariable.name]), 'float64', expectedBias);",
    ]),
    '  }',
    ...judgedVerdictLines('dL/dz = gamma * dy / sqrt(v + epsilon) in inference mode; in training mode gamma * s * (dy - mean(dy) - x^ * mean(dy * x^)); dL/dgamma = sum(dy * x^), dL/dbeta = sum(dy), within float32 rounding'),
  ];
}

/**
 * The case's dense -> BN model trained with `trainOnBatch` (SGD, mean squared error on seeded
 * targets, nothing frozen) as bn-suite's training check does, and the same steps re-computed in
 * float64 by the script: forward with the batch statistics, backward through them, the SGD updates
 * and the moving-statistics updates. Each trained weight within bn-suite's accumulated allowance.
 */
function trainingAgreementBody(spec: CaseSpec, observed: TrainingObservation | null): string[] {
  const bn = spec.model.bn;
  const n = numberLiteral;
  return [
    '  const targets = tf.tensor(TARGETS_VALUES, TARGETS_SHAPE); // seeded targets of the loss',
    WEIGHT_OF,
    "  const trained = { 'features/kernel': [featureLayer, 'kernel'], 'features/bias': [featureLayer, 'bias'], 'bn/gamma': [bn, 'gamma'], 'bn/beta': [bn, 'beta'], 'bn/moving_mean': [bn, 'moving_mean'], 'bn/moving_variance': [bn, 'moving_variance'] };",
    '  const valuesOf = async () => { const values = {}; for (const [name, [layer, kind]] of Object.entries(trained)) { const w = weightOf(layer, kind); values[name] = w === null ? null : await read(w); } return values; };',
    '  const initial = await valuesOf();',
    callingLine(`model.compile({optimizer: tf.train.sgd(${spec.learningRate}), loss: 'meanSquaredError'})`),
    `  model.compile({ optimizer: tf.train.sgd(${n(spec.learningRate)}), loss: 'meanSquaredError' });`,
    callingLine(`model.trainOnBatch(x, targets) x ${spec.steps}`),
    `  for (let step = 0; step < ${n(spec.steps)}; step++) await model.trainOnBatch(x, targets);`,
    '  const after = await valuesOf();',
    '',
    '  // The same steps in float64. Without center / scale, beta / gamma stay a fixed 0 / 1.',
    '  const xs = await read(x);',
    '  const [batch, inputs] = x.shape;',
    '  const units = TARGETS_SHAPE[1];',
    "  const w = Object.fromEntries(Object.entries(initial).map(([name, v]) => [name, v === null ? null : Array.from(v)]));",
    "  const gamma = w['bn/gamma'] ?? new Array(units).fill(1), beta = w['bn/beta'] ?? new Array(units).fill(0);",
    `  for (let step = 0; step < ${n(spec.steps)}; step++) {`,
    '    // Forward: z = x W + b, then BN with the batch mean and biased variance.',
    '    const z = new Array(batch * units).fill(0);',
    "    for (let b = 0; b < batch; b++) for (let j = 0; j < units; j++) { let sum = w['features/bias'] ? w['features/bias'][j] : 0; for (let k = 0; k < inputs; k++) sum += xs[b * inputs + k] * w['features/kernel'][k * units + j]; z[b * units + j] = sum; }",
    '    const mean = new Array(units).fill(0), variance = new Array(units).fill(0);',
    '    z.forEach((v, i) => { mean[i % units] += v / batch; });',
    '    z.forEach((v, i) => { variance[i % units] += (v - mean[i % units]) ** 2 / batch; });',
    `    const s = variance.map((v) => 1 / Math.sqrt(v + ${n(bn.epsilon)}));`,
    '    const xhat = z.map((v, i) => (v - mean[i % units]) * s[i % units]);',
    '    // Backward: dL/dy of mean((y - t)^2) over every element, then through BN with its batch statistics.',
    '    const dy = xhat.map((h, i) => (2 * (gamma[i % units] * h + beta[i % units] - TARGETS_VALUES[i])) / (batch * units));',
    '    const sumDy = new Array(units).fill(0), sumDyXhat = new Array(units).fill(0);',
    '    dy.forEach((d, i) => { sumDy[i % units] += d; sumDyXhat[i % units] += d * xhat[i]; });',
    '    const dz = dy.map((d, i) => { const c = i % units; return gamma[c] * s[c] * (d - sumDy[c] / batch - (xhat[i] * sumDyXhat[c]) / batch); });',
    '    // The moving statistics take this step\'s batch statistics, then SGD updates every trainable weight.',
    `    w['bn/moving_mean'] = w['bn/moving_mean'].map((m, c) => m * ${n(bn.momentum)} + mean[c] * (1 - ${n(bn.momentum)}));`,
    `    w['bn/moving_variance'] = w['bn/moving_variance'].map((m, c) => m * ${n(bn.momentum)} + variance[c] * (1 - ${n(bn.momentum)}));`,
    `    w['features/kernel'] = w['features/kernel'].map((value, k) => { const i = Math.floor(k / units), j = k % units; let grad = 0; for (let b = 0; b < batch; b++) grad += xs[b * inputs + i] * dz[b * units + j]; return value - ${n(spec.learningRate)} * grad; });`,
    `    if (w['features/bias']) w['features/bias'] = w['features/bias'].map((value, j) => { let grad = 0; for (let b = 0; b < batch; b++) grad += dz[b * units + j]; return value - ${n(spec.learningRate)} * grad; });`,
    '    // gamma and beta are the arrays in w (when the layer has them): updated in place, after every gradient above used the old values.',
    `    if (w['bn/gamma']) for (let c = 0; c < units; c++) gamma[c] -= ${n(spec.learningRate)} * sumDyXhat[c];`,
    `    if (w['bn/beta']) for (let c = 0; c < units; c++) beta[c] -= ${n(spec.learningRate)} * sumDy[c];`,
    '  }',
    ...judgeLines(allowancesOf(observed), "bn-suite's float32 allowance for each weight, accumulated over the steps (training-agreement.ts referenceTraining)"),
    "  for (const name of Object.keys(trained)) if (after[name] !== null) judge(name, 'tfjs', after[name], 'float64', w[name]);",
    ...judgedVerdictLines('each trainOnBatch step backpropagates through the batch statistics and updates W, b, gamma, beta by -lr * dL/dtheta, and the moving statistics by moving * momentum + batch * (1 - momentum), within float32 rounding accumulated over the steps'),
  ];
}

/**
 * One repro template: the body of main() after the backend check. It builds the case (`model`: the
 * lines that build, set the captured weights and freeze), makes the calls the invariant's check
 * makes, prints both sides' numbers and returns true when the behaviour reproduces. `observed` is
 * null when bn-suite saw tfjs throw on the case: the body then makes the same calls (a throw is the
 * reproduction) and judges only what needs no allowance.
 */
type ReproBody<I extends InvariantId> = (spec: CaseSpec, capture: CaseCapture, observed: Observations[I] | null, model: string[]) => string[];

/** A template's input, which its capture always provides. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the capture has no ${what}`);
  return value;
}

/** Every invariant's template: a Record, so an invariant added without one fails the type check. */
const REPRO_BODIES: { [I in InvariantId]: ReproBody<I> } = {
  'frozen-moving-stats': (spec, _capture, _observed, model) => [...model, '', ...frozenStatsBody(spec)],
  'frozen-gamma-beta': (spec, capture, _observed, model) => [...model, '', ...gammaBetaBody(spec, capture.inputs?.judged)],
  'inference-purity': (spec, _capture, _observed, model) => [...model, '', ...purityBody(spec)],
  'mode-switch': (_spec, capture, observed, model) => [...model, '', ...modeSwitchBody(capture, observed)],
  'oracle-agreement': (spec, _capture, observed, model) => [...model, '', ...oracleBody(spec, observed)],
  determinism: (spec, capture, _observed, model) => determinismBody(spec, model, required(capture.inputs?.interloper, 'other case for determinism')),
  'round-trip': (spec, _capture, _observed, model) => [...model, '', ...roundTripBody(spec)],
  'backend-parity': (spec, capture, observed, model) => parityBody(spec, model, required(capture.inputs?.otherBackends, 'backends to compare with'), observed),
  'no-leaked-tensors': (spec, _capture, _observed, model) => ['  const tensorsBefore = tf.memory().numTensors; // before the model exists', '', ...model, '', ...leakBody(spec)],
  'trainable-bookkeeping': (spec, _capture, _observed, model) => [...model, '', ...bookkeepingBody(spec)],
  'gradient-agreement': (spec, _capture, observed, model) => [...model, '', ...gradientBody(spec, observed)],
  'training-agreement': (spec, _capture, observed, model) => [...model, '', ...trainingAgreementBody(spec, observed)],
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
  /** `read`, `num`, `show`, `drift` and `calling` (and a throw's helpers), used by {@link ReproParts.body}; the caller adds `log`. */
  helpers: string[];
  /** First inside `async function main()`: sets the backend, checks that tfjs really runs on it, prints the scenario lines. */
  backendCheck: string[];
  /** Inside `main()`: builds the model, trains or calls it, prints expected vs actual, returns true when it reproduces. */
  body: string[];
  /** After `main()`: the inlined data (X_VALUES, Y_VALUES, LABELS, ...). */
  data: string[];
}

/**
 * The helpers of a script that reproduces a throw (bn-suite saw tfjs throw on the case):
 * `reportThrow(error)` prints which call threw (`calling`), the error's name and first message line
 * and its innermost stack frame, and tells tfjs's throws from the script's own by that frame, with
 * bn-suite's own rule (error-origin.ts). It returns true (reproduced) for a throw of the class
 * bn-suite saw (the same name and message, numbers aside, as minimize.ts `errorMessageClass` says)
 * and rethrows anything else, which ends the script with exit 2.
 */
function throwLines(threw: ThrowObservation): string[] {
  return [
    `const EXPECTED_THROW = { name: ${stringLiteral(threw.errorName)}, message: ${stringLiteral(threw.message)} }; // what bn-suite saw tfjs throw on this case`,
    `const TFJS_FRAME = new RegExp(${stringLiteral(TFJS_FRAME.source)}); // a stack frame inside tfjs, by bn-suite's rule`,
    `const NODE_FRAME = new RegExp(${stringLiteral(NODE_FRAME.source)}); // a frame of the runtime's own, skipped`,
    '// An error\'s class: its name and first message line, every number as #.',
    `const messageClass = (name, message) => \`\${name}: \${String(message).split('\\n')[0].replace(new RegExp(${stringLiteral(MESSAGE_NUMBERS.source)}, 'g'), '#')}\`;`,
    'const reportThrow = (error) => {',
    "  const frames = String(error && error.stack ? error.stack : '').split('\\n').map((line) => line.trim()).filter((line) => line.startsWith('at ')).map((line) => line.slice(3));",
    '  const innermost = frames.find((frame) => !NODE_FRAME.test(frame));',
    '  // Not thrown inside tfjs: the script itself failed.',
    '  if (innermost === undefined || !TFJS_FRAME.test(innermost)) throw error;',
    "  const message = String(error.message).split('\\n')[0];",
    '  log(`${calling} threw ${error.name}: ${message}`);',
    "  log(`  at ${innermost.replace(/[^\\s(]*node_modules[\\\\/]/, '')}`);",
    '  log(`bn-suite saw: ${EXPECTED_THROW.name}: ${EXPECTED_THROW.message}`);',
    '  if (messageClass(error.name, message) !== messageClass(EXPECTED_THROW.name, EXPECTED_THROW.message)) {',
    "    log('tfjs throws another error than bn-suite saw');",
    '    throw error;',
    '  }',
    "  log('expected: the calls run without throwing');",
    "  log('actual:   tfjs throws the error bn-suite saw');",
    '  return true;',
    '};',
  ];
}

/**
 * A body run for a throw: inside a try whose catch reports a tfjs throw as the reproduction. When
 * nothing throws any more, the body's own verdict stands (it judges what needs no allowance).
 */
function throwingBody(body: readonly string[]): string[] {
  return [
    "  // bn-suite saw tfjs throw on this case: these are its check's calls, and tfjs throwing is the reproduction.",
    '  let reproduced;',
    '  try {',
    '    reproduced = await (async () => {',
    ...indented(body, '    '),
    '    })();',
    '  } catch (error) {',
    '    return reportThrow(error);',
    '  }',
    '  log(`no call threw (bn-suite saw ${EXPECTED_THROW.name}: ${EXPECTED_THROW.message})`);',
    '  return reproduced;',
  ];
}

/** The data section's lines for one inlined tensor: `<NAME>_SHAPE` and `<NAME>_VALUES`. */
function dataLines(name: string, tensor: InlineTensor): string[] {
  return [`const ${name}_SHAPE = ${shapeLiteral(tensor.shape)};`, `const ${name}_VALUES = ${floatArrayLiteral(tensor.values, '')};`];
}

/**
 * Renders the shared {@link ReproParts} for a case. Throws a UsageError for an invariant without a
 * template and an Error when the capture is for another invariant.
 */
export function reproParts(input: ScriptInput): ReproParts {
  const { scenario, backend, capture } = input;
  assertReproTemplate(scenario.invariant);
  const spec = scriptSpec(scenario.invariant, input.spec);
  const { observed } = capture;
  if (observed.kind !== 'threw' && observed.kind !== scenario.invariant) throw new Error(`capture is for ${observed.kind}, scenario for ${scenario.invariant}`);
  // The observation's kind was checked against the invariant above.
  const template = REPRO_BODIES[scenario.invariant] as unknown as ReproBody<InvariantId>;
  const body = template(spec, capture, observed.kind === 'threw' ? null : (observed as Observation), modelLines(spec, capture.weights));
  const inputs = capture.inputs ?? {};
  return {
    constants: [
      `const SCENARIO = ${stringLiteral(scenario.id)};`,
      `const DESCRIPTION = ${stringLiteral(scenario.description)};`,
      `const INVARIANT = ${stringLiteral(scenario.invariant)};`,
      `const BACKEND = ${stringLiteral(backend)};`,
      `const GENERATOR = ${stringLiteral(`bn-suite ${input.bnSuiteVersion}`)};`,
    ],
    helpers: [
      ...SCRIPT_HELPERS,
      "let calling = 'building the model'; // the tfjs call in progress: a repro of a throw says which one threw",
      ...(observed.kind === 'threw' ? throwLines(observed) : []),
    ],
    backendCheck: [
      '  if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialize`);',
      '  await tf.ready();',
      '  // tfjs falls back to another backend quietly when one cannot start: insist on the one under test.',
      "  if (tf.getBackend() !== BACKEND) throw new Error(`tfjs runs on backend ${tf.getBackend()}, not ${BACKEND}`);",
      '  log(`scenario: ${SCENARIO}`);',
      '  log(`description: ${DESCRIPTION}`);',
      '  log(`invariant: ${INVARIANT}; generated by ${GENERATOR}`);',
    ],
    body: observed.kind === 'threw' ? throwingBody(body) : body,
    data: [
      '// The data, as float32 values (row-major).',
      ...dataLines('X', capture.x),
      ...dataLines('Y', capture.y),
      `const LABELS = [${capture.labels.map((l) => numberLiteral(l)).join(', ')}];`,
      ...(inputs.dy !== undefined ? ['// The seeded upstream gradient dy of the loss sum(BN(z) * dy).', ...dataLines('DY', inputs.dy)] : []),
      ...(inputs.targets !== undefined ? ['// The seeded targets of the mean-squared-error loss.', ...dataLines('TARGETS', inputs.targets)] : []),
      ...(inputs.interloper !== undefined ? ['// The other case run in between, as bn-suite builds it.', ...dataLines('OTHER_X', inputs.interloper.x), ...dataLines('OTHER_Y', inputs.interloper.y)] : []),
    ],
  };
}

/** The backend packages a script imports: the backend's, and those of the backends it compares with. */
export function scriptBackends(input: Pick<ScriptInput, 'backend' | 'capture'>): BackendName[] {
  return [...new Set([input.backend, ...(input.capture.inputs?.otherBackends ?? [])])];
}

/**
 * Renders `repro.mjs`: a standalone ES module that depends only on @tensorflow/tfjs-core,
 * @tensorflow/tfjs-layers and the backend's package (and those of the backends a backend-parity
 * script compares with). It rebuilds the case with plain tfjs calls, sets the captured initial
 * weights, inlines the data, makes the invariant's calls, prints expected vs actual with the
 * numbers, and exits 1 when the behaviour reproduces (a wrong value, or the throw bn-suite saw), 0
 * when it does not (2 when the script itself fails). Scenario text enters only as escaped string
 * literals.
 */
export function renderScript(input: ScriptInput): string {
  return renderScriptFromParts(reproParts(input), scriptBackends(input), ['// Standalone reproduction generated by bn-suite. Needs only tfjs-core, tfjs-layers and the backend package:']);
}

/**
 * `repro.mjs` around a repro's parts (see {@link renderScript}): `header` comment lines, the run and
 * exit-code lines, the tfjs imports and `imports` (more import lines), the parts, and
 * {@link SCRIPT_EPILOGUE}. Shared by every kind of Node repro script.
 */
export function renderScriptFromParts(parts: ReproParts, backends: readonly BackendName[], header: readonly string[], imports: readonly string[] = []): string {
  const lines = [
    ...header,
    '//   npm install && node repro.mjs',
    '// Exit code 1: the behaviour reproduces; 0: it does not; 2: the script itself failed.',
    "import * as tf from '@tensorflow/tfjs-core';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    ...backends.map((name) => `import ${stringLiteral(BACKEND_PACKAGES[name])};`),
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
