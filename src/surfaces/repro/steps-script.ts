/**
 * Repros of steps scenarios: the scenario's program (freeze, compile, fit, callBn, expectClose, ...)
 * written out as plain tfjs calls in a standalone `repro.mjs`, on the model bn-suite builds (its
 * seeded initial weights inlined) and the scenario's data (inlined). Each expectation becomes a
 * check that prints the numbers; the first one that does not hold ends the script with exit 1
 * (`RESULT: reproduced`), as it ends bn-suite's run of the program.
 *
 * @packageDocumentation
 */
import { BACKEND_PACKAGES, isBrowserBackend, type BackendName, type BrowserBackendName } from '../../engine/backends';
import { DEFAULT_LEARNING_RATES, type Step, type StepKind, type StepParams } from '../../engine/kinds/steps/schema';
import { twinSpecOf } from '../../engine/kinds/steps/run-steps';
import { modelSpecOf, outputShapeOf } from '../../engine/kinds/steps/model-spec';
import { dataTensors } from '../../engine/kinds/steps/data';
import { stepEntry } from '../../engine/kinds/steps/references';
import { buildModel } from '../../engine/models/build';
import { LAYER_NAMES, type ModelSpec } from '../../engine/models/spec';
import type { StepsScenario } from '../../engine/scenarios/types';
import { withSeed } from '../../engine/determinism/with-seed';
import * as path from 'node:path';
import type { TfjsVersions } from '../../engine/tfjs';
import { BN_SUITE_VERSION } from '../../engine/version';
import { formatVerification, printedLines, verifyReproFiles, type Verification } from './verify';
import { reproPackageJson, systemInfo, writeReproFolder, type ReproFileName } from './write-repro';
import { fenced, systemInformation } from './render-issue';
import { verifyPageRepro, type PageVerifyOptions } from './verify-page';
import { bundlesFor } from '../../hosts/browser/tfjs-bundles';
import { resolveTfjsFile } from '../../hosts/node/tfjs';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { UsageError } from '../../engine/errors';
import { floatArrayLiteral, layerWeights, modelBuildLines, numberLiteral, renderScriptFromParts, SCRIPT_HELPERS, shapeLiteral, stringLiteral, type CaseCapture, type InlineTensor, type ReproParts } from './render-script';
import { renderReproPage, type PageBundle } from './render-page';

/** What a steps repro inlines: the models' initial weights as bn-suite builds them, and the data. */
export interface StepsCapture {
  weights: CaseCapture['weights'];
  /** The twin's initial weights, when the program acts on the twin (null otherwise). */
  twinWeights: CaseCapture['weights'] | null;
  /** Every data tensor by name (x, y when given, data.tensors), as generated. */
  tensors: Record<string, InlineTensor>;
}

/** True when a step (or the action an expectThrows wraps) acts on the twin. */
function usesTwin(steps: readonly Step[]): boolean {
  return steps.some((step) => {
    const { kind, params } = stepEntry(step);
    if (kind === 'expectThrows') return usesTwin([params.step as Step]);
    return params.on === 'twin' || (kind === 'expectWeightCount' && params.of === 'twin');
  });
}

/** The initial weights of a build of `spec`, by layer (the features / head entries are null without those layers). */
function builtWeights(spec: ModelSpec): CaseCapture['weights'] {
  const built = buildModel(spec);
  try {
    return {
      features: spec.architecture === 'bn-only' ? null : layerWeights(built.host.getLayer(LAYER_NAMES.features)),
      bn: layerWeights(built.bn) as InlineTensor[],
      head: spec.classes > 0 ? layerWeights(built.model.getLayer(LAYER_NAMES.head)) : null,
    };
  } finally {
    built.model.dispose();
  }
}

/** Builds the scenario's model (and twin) on the active backend, under its seed, and inlines their weights and the data. */
export async function captureSteps(scenario: StepsScenario): Promise<StepsCapture> {
  return withSeed(scenario.seed, async () => {
    const spec = modelSpecOf(scenario.model, scenario.seed, scenario.data.batch);
    const data = dataTensors(scenario.data, scenario.model.inputShape, outputShapeOf(scenario.model), scenario.seed);
    return {
      weights: builtWeights(spec),
      twinWeights: usesTwin(scenario.steps) ? builtWeights(twinSpecOf(spec, scenario.model.twin?.bn ?? {})) : null,
      tensors: Object.fromEntries([...data].map(([name, t]) => [name, { shape: t.shape, values: Array.from(t.values) }])),
    };
  });
}

const lit = stringLiteral;
const n = numberLiteral;
const role = (on: string | undefined) => lit(on ?? 'model');
/** A data tensor or output by name, as a tensor in the script (x is one tensor for the whole script). */
const tensorOf = (name: string | undefined) => `asTensor(${lit(name ?? 'x')})`;

/** What a step's lines need from the script's helpers (see SCRIPT_STEP_HELPERS). */
type HelperName = 'mismatch' | 'statistic';

/** One step as script lines; an expectation that does not hold calls `failed(...)`, which ends main. */
interface StepScript<K extends StepKind> {
  lines: (params: StepParams[K], label: string, scenario: StepsScenario) => string[];
  helpers?: HelperName[];
}

/** The script expression of what a freeze step sets `trainable` on. */
const trainableOwner = (p: StepParams['freeze']) => (p.target === 'model' ? `modelOf(${role(p.on)})` : `the(${role(p.on)}).${p.target === 'base' ? 'base' : 'bn'}`);

/** `failed(label, message)`: prints which step did not hold and returns true (reproduced) from main. */
const fail = (label: string, message: string) => `return failed(${lit(label)}, ${message});`;

/** `tensors[name] = {shape, values}` of a tensor expression. */
const record = (name: string, expression: string) => `tensors[${lit(name)}] = await dense(${expression});`;

/**
 * Every step kind as script lines. A `Record` over the step kinds: an action added to the language
 * without its script form fails the type check.
 */
const STEP_SCRIPTS: { [K in StepKind]: StepScript<K> } = {
  freeze: { lines: (p) => [`  ${trainableOwner(p)}.trainable = false;`] },
  unfreeze: { lines: (p) => [`  ${trainableOwner(p)}.trainable = true;`] },
  compile: {
    lines: (p) => [
      `  compiled[${role(p.on)}] = { optimizer: ${lit(p.optimizer)}, learningRate: ${n(p.learningRate ?? DEFAULT_LEARNING_RATES[p.optimizer])}, momentum: ${n(p.momentum ?? 0)}, loss: ${lit(p.loss)} };`,
      `  compile(${role(p.on)});`,
    ],
  },
  fit: {
    lines: (p) => [
      `  const history = await modelOf(${role(p.on)}).fit(${tensorOf(p.input)}, ${tensorOf(p.targets ?? 'y')}, { epochs: ${n(p.epochs)}, batchSize: ${p.batchSize === undefined ? `${tensorOf(p.input)}.shape[0]` : n(p.batchSize)}, shuffle: ${p.shuffle}, verbose: 0 });`,
      ...(p.as !== undefined ? [`  losses[${lit(p.as)}] = history.history.loss.map(Number);`] : []),
    ],
  },
  trainOnBatch: {
    lines: (p) => [
      `  for (let i = 0; i < ${n(p.times)}; i++) {`,
      `    const loss = await modelOf(${role(p.on)}).trainOnBatch(${tensorOf(p.input)}, ${tensorOf(p.targets ?? 'y')});`,
      ...(p.as !== undefined ? [`    losses[${lit(p.as)}] = [Array.isArray(loss) ? loss[0] : loss];`] : []),
      '  }',
    ],
  },
  callBn: {
    lines: (p) => [
      `  const m = the(${role(p.on)});`,
      `  const bnInput = bnInputOf(m, ${tensorOf(p.input)}); // what BN sees`,
      ...(p.mask !== undefined ? [`  const mask = ${tensorOf(p.mask)};`] : []),
      '  let out = bnInput;',
      `  for (let i = 0; i < ${n(p.times)}; i++) out = m.bn.apply(${p.chain ? 'out' : 'bnInput'}, { training: ${p.training}${p.mask !== undefined ? ', mask' : ''} });${p.chain ? ' // each call takes the previous output' : ''}`,
      ...(p.as !== undefined ? [`  ${record(p.as, 'out')}`] : []),
      `  ${record('bn_input', 'bnInput')}`,
    ],
  },
  callModel: { lines: (p) => [`  const out = modelOf(${role(p.on)}).apply(${tensorOf(p.input)}, { training: ${p.training} });`, ...(p.as !== undefined ? [`  ${record(p.as, 'out')}`] : [])] },
  predict: { lines: (p) => [`  ${record(p.as, `modelOf(${role(p.on)}).predict(${tensorOf(p.input)}${p.batchSize !== undefined ? `, { batchSize: ${n(p.batchSize)} }` : ''})`)}`] },
  evaluate: {
    lines: (p) => [
      `  const out = modelOf(${role(p.on)}).evaluate(${tensorOf(p.input)}, ${tensorOf(p.targets ?? 'y')}, { batchSize: ${n(p.batchSize ?? 32)} });`,
      `  losses[${lit(p.as)}] = [(await read(Array.isArray(out) ? out[0] : out))[0]];`,
    ],
  },
  snapshot: { lines: (p) => [`  snapshots[${lit(p.as)}] = { role: ${role(p.on)}, weights: await snapshot(${role(p.on)}) };`] },
  saveReload: { lines: (p) => [`  // saveReload via ${p.via}: saved to and loaded from memory (bn-suite's ${p.via === 'disk' ? 'disk store writes the same artifacts to files' : 'own way'}).`, `  await saveAndReload(${role(p.on)});`] },
  gradBn: {
    lines: (p) => {
      const wrt = p.wrt ?? ['input', 'gamma', 'beta'];
      const affine = wrt.filter((w) => w !== 'input');
      return [
        `  const m = the(${role(p.on)});`,
        `  const bnInput = bnInputOf(m, ${tensorOf(p.input)});`,
        '  // One forward pass for every gradient: the input becomes a variable next to gamma and beta.',
        `  const inputVariable = tf.variable(bnInput, ${wrt.includes('input')});`,
        `  const dy = ${p.cotangent !== undefined ? tensorOf(p.cotangent) : 'tf.onesLike(bnInput)'};`,
        `  const affine = m.bn.weights.filter((w) => ${JSON.stringify(affine)}.some((name) => w.originalName.endsWith('/' + name))).map((w) => ({ suffix: w.originalName.slice(w.originalName.lastIndexOf('/') + 1), variable: w.read() }));`,
        "  // tfjs differentiates trainable variables only: a frozen layer's gamma and beta get no gradient (NaN here).",
        ...(p.output !== undefined ? ['  let forward = null;'] : []),
        '  const { value, grads } = tf.variableGrads(',
        `    () => { const out = m.bn.apply(inputVariable, { training: ${p.training} });${p.output !== undefined ? ' forward = tf.keep(out);' : ''} return tf.sum(tf.mul(out, dy)); },`,
        `    [${wrt.includes('input') ? 'inputVariable, ' : ''}...affine.filter((a) => a.variable.trainable).map((a) => a.variable)],`,
        '  );',
        ...(p.output !== undefined ? [`  ${record(p.output, 'forward')}`] : []),
        ...(wrt.includes('input') ? [`  ${record(`${p.as}_dx`, 'grads[inputVariable.name]')}`] : []),
        '  for (const a of affine) {',
        `    tensors[${lit(p.as)} + '_d' + a.suffix] = grads[a.variable.name] ? await dense(grads[a.variable.name]) : { shape: a.variable.shape, values: new Array(a.variable.size).fill(NaN) };`,
        '  }',
        '  value.dispose();',
      ];
    },
  },
  batchNormOp: {
    lines: (p) => [
      `  ${record(p.as, `tf.batchNorm(${tensorOf(p.x)}, ${tensorOf(p.mean)}, ${tensorOf(p.variance)}, ${p.offset !== undefined ? tensorOf(p.offset) : 'undefined'}, ${p.scale !== undefined ? tensorOf(p.scale) : 'undefined'}, ${n(p.epsilon)})`)}`,
    ],
  },
  symbolicBn: {
    lines: (p, _label, scenario) => {
      const bn = { ...scenario.model.bn, ...p.options };
      return [
        `  const layer = tfl.layers.batchNormalization({ axis: ${n(bn.axis)}, momentum: ${n(bn.momentum)}, epsilon: ${n(bn.epsilon)}, center: ${bn.center}, scale: ${bn.scale}, name: 'bn_symbolic' });`,
        `  const out = layer.apply(tfl.input({ batchShape: [${p.shape.map((d) => (d === null ? 'null' : n(d))).join(', ')}] }));`,
        ...(p.as !== undefined ? [`  shapes[${lit(p.as)}] = out.shape;`] : []),
      ];
    },
  },
  setWeight: {
    lines: (p) => {
      const shape = p.shape !== undefined ? shapeLiteral(p.shape) : 'w.shape';
      return [
        `  const w = modelOf(${role(p.on)}).weights.find((w) => (w.originalName ?? w.name) === ${lit(p.weight)});`,
        `  w.write(tf.tensor(${p.values !== undefined ? floatArrayLiteral(p.values, '  ') : `new Array(${shape}.reduce((a, b) => a * b, 1)).fill(${n(p.fill ?? Number.NaN)})`}, ${shape}));`,
      ];
    },
  },
  readWeight: { lines: (p) => [`  const w = (await snapshot(${role(p.on)}))[${lit(p.weight)}];`, `  tensors[${lit(p.as)}] = { shape: modelOf(${role(p.on)}).weights.find((v) => (v.originalName ?? v.name) === ${lit(p.weight)}).shape, values: w.values };`] },
  expectWeight: {
    helpers: ['mismatch'],
    lines: (p, label) => [
      `  const current = (await snapshot(${role(p.on)}))[${lit(p.weight)}];`,
      `  const expected = ${p.values !== undefined ? floatArrayLiteral(p.values, '  ') : `current.values.map(() => ${n(p.fill ?? Number.NaN)})`};`,
      `  const bad = mismatch(current.values, expected, ${n(p.atol)}, ${n(p.rtol)});`,
      `  log(\`${label}: ${p.weight} = \${show(current.values)}; expected \${show(expected)} (atol ${p.atol}, rtol ${p.rtol})\`);`,
      `  if (bad !== null) ${fail(label, `\`${p.weight}[\${bad}] = \${num(current.values[bad])}, expected \${num(expected[bad])}\``)}`,
    ],
  },
  expectUnchanged: {
    lines: (p, label) => [
      `  const since = snapshots[${lit(p.since)}];`,
      `  const moved = movedSince(since.weights, await snapshot(since.role), ${JSON.stringify(p.kinds)});`,
      `  log(\`${label}: ${p.kinds.join('/')} weights moved since '${p.since}': \${moved.length === 0 ? 'none' : moved.join('; ')}\`);`,
      `  if (moved.length > 0) ${fail(label, `\`\${moved.join('; ')}\``)}`,
    ],
  },
  expectChanged: {
    lines: (p, label) => [
      `  const since = snapshots[${lit(p.since)}];`,
      `  const moved = movedSince(since.weights, await snapshot(since.role), ${JSON.stringify(p.kinds)});`,
      `  log(\`${label}: ${p.kinds.join('/')} weights moved since '${p.since}': \${moved.length === 0 ? 'none' : moved.join('; ')}\`);`,
      `  if (moved.length === 0) ${fail(label, lit(`no ${p.kinds.join('/')} weight changed since '${p.since}'`))}`,
    ],
  },
  expectClose: {
    helpers: ['mismatch'],
    lines: (p, label) => [
      `  const a = tensors[${lit(p.a)}], b = tensors[${lit(p.b)}];`,
      `  const bad = a.values.length !== b.values.length ? 0 : mismatch(a.values, b.values, ${n(p.atol)}, ${n(p.rtol)});`,
      `  log(\`${label}: ${p.a} \${show(a.values)} vs ${p.b} \${show(b.values)}: max abs diff \${num(drift(b.values, a.values))} (atol ${p.atol}, rtol ${p.rtol})\`);`,
      `  if (bad !== null) ${fail(label, `\`${p.a} and ${p.b} differ at \${bad}: \${num(a.values[bad])} vs \${num(b.values[bad])}\``)}`,
    ],
  },
  expectDiffer: {
    helpers: ['mismatch'],
    lines: (p, label) => {
      if (p.minAbsSumDiff !== undefined) {
        return [
          `  const a = tensors[${lit(p.a)}].values, b = tensors[${lit(p.b)}].values;`,
          '  const absSumDiff = Math.abs(a.reduce((sum, v, i) => sum + v - b[i], 0));',
          `  log(\`${label}: |sum(${p.a} - ${p.b})| = \${num(absSumDiff)} (must be above ${p.minAbsSumDiff})\`);`,
          `  if (!(absSumDiff > ${n(p.minAbsSumDiff)})) ${fail(label, `\`|sum(${p.a} - ${p.b})| = \${num(absSumDiff)} is not above ${p.minAbsSumDiff}\``)}`,
        ];
      }
      // Keras's assertNotAllClose defaults (the engine's DIFFER_TOLERANCE).
      const atol = p.atol ?? 1e-6;
      const rtol = p.rtol ?? 1e-6;
      return [
        `  const a = tensors[${lit(p.a)}].values, b = tensors[${lit(p.b)}].values;`,
        `  log(\`${label}: ${p.a} \${show(a)} vs ${p.b} \${show(b)}: max abs diff \${num(drift(b, a))}\`);`,
        `  if (a.length === b.length && mismatch(a, b, ${n(atol)}, ${n(rtol)}) === null) ${fail(label, `\`${p.a} and ${p.b} are close everywhere (atol ${atol}, rtol ${rtol})\``)}`,
      ];
    },
  },
  expectNormalized: {
    helpers: ['statistic'],
    lines: (p, label) => [
      `  const out = tensors[${lit(p.output)}];`,
      "  const weights = await snapshot('model');",
      `  const unscale = { axis: ${n(p.axis)}, gamma: weights['bn/gamma']?.values, beta: weights['bn/beta']?.values };`,
      `  const means = statistic(out, 'mean', ${n(p.axis)}, unscale), stds = statistic(out, 'std', ${n(p.axis)}, unscale);`,
      `  log(\`${label}: per-channel mean of (${p.output} - beta) / gamma \${show(means)}, std \${show(stds)} (want 0 and 1 within ${p.atol})\`);`,
      `  const bad = means.findIndex((m, c) => !(Math.abs(m) <= ${n(p.atol)} && Math.abs(stds[c] - 1) <= ${n(p.atol)}));`,
      `  if (bad >= 0) ${fail(label, `\`channel \${bad} has mean \${num(means[bad])} and std \${num(stds[bad])}\``)}`,
    ],
  },
  expectLossEqual: {
    lines: (p, label) => [
      `  const a = losses[${lit(p.a)}].at(-1), b = losses[${lit(p.b)}].at(-1);`,
      `  log(\`${label}: loss ${p.a} = \${a}, ${p.b} = \${b}\`);`,
      `  if (!(Math.abs(a - b) < ${n(0.5 * 10 ** -p.decimals)})) ${fail(label, `\`they differ at ${p.decimals} decimals (difference \${num(Math.abs(a - b))})\``)}`,
    ],
  },
  expectOutput: {
    helpers: ['mismatch'],
    lines: (p, label) => [
      `  const out = tensors[${lit(p.output)}].values;`,
      `  const expected = ${p.values !== undefined ? floatArrayLiteral(p.values, '  ') : `out.map(() => ${n(p.fill ?? Number.NaN)})`};`,
      `  const bad = out.length !== expected.length ? 0 : mismatch(out, expected, ${n(p.atol)}, ${n(p.rtol)});`,
      `  log(\`${label}: ${p.output} \${show(out)}; expected \${show(expected)} (atol ${p.atol}, rtol ${p.rtol})\`);`,
      `  if (bad !== null) ${fail(label, `\`${p.output}[\${bad}] = \${num(out[bad])}, expected \${num(expected[bad])}\``)}`,
    ],
  },
  expectShape: {
    lines: (p, label) => [
      `  const actual = shapes[${lit(p.output)}] ?? tensors[${lit(p.output)}].shape;`,
      `  const expected = [${p.shape.map((d) => (d === null ? 'null' : n(d))).join(', ')}];`,
      `  log(\`${label}: ${p.output} has shape [\${actual.map(String).join(', ')}]; expected [\${expected.map(String).join(', ')}]\`);`,
      `  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) ${fail(label, "`shape [${actual.map(String).join(', ')}]`")}`,
    ],
  },
  expectStatistic: {
    helpers: ['mismatch', 'statistic'],
    lines: (p, label, scenario) => {
      const equals = typeof p.equals === 'number' ? `actual.map(() => ${n(p.equals)})` : Array.isArray(p.equals) ? floatArrayLiteral(p.equals, '  ') : `(await snapshot('model'))[${lit(p.equals.weight)}].values`;
      const what = `${p.statistic} of ${p.unscale ? `(${p.of} - beta) / gamma` : p.of}${p.axis !== undefined ? ` per index of axis ${p.axis}` : ''}`;
      return [
        ...(p.unscale ? ["  const weights = await snapshot('model');", `  const unscale = { axis: ${n(scenario.model.bn.axis)}, gamma: weights['bn/gamma']?.values, beta: weights['bn/beta']?.values };`] : []),
        `  const actual = statistic(tensors[${lit(p.of)}], ${lit(p.statistic)}, ${p.axis !== undefined ? n(p.axis) : 'undefined'}${p.unscale ? ', unscale' : ''});`,
        `  const expected = ${equals};`,
        `  const bad = actual.length !== expected.length ? 0 : mismatch(actual, expected, ${n(p.atol)}, ${n(p.rtol)});`,
        `  log(\`${label}: ${what} \${show(actual)}; expected \${show(expected)} (atol ${p.atol}, rtol ${p.rtol})\`);`,
        `  if (bad !== null) ${fail(label, `\`${what}: \${num(actual[bad])} at \${bad}, expected \${num(expected[bad])}\``)}`,
      ];
    },
  },
  expectLoss: {
    helpers: ['mismatch'],
    lines: (p, label) => [
      `  const actual = losses[${lit(p.of)}];`,
      ...(p.decreasing === true
        ? [
            `  log(\`${label}: loss ${p.of} per epoch \${show(actual)} (must decrease)\`);`,
            '  const up = actual.findIndex((loss, i) => i > 0 && !(loss < actual[i - 1]));',
            `  if (up > 0) ${fail(label, `\`loss ${p.of} does not decrease at epoch \${up + 1}\``)}`,
          ]
        : [
            `  const expected = ${floatArrayLiteral(p.values ?? [], '  ')};`,
            `  const bad = actual.length !== expected.length ? 0 : mismatch(actual, expected, ${n(p.atol)}, ${n(p.rtol)});`,
            `  log(\`${label}: loss ${p.of} \${show(actual)}; expected \${show(expected)} (atol ${p.atol}, rtol ${p.rtol})\`);`,
            `  if (bad !== null) ${fail(label, `\`loss ${p.of}[\${bad}] = \${num(actual[bad])}, expected \${num(expected[bad])}\``)}`,
          ]),
    ],
  },
  expectWeightCount: {
    lines: (p, label) => {
      const owner = p.of === 'bn' ? "the('model').bn" : p.of === 'base' ? "the('model').base" : `modelOf(${lit(p.of)})`;
      const checks = (['trainable', 'nonTrainable', 'total'] as const).filter((k) => p[k] !== undefined).map((k) => `${k}: ${n(p[k] as number)}`);
      const lists = (['trainableNames', 'nonTrainableNames'] as const).filter((k) => p[k] !== undefined).map((k) => `${k}: JSON.parse(${lit(JSON.stringify(p[k]))})`);
      return [
        `  const owner = ${owner};`,
        '  const names = (ws) => ws.map((w) => w.originalName ?? w.name);',
        '  const actual = { trainable: owner.trainableWeights.length, nonTrainable: owner.nonTrainableWeights.length, total: owner.weights.length, trainableNames: names(owner.trainableWeights), nonTrainableNames: names(owner.nonTrainableWeights) };',
        `  const expected = { ${[...checks, ...lists].join(', ')} };`,
        '  const wrong = Object.keys(expected).filter((k) => String(actual[k]) !== String(expected[k]));',
        `  log(\`${label}: ${p.of} lists \${actual.trainable} trainable (\${actual.trainableNames.join(', ')}), \${actual.nonTrainable} non-trainable (\${actual.nonTrainableNames.join(', ')}); expected \${JSON.stringify(expected)}\`);`,
        `  if (wrong.length > 0) ${fail(label, "`${wrong.map((k) => `${k} ${actual[k]}, expected ${expected[k]}`).join('; ')}`")}`,
      ];
    },
  },
  expectLayerLosses: {
    helpers: ['mismatch'],
    lines: (p, label) => [
      `  const owner = ${p.of === 'bn' ? "the('model').bn" : "modelOf('model')"};`,
      '  const values = [];',
      '  for (const loss of owner.losses) values.push((await read(loss()))[0]);',
      `  const expectedValues = ${p.values !== undefined ? floatArrayLiteral(p.values, '  ') : 'null'};`,
      `  log(\`${label}: ${p.of} has \${values.length} regularization loss(es) \${show(values)}; expected ${p.count}${p.values !== undefined ? ' ${show(expectedValues)}' : ''}\`);`,
      `  if (values.length !== ${n(p.count)} || (expectedValues !== null && (values.length !== expectedValues.length || mismatch(values, expectedValues, ${n(p.atol)}, ${n(p.rtol)}) !== null))) ${fail(label, `\`\${values.length} loss(es) \${show(values)}\``)}`,
    ],
  },
  expectConfig: {
    lines: (p, label) => [
      `  const config = the(${p.of === 'twin' ? "'twin'" : "'model'"}).bn.getConfig();`,
      // Scenario text enters the script as a string literal only.
      `  const expected = JSON.parse(${lit(JSON.stringify(p.values))});`,
      '  const differing = Object.keys(expected).filter((key) => JSON.stringify(config[key]) !== JSON.stringify(expected[key]));',
      `  log(\`${label}: ${p.of} config \${JSON.stringify(Object.fromEntries(Object.keys(expected).map((key) => [key, config[key]])))}; expected \${JSON.stringify(expected)}\`);`,
      `  if (differing.length > 0) ${fail(label, "`${differing.map((key) => `${key} = ${JSON.stringify(config[key])}, expected ${JSON.stringify(expected[key])}`).join('; ')}`")}`,
    ],
  },
  expectConstraint: {
    lines: (p, label) => [
      `  const w = modelOf('model').weights.find((v) => (v.originalName ?? v.name) === ${lit(p.weight)});`,
      "  const actual = w.constraint ? w.constraint.getClassName() : 'none';",
      `  log(\`${label}: ${p.weight} has constraint \${actual}; expected ${p.className.replace(/[`$\\]/g, '')}\`);`,
      `  if (actual !== ${lit(p.className)}) ${fail(label, '`constraint ${actual}`')}`,
    ],
  },
  expectThrows: {
    lines: (p, label, scenario) => {
      const { kind, params } = stepEntry(p.step as Step);
      const inner = STEP_SCRIPTS[kind] as StepScript<typeof kind>;
      return [
        '  let thrown = null;',
        '  try {',
        ...inner.lines(params as StepParams[typeof kind], `${label} ${kind}`, scenario).map((line) => `  ${line}`),
        '  } catch (error) {',
        '    thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);',
        '  }',
        `  log(\`${label}: ${kind} \${thrown === null ? 'did not throw' : \`threw "\${thrown.split('\\n')[0]}"\`}${p.message !== undefined ? ` (expected a throw matching /${p.message.replace(/[`$\\]/g, '')}/)` : ' (expected a throw)'}\`);`,
        `  if (thrown === null) ${fail(label, lit(`${kind} did not throw`))}`,
        ...(p.message !== undefined ? [`  if (!new RegExp(${lit(p.message)}).test(thrown)) ${fail(label, `\`${kind} threw "\${thrown.split('\\n')[0]}"\``)}`] : []),
      ];
    },
  },
};

/** Helpers the step lines use, added to the script only when a step needs them. */
const SCRIPT_STEP_HELPERS: Record<HelperName, string[]> = {
  mismatch: [
    '// The first index where |a - b| > atol + rtol * |b| (NaN only matches NaN), or null.',
    'const mismatch = (a, b, atol, rtol) => {',
    '  for (let i = 0; i < a.length; i++) {',
    '    const ok = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? Number.isNaN(a[i]) && Number.isNaN(b[i]) : Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);',
    '    if (!ok) return i;',
    '  }',
    '  return null;',
    '};',
  ],
  statistic: [
    '// A statistic in float64 over the whole tensor (axis undefined) or per index along axis, numpy style (biased',
    '// variance unless unbiased); with unscale, each value of channel c (along unscale.axis) is first (v - beta[c]) / gamma[c].',
    'const statistic = (t, kind, axis, unscale) => {',
    '  const rank = t.shape.length;',
    '  const along = (a) => { const k = a < 0 ? a + rank : a; return { size: t.shape[k], inner: t.shape.slice(k + 1).reduce((x, y) => x * y, 1) }; };',
    '  const g = axis === undefined ? { size: 1, inner: 1 } : along(axis);',
    '  const c = unscale ? along(unscale.axis) : null;',
    '  const value = (i) => { if (!c) return t.values[i]; const ch = Math.floor(i / c.inner) % c.size; return (t.values[i] - (unscale.beta?.[ch] ?? 0)) / (unscale.gamma?.[ch] ?? 1); };',
    '  const group = (i) => (axis === undefined ? 0 : Math.floor(i / g.inner) % g.size);',
    '  const groups = Array.from({ length: g.size }, () => ({ count: 0, sum: 0, dev: 0, min: Infinity, max: -Infinity }));',
    '  t.values.forEach((_, i) => { const v = value(i), s = groups[group(i)]; s.count++; s.sum += v; s.min = Math.min(s.min, v); s.max = Math.max(s.max, v); });',
    '  t.values.forEach((_, i) => { const s = groups[group(i)]; s.dev += (value(i) - s.sum / s.count) ** 2; });',
    '  const finish = { mean: (s) => s.sum / s.count, variance: (s) => s.dev / s.count, unbiasedVariance: (s) => (s.count < 2 ? NaN : s.dev / (s.count - 1)), std: (s) => Math.sqrt(s.dev / s.count), min: (s) => s.min, max: (s) => s.max };',
    '  return groups.map(finish[kind]);',
    '};',
  ],
};

function stepLines(step: Step, index: number, scenario: StepsScenario): string[] {
  const { kind, params } = stepEntry(step);
  const label = `step ${index + 1} (${kind})`;
  const script = STEP_SCRIPTS[kind] as StepScript<typeof kind>;
  return [
    `  // ${label}: ${JSON.stringify(params).replace(/[^\x20-\x7e]/g, '?')}`,
    '  try {',
    ...script.lines(params as StepParams[typeof kind], label, scenario).map((line) => `  ${line}`),
    '  } catch (error) {',
    `    return threw(${lit(label)}, error);`,
    '  }',
  ];
}

/** The helpers a program's steps use (an expectThrows counts what it wraps). */
function helpersOf(steps: readonly Step[]): Set<HelperName> {
  const used = new Set<HelperName>();
  for (const step of steps) {
    const { kind, params } = stepEntry(step);
    for (const helper of (STEP_SCRIPTS[kind] as StepScript<typeof kind>).helpers ?? []) used.add(helper);
    if (kind === 'expectThrows') for (const helper of helpersOf([params.step as Step])) used.add(helper);
  }
  return used;
}

/** Everything {@link renderStepsScript} needs. */
export interface StepsScriptInput {
  scenario: StepsScenario;
  backend: BackendName;
  capture: StepsCapture;
  bnSuiteVersion: string;
}

/** `function NAME() { ...build lines...; return { model, bn, ... }; }`: one build of the model with its initial weights. */
function buildFunctionLines(name: string, spec: ModelSpec, weights: CaseCapture['weights']): string[] {
  const parts = [
    'model',
    'bn',
    `base: ${spec.nested ? ((spec.depth ?? 1) === 2 ? 'wrapper' : 'base') : 'null'}`,
    `featureLayer: ${spec.architecture !== 'bn-only' ? 'featureLayer' : 'null'}`,
    `maskingLayer: ${spec.masking !== undefined ? 'maskingLayer' : 'null'}`,
    `timeDistributed: ${spec.timeDistributed === true ? 'timeDistributed' : 'null'}`,
    `sibling: ${spec.shared === true ? 'sibling' : 'null'}`,
  ];
  return [`function ${name}() {`, ...modelBuildLines(spec, weights), `  return { ${parts.join(', ')} };`, '}'];
}

/**
 * The parts of a steps repro (see render-script.ts `ReproParts`), shared by `repro.mjs` and the
 * webgl / webgpu page: the program written out as plain tfjs calls on the model bn-suite builds (its
 * seeded initial weights inlined) and the scenario's data. The model is built inside `main` (a
 * page's `tfl` exists only there). Scenario text enters only as escaped string literals and
 * comments stripped to printable ASCII.
 */
export function stepsReproParts(input: StepsScriptInput): ReproParts {
  const { scenario, backend, capture } = input;
  const spec = modelSpecOf(scenario.model, scenario.seed, scenario.data.batch);
  const helpers = helpersOf(scenario.steps);
  const indent = (lines: string[]) => lines.map((line) => (line === '' ? line : `  ${line}`));
  return {
    constants: [
      `const SCENARIO = ${lit(scenario.id)};`,
      `const DESCRIPTION = ${lit(scenario.description)};`,
      `const PROVENANCE = ${lit(scenario.provenance)};`,
      `const BACKEND = ${lit(backend)};`,
      `const GENERATOR = ${lit(`bn-suite ${input.bnSuiteVersion}`)};`,
    ],
    helpers: [...SCRIPT_HELPERS, 'const dense = async (t) => ({ shape: t.shape, values: await read(t) });', ...[...helpers].flatMap((helper) => SCRIPT_STEP_HELPERS[helper])],
    backendCheck: [
      '  if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialize`);',
      '  await tf.ready();',
      "  if (tf.getBackend() !== BACKEND) throw new Error(`tfjs runs on backend ${tf.getBackend()}, not ${BACKEND}`);",
      '  log(`scenario: ${SCENARIO}`);',
      '  log(`description: ${DESCRIPTION}`);',
      '  log(`upstream: ${PROVENANCE}`);',
      '  log(`generated by ${GENERATOR}`);',
    ],
    body: [
      "  // The model as bn-suite builds it (the layers with plain tfjs-layers calls, its seeded initial weights set).",
      ...indent(buildFunctionLines('buildModel', spec, capture.weights)),
      ...(capture.twinWeights !== null ? ['  // The twin: a second build, its own layers.', ...indent(buildFunctionLines('buildTwin', twinSpecOf(spec, scenario.model.twin?.bn ?? {}), capture.twinWeights))] : []),
      '',
      ...programPrelude(capture.twinWeights !== null),
      '',
      ...scenario.steps.flatMap((step, index) => [...stepLines(step, index, scenario), '']),
      "  log('every expectation holds');",
      '  return false;',
    ],
    data: [
      '// The data, as float32 values (row-major).',
      'const DATA = {',
      ...Object.entries(capture.tensors).map(([name, t]) => `  ${lit(name)}: { shape: ${shapeLiteral(t.shape)}, values: ${floatArrayLiteral(t.values, '  ')} },`),
      '};',
    ],
  };
}

/** The program's state and helpers inside `main`: the models by role, the tensors by name, losses, snapshots, compile and reload. */
function programPrelude(hasTwin: boolean): string[] {
  return [
    '  const built = { model: buildModel(), twin: null };',
    `  const the = (role) => (role === 'twin' ? (built.twin ??= ${hasTwin ? 'buildTwin()' : 'null'}) : built.model);`,
    "  const modelOf = (role) => (role === 'sibling' ? built.model.sibling : the(role).model);",
    '  // Data tensors and outputs by name ({shape, values}); x is one tensor for the whole program.',
    '  const tensors = Object.fromEntries(Object.entries(DATA).map(([name, t]) => [name, { shape: t.shape, values: t.values }]));',
    '  tensors.input = tensors.x;',
    '  const x = tf.tensor(DATA.x.values, DATA.x.shape);',
    "  const asTensor = (name) => (name === 'x' || name === 'input' ? x : tf.tensor(tensors[name].values, tensors[name].shape));",
    '  // What BN sees of an input: the layers in front of it applied (in inference mode, as bn-suite reads it).',
    '  const bnInputOf = (m, t) => [m.maskingLayer, m.featureLayer].reduce((input, layer) => (layer ? layer.apply(input) : input), t);',
    '  const losses = {};',
    '  const snapshots = {};',
    '  const shapes = {};',
    '  const compiled = {};',
    '  const OPTIMIZERS = {',
    '    sgd: (c) => tf.train.sgd(c.learningRate),',
    '    momentum: (c) => tf.train.momentum(c.learningRate, c.momentum),',
    '    adam: (c) => tf.train.adam(c.learningRate),',
    '    rmsprop: (c) => tf.train.rmsprop(c.learningRate, 0.9, c.momentum),',
    '    adagrad: (c) => tf.train.adagrad(c.learningRate),',
    '    adadelta: (c) => tf.train.adadelta(c.learningRate),',
    '    adamax: (c) => tf.train.adamax(c.learningRate),',
    '  };',
    '  const compile = (role) => compiled[role] && modelOf(role).compile({ optimizer: OPTIMIZERS[compiled[role].optimizer](compiled[role]), loss: compiled[role].loss });',
    '  // Every weight of a model by its name (layer/weight), read now.',
    '  const snapshot = async (role) => {',
    '    const weights = {};',
    '    for (const w of new Set(modelOf(role).weights)) weights[w.originalName ?? w.name] = { values: await read(w) };',
    '    return weights;',
    '  };',
    '  const kindOf = (name) => name.slice(name.lastIndexOf("/") + 1).replace(/_\\d+$/, "");',
    '  const movedSince = (before, after, kinds) =>',
    '    Object.keys(before).filter((k) => kinds.includes(kindOf(k)) && after[k] !== undefined && drift(before[k].values, after[k].values) > 0).map((k) => `${k} moved by up to ${num(drift(before[k].values, after[k].values))}`);',
    '  const findLayer = (owner, name) => { for (const layer of owner.layers) { if (layer.name === name) return layer; if (layer.layers) { const inner = findLayer(layer, name); if (inner) return inner; } } return null; };',
    '  const saveAndReload = async (role) => {',
    '    const m = the(role);',
    '    let saved;',
    '    await m.model.save(tf.io.withSaveHandler(async (artifacts) => { saved = artifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }; }));',
    '    m.model = await tfl.loadLayersModel(tf.io.fromMemory(saved));',
    `    m.bn = findLayer(m.model, ${lit(LAYER_NAMES.bn)});`,
    '    if (m.base) m.base = findLayer(m.model, m.base.name);',
    `    if (m.featureLayer) m.featureLayer = findLayer(m.model, ${lit(LAYER_NAMES.features)});`,
    `    if (m.maskingLayer) m.maskingLayer = findLayer(m.model, ${lit(LAYER_NAMES.masking)});`,
    '    compile(role);',
    '  };',
    '  const failed = (label, message) => {',
    '    log(`${label} does not hold: ${message}`);',
    "    log('actual: tfjs does not do what the upstream test expects (see above)');",
    '    return true;',
    '  };',
    '  const threw = (label, error) => {',
    "    log(`${label} throws: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);",
    "    log('actual: tfjs throws where the upstream test expects none');",
    '    return true;',
    '  };',
  ];
}

/**
 * Renders `repro.mjs` for a steps scenario: a standalone ES module needing only tfjs-core,
 * tfjs-layers and the backend's package. Exit 1 when an expectation does not hold or a step throws
 * (the behaviour reproduces), 0 when all hold, 2 when the script cannot start.
 */
export function renderStepsScript(input: StepsScriptInput): string {
  return renderScriptFromParts(stepsReproParts(input), [input.backend], [
    '// Standalone reproduction generated by bn-suite from a steps scenario (an upstream BatchNormalization test). Needs only tfjs-core, tfjs-layers and the backend package;',
    '// exit 1 also when a step throws.',
  ]);
}

/** Renders the webgl / webgpu page of a steps scenario: the same program in a page (see render-page.ts). */
export function renderStepsPage(input: StepsScriptInput & { backend: BrowserBackendName; bundles: readonly PageBundle[] }): string {
  return renderReproPage(stepsReproParts(input), input.backend, input.bundles);
}

/** What {@link writeStepsRepro} wrote and found. */
export interface StepsReproResult {
  dir: string;
  verification: Verification;
  sizes: Partial<Record<ReproFileName, number>>;
}

/** The program as a list for ISSUE.md (one step per line, as the scenario file has it). */
function programText(scenario: StepsScenario): string {
  return scenario.steps.map((step, i) => `${String(i + 1).padStart(2)}. ${JSON.stringify(step)}`).join('\n');
}

/** Code longer than this is attached rather than quoted: a GitHub issue holds 65,536 characters. */
const QUOTED_CODE_LIMIT = 40_000;

/** The lines of the script's output that say what went wrong: the failing or throwing step and what follows. */
function verdictLines(verification: Verification): string[] {
  const lines = verification.stdout.trim().split('\n');
  const first = lines.findIndex((line) => / (does not hold|throws): /.test(line));
  if (first < 0) return [];
  // The step's own line before it holds both sides' numbers.
  const label = /^step \d+ \(\w+\)/.exec(lines[first])?.[0];
  return lines.slice(first > 0 && label !== undefined && lines[first - 1].startsWith(`${label}:`) ? first - 1 : first);
}

/** ISSUE.md of a steps repro, on the tfjs bug template like bn-suite's other issues (render-issue.ts). */
function stepsIssue(input: {
  scenario: StepsScenario;
  backend: BackendName;
  versions: TfjsVersions;
  repro: { kind: 'script'; code: string; packageJson: string } | { kind: 'page'; code: string };
  verification: Verification;
  runSummary?: string;
  replayToken?: string;
  knownIssue?: { issue: string; reason: string } | null;
}): string {
  const { scenario, backend, versions, repro, verification } = input;
  const what = repro.kind === 'page' ? 'page' : 'script';
  const quoted = repro.code.length <= QUOTED_CODE_LIMIT;
  const threw = verdictLines(verification).some((line) => line.includes(' throws: '));
  return [
    `# tfjs-layers ${versions['@tensorflow/tfjs-layers']} (${backend}) ${threw ? 'throws where' : 'does not do what'} an upstream BatchNormalization test expects: ${scenario.id}`,
    '',
    ...(verification.reproduces ? [] : [`> **Not verified**: the generated ${what} did not reproduce the behaviour here (${formatVerification(verification)}); check it before filing.`, '']),
    '**System information**',
    ...systemInformation(systemInfo(versions), [backend], repro.kind, verification.browser),
    '',
    '**Describe the current behavior**',
    '',
    `The upstream test's program, run in tfjs on ${backend}, stops here:`,
    '',
    fenced('', verdictLines(verification).join('\n') || verification.stdout.trim()),
    '',
    '**Describe the expected behavior**',
    '',
    `${scenario.description}`,
    '',
    `Upstream test: ${scenario.provenance}`,
    '',
    '**Standalone code to reproduce the issue**',
    '',
    ...(repro.kind === 'page'
      ? ['Save as `index.html` and open it in a browser: it loads the pinned tfjs bundles from jsDelivr, prints every step, and sets `window.BN_SUITE_REPRO.exitCode` to 1 while the behaviour reproduces (0 when it does not, 2 when the page itself fails).']
      : ['Save as `repro.mjs` next to the `package.json` below, then `npm install && node repro.mjs` (exit 1 while the behaviour reproduces, 0 when it does not, 2 when the script itself fails). The initial weights and the data are inlined.']),
    '',
    ...(quoted ? [fenced(repro.kind === 'page' ? 'html' : 'js', repro.code)] : [`The ${what} (${Math.round(repro.code.length / 1024)} KB with its inlined data) is too long to quote here: attach \`${repro.kind === 'page' ? 'index.html' : 'repro.mjs'}\` from the repro folder.`]),
    ...(repro.kind === 'script' ? ['', fenced('json', repro.packageJson)] : []),
    '',
    '**Other info / logs**',
    '',
    `The program (bn-suite scenario \`${scenario.id}\`, invariant \`${scenario.invariant}\`), on bn-suite's seeded model (${JSON.stringify(scenario.model)}) and data (batch ${scenario.data.batch}):`,
    '',
    fenced('', programText(scenario)),
    '',
    ...(input.runSummary !== undefined ? [`bn-suite's run: ${input.runSummary}`, ''] : []),
    ...(input.knownIssue ? [`Known issue: ${input.knownIssue.issue} (${input.knownIssue.reason})`, ''] : []),
    ...printedLines(verification),
    '',
    `Generated by bn-suite ${BN_SUITE_VERSION}${input.replayToken !== undefined ? `; replay: \`${input.replayToken}\`` : ''}.`,
    '',
  ].join('\n');
}

/** Options of {@link writeStepsRepro}. */
export interface StepsReproOptions {
  scenario: StepsScenario;
  backend: BackendName;
  dir: string;
  versions: TfjsVersions;
  runSummary?: string;
  replayToken?: string;
  knownIssue?: { issue: string; reason: string } | null;
  /** Node: verify after `npm install` in a fresh folder instead of linking bn-suite's tfjs. */
  install?: boolean;
  /** webgl / webgpu: the headless Chromium and time limit the page is verified with (injected by tests). */
  page?: PageVerifyOptions;
}

/**
 * Writes the repro of a steps scenario into `dir`, after verifying it: on a Node backend
 * `repro.mjs` (run once in a fresh process), a pinned package.json and ISSUE.md; on webgl / webgpu
 * `index.html` (opened in headless Chromium on that backend, with the local tfjs bundles) and
 * ISSUE.md. The model's initial weights and the data come from bn-suite's seeded build on Node's
 * cpu for a page (they do not depend on the backend). ISSUE.md quotes what the repro printed.
 * Never prints.
 */
export async function writeStepsRepro(options: StepsReproOptions): Promise<StepsReproResult> {
  const { scenario, backend, versions } = options;
  if (isBrowserBackend(backend)) return writeStepsPage({ ...options, backend });
  const capture = await captureSteps(scenario);
  const script = renderStepsScript({ scenario, backend, capture, bnSuiteVersion: BN_SUITE_VERSION });
  const packageJson = reproPackageJson(backend, versions);
  const verification = await verifyReproFiles(script, packageJson, { install: options.install === true });
  const issue = stepsIssue({ ...options, repro: { kind: 'script', code: script, packageJson }, verification });
  const files = { 'repro.mjs': script, 'package.json': packageJson, 'ISSUE.md': issue };
  writeReproFolder(options.dir, files);
  return { dir: path.resolve(options.dir), verification, sizes: { 'repro.mjs': Buffer.byteLength(script), 'package.json': Buffer.byteLength(packageJson), 'ISSUE.md': Buffer.byteLength(issue) } };
}

/** The webgl / webgpu half of {@link writeStepsRepro}. */
async function writeStepsPage(options: StepsReproOptions & { backend: BrowserBackendName }): Promise<StepsReproResult> {
  const { scenario, backend } = options;
  const set = bundlesFor(backend, resolveTfjsFile);
  if (!set.ok) throw new UsageError(`cannot write a ${backend} page repro: ${set.reason}`);
  // A run on browser backends alone has loaded no Node backend yet: the capture needs cpu.
  const cpu = await probeBackend('cpu');
  if (!cpu.available) throw new UsageError(`cannot capture ${scenario.id} for a ${backend} page repro: Node's cpu backend is unavailable (${cpu.reason})`);
  await activateBackend('cpu');
  const capture = await captureSteps(scenario);
  const html = renderStepsPage({ scenario, backend, capture, bnSuiteVersion: BN_SUITE_VERSION, bundles: set.bundles });
  const verification = await verifyPageRepro(html, backend, options.page);
  const issue = stepsIssue({ ...options, versions: set.tfjs, repro: { kind: 'page', code: html }, verification });
  writeReproFolder(options.dir, { 'index.html': html, 'ISSUE.md': issue });
  return { dir: path.resolve(options.dir), verification, sizes: { 'index.html': Buffer.byteLength(html), 'ISSUE.md': Buffer.byteLength(issue) } };
}
