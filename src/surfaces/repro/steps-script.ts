/**
 * Repros of steps scenarios: the scenario's program (freeze, compile, fit, callBn, expectClose, ...)
 * written out as plain tfjs calls in a standalone `repro.mjs`, on the model bn-suite builds (its
 * seeded initial weights inlined) and the scenario's data (inlined). Each expectation becomes a
 * check that prints the numbers; the first one that does not hold ends the script with exit 1
 * (`RESULT: reproduced`), as it ends bn-suite's run of the program.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, type BackendName } from '../../engine/backends';
import type { Step, StepKind, StepParams } from '../../engine/kinds/steps/schema';
import { inputValues, modelSpecOf, targetTensor } from '../../engine/kinds/steps/run-steps';
import { buildModel } from '../../engine/models/build';
import { LAYER_NAMES } from '../../engine/models/spec';
import type { StepsScenario } from '../../engine/scenarios/types';
import { withSeed } from '../../engine/determinism/with-seed';
import * as path from 'node:path';
import type { TfjsVersions } from '../../engine/tfjs';
import { BN_SUITE_VERSION } from '../../engine/version';
import { printedLines, verifyReproFiles, type Verification } from './verify';
import { reproPackageJson, writeReproFolder } from './write-repro';
import { floatArrayLiteral, layerWeights, modelBuildLines, numberLiteral, SCRIPT_EPILOGUE, SCRIPT_HELPERS, shapeLiteral, stringLiteral, type CaseCapture, type InlineTensor } from './render-script';

/** What a steps repro inlines: the model's initial weights as bn-suite builds them, and the data. */
export interface StepsCapture {
  weights: CaseCapture['weights'];
  x: InlineTensor;
  /** Null when the scenario has no targets (data.y). */
  y: InlineTensor | null;
}

/** Builds the scenario's model and data on the active backend, under its seed, and inlines them. */
export async function captureSteps(scenario: StepsScenario): Promise<StepsCapture> {
  return withSeed(scenario.seed, async () => {
    const spec = modelSpecOf(scenario.model, scenario.seed);
    const built = buildModel(spec);
    const shape = [scenario.data.batch, ...scenario.model.inputShape];
    let y: Tensor | null = null;
    try {
      const weights: CaseCapture['weights'] = {
        features: spec.architecture === 'bn-only' ? null : layerWeights(built.host.getLayer(LAYER_NAMES.features)),
        bn: layerWeights(built.bn) as InlineTensor[],
        head: spec.classes > 0 ? layerWeights(built.model.getLayer(LAYER_NAMES.head)) : null,
      };
      y = targetTensor(scenario.data, [scenario.data.batch, ...(built.model.outputs[0].shape.slice(1) as number[])], scenario.seed);
      return {
        weights,
        x: { shape, values: Array.from(inputValues(scenario.data, shape, scenario.seed)) },
        y: y === null ? null : { shape: y.shape.slice(), values: Array.from(await y.data()) },
      };
    } finally {
      y?.dispose();
      built.model.dispose();
    }
  });
}

const lit = stringLiteral;
const n = numberLiteral;

/** One step as script lines; an expectation that does not hold calls `failed(...)`, which ends main. */
type StepLines<K extends StepKind> = (params: StepParams[K], label: string, scenario: StepsScenario) => string[];

/** `failed(label, message)`: prints which step did not hold and returns true (reproduced) from main. */
const fail = (label: string, message: string) => `return failed(${lit(label)}, ${message});`;

/**
 * Every step kind as script lines. A `Record` over the step kinds: an action added to the language
 * without its script form fails the type check.
 */
const STEP_LINES: { [K in StepKind]: StepLines<K> } = {
  freeze: (target) => [`  ${target === 'base' ? 'base' : 'bn'}.trainable = false;`],
  unfreeze: (target) => [`  ${target === 'base' ? 'base' : 'bn'}.trainable = true;`],
  compile: (p) => [`  compiled = { loss: ${lit(p.loss)}, learningRate: ${n(p.learningRate)} };`, '  compile();'],
  fit: (p) => [`  await model.fit(x, y, { epochs: ${n(p.epochs)}, batchSize: ${p.batchSize === undefined ? 'x.shape[0]' : n(p.batchSize)}, shuffle: ${p.shuffle}, verbose: 0 });`],
  trainOnBatch: (p) => [
    `  for (let i = 0; i < ${n(p.times)}; i++) {`,
    '    const loss = await model.trainOnBatch(x, y);',
    ...(p.as !== undefined ? [`    losses[${lit(p.as)}] = Array.isArray(loss) ? loss[0] : loss;`] : []),
    '  }',
  ],
  callBn: (p, _label, scenario) => [
    '  {',
    `    const bnInput = ${scenario.model.architecture === 'bn-only' ? 'x' : 'featureLayer.apply(x)'}; // what BN sees`,
    `    for (let i = 0; i < ${n(p.times)}; i++) {`,
    `      const out = bn.apply(bnInput, { training: ${p.training} });`,
    ...(p.as !== undefined ? [`      if (i === ${n(p.times - 1)}) outputs[${lit(p.as)}] = { shape: out.shape, values: await read(out) };`] : []),
    '    }',
    "    outputs['bn_input'] = { shape: bnInput.shape, values: await read(bnInput) };",
    '  }',
  ],
  callModel: (p) => {
    const out = `model.apply(x, { training: ${p.training} })`;
    return p.as === undefined ? [`  ${out};`] : [`  { const out = ${out}; outputs[${lit(p.as)}] = { shape: out.shape, values: await read(out) }; }`];
  },
  predict: (p) => [`  { const out = model.predict(x); outputs[${lit(p.as)}] = { shape: out.shape, values: await read(out) }; }`],
  evaluate: (p) => [`  { const out = model.evaluate(x, y, { batchSize: ${n(p.batchSize ?? 32)} }); losses[${lit(p.as)}] = (await read(Array.isArray(out) ? out[0] : out))[0]; }`],
  snapshot: (p) => [`  snapshots[${lit(p.as)}] = await snapshot();`],
  saveReload: (p) => [
    `  // saveReload via ${p.via}: saved to and loaded from memory (bn-suite's ${p.via === 'disk' ? 'disk store writes the same artifacts to files' : 'own way'}).`,
    '  await saveAndReload();',
  ],
  expectWeight: (p, label) => [
    '  {',
    `    const current = (await snapshot())[${lit(p.weight)}];`,
    `    if (current === undefined) throw new Error(${lit(`no weight '${p.weight}'`)});`,
    `    const expected = ${p.values !== undefined ? floatArrayLiteral(p.values, '    ') : `current.values.map(() => ${n(p.fill ?? Number.NaN)})`};`,
    `    const bad = mismatch(current.values, expected, ${n(p.atol)}, ${n(p.rtol)});`,
    `    log(\`${label}: ${p.weight} = \${show(current.values)}; expected \${show(expected)} (atol ${p.atol}, rtol ${p.rtol})\`);`,
    `    if (bad !== null) ${fail(label, `\`${p.weight}[\${bad}] = \${num(current.values[bad])}, expected \${num(expected[bad])}\``)}`,
    '  }',
  ],
  expectUnchanged: (p, label) => [
    '  {',
    `    const moved = movedSince(snapshots[${lit(p.since)}], await snapshot(), ${JSON.stringify(p.kinds)});`,
    `    log(\`${label}: ${p.kinds.join('/')} weights moved since '${p.since}': \${moved.length === 0 ? 'none' : moved.join('; ')}\`);`,
    `    if (moved.length > 0) ${fail(label, `\`\${moved.join('; ')}\``)}`,
    '  }',
  ],
  expectChanged: (p, label) => [
    '  {',
    `    const moved = movedSince(snapshots[${lit(p.since)}], await snapshot(), ${JSON.stringify(p.kinds)});`,
    `    log(\`${label}: ${p.kinds.join('/')} weights moved since '${p.since}': \${moved.length === 0 ? 'none' : moved.join('; ')}\`);`,
    `    if (moved.length === 0) ${fail(label, lit(`no ${p.kinds.join('/')} weight changed since '${p.since}'`))}`,
    '  }',
  ],
  expectClose: (p, label) => [
    '  {',
    `    const a = outputs[${lit(p.a)}];`,
    `    const b = ${p.b === 'input' ? '{ shape: x.shape, values: await read(x) }' : `outputs[${lit(p.b)}]`};`,
    `    const bad = a.values.length !== b.values.length ? 0 : mismatch(a.values, b.values, ${n(p.atol)}, ${n(p.rtol)});`,
    `    log(\`${label}: ${p.a} \${show(a.values)} vs ${p.b} \${show(b.values)}: max abs diff \${num(drift(b.values, a.values))} (atol ${p.atol}, rtol ${p.rtol})\`);`,
    `    if (bad !== null) ${fail(label, `\`${p.a} and ${p.b} differ at \${bad}: \${num(a.values[bad])} vs \${num(b.values[bad])}\``)}`,
    '  }',
  ],
  expectDiffer: (p, label) => {
    if (p.minAbsSumDiff !== undefined) {
      return [
        '  {',
        `    const a = outputs[${lit(p.a)}].values, b = outputs[${lit(p.b)}].values;`,
        '    const absSumDiff = Math.abs(a.reduce((sum, v, i) => sum + v - b[i], 0));',
        `    log(\`${label}: |sum(${p.a} - ${p.b})| = \${num(absSumDiff)} (must be above ${p.minAbsSumDiff})\`);`,
        `    if (!(absSumDiff > ${n(p.minAbsSumDiff)})) ${fail(label, `\`|sum(${p.a} - ${p.b})| = \${num(absSumDiff)} is not above ${p.minAbsSumDiff}\``)}`,
        '  }',
      ];
    }
    // Keras's assertNotAllClose defaults (the engine's DIFFER_TOLERANCE).
    const atol = p.atol ?? 1e-6;
    const rtol = p.rtol ?? 1e-6;
    return [
      '  {',
      `    const a = outputs[${lit(p.a)}].values, b = outputs[${lit(p.b)}].values;`,
      `    log(\`${label}: ${p.a} \${show(a)} vs ${p.b} \${show(b)}: max abs diff \${num(drift(b, a))}\`);`,
      `    if (a.length === b.length && mismatch(a, b, ${n(atol)}, ${n(rtol)}) === null) ${fail(label, `\`${p.a} and ${p.b} are close everywhere (atol ${atol}, rtol ${rtol})\``)}`,
      '  }',
    ];
  },
  expectNormalized: (p, label) => [
    '  {',
    `    const out = outputs[${lit(p.output)}];`,
    '    const weights = await snapshot();',
    `    const { means, stds } = channelStats(out, ${n(p.axis)}, weights['bn/gamma']?.values, weights['bn/beta']?.values);`,
    `    log(\`${label}: per-channel mean of (${p.output} - beta) / gamma \${show(means)}, std \${show(stds)} (want 0 and 1 within ${p.atol})\`);`,
    `    const bad = means.findIndex((m, c) => Math.abs(m) > ${n(p.atol)} || Math.abs(stds[c] - 1) > ${n(p.atol)});`,
    `    if (bad >= 0) ${fail(label, `\`channel \${bad} has mean \${num(means[bad])} and std \${num(stds[bad])}\``)}`,
    '  }',
  ],
  expectLossEqual: (p, label) => [
    '  {',
    `    const a = losses[${lit(p.a)}], b = losses[${lit(p.b)}];`,
    `    log(\`${label}: loss ${p.a} = \${a}, ${p.b} = \${b}\`);`,
    `    if (!(Math.abs(a - b) < ${n(0.5 * 10 ** -p.decimals)})) ${fail(label, `\`they differ at ${p.decimals} decimals (difference \${num(Math.abs(a - b))})\``)}`,
    '  }',
  ],
};

function stepLines(step: Step, index: number, scenario: StepsScenario): string[] {
  const kind = Object.keys(step)[0] as StepKind;
  const params = step[kind] as StepParams[typeof kind];
  const label = `step ${index + 1} (${kind})`;
  const render = STEP_LINES[kind] as StepLines<typeof kind>;
  return [`  // ${label}: ${JSON.stringify(params).replace(/[^\x20-\x7e]/g, '?')}`, ...render(params, label, scenario)];
}

/** Everything {@link renderStepsScript} needs. */
export interface StepsScriptInput {
  scenario: StepsScenario;
  backend: BackendName;
  capture: StepsCapture;
  bnSuiteVersion: string;
}

/**
 * Renders `repro.mjs` for a steps scenario: a standalone ES module needing only tfjs-core,
 * tfjs-layers and the backend's package. Exit 1 when an expectation does not hold (the behaviour
 * reproduces), 0 when all hold, 2 when the script itself fails. Scenario text enters only as
 * escaped string literals and comments stripped to printable ASCII.
 */
export function renderStepsScript(input: StepsScriptInput): string {
  const { scenario, backend, capture } = input;
  const spec = modelSpecOf(scenario.model, scenario.seed);
  const y = capture.y ?? { shape: [0], values: [] };
  const lines = [
    '// Standalone reproduction generated by bn-suite from a steps scenario. Needs only tfjs-core, tfjs-layers and the backend package:',
    '//   npm install && node repro.mjs',
    '// Exit code 1: an expectation does not hold (the behaviour reproduces); 0: every expectation holds; 2: the script itself failed.',
    "import * as tf from '@tensorflow/tfjs-core';",
    "import * as tfl from '@tensorflow/tfjs-layers';",
    `import ${lit(BACKEND_PACKAGES[backend])};`,
    '',
    `const SCENARIO = ${lit(scenario.id)};`,
    `const DESCRIPTION = ${lit(scenario.description)};`,
    `const PROVENANCE = ${lit(scenario.provenance)};`,
    `const BACKEND = ${lit(backend)};`,
    `const GENERATOR = ${lit(`bn-suite ${input.bnSuiteVersion}`)};`,
    '',
    ...SCRIPT_HELPERS,
    'const log = (line) => console.log(line);',
    '// The first index where |a - b| > atol + rtol * |b| (NaN only matches NaN), or null.',
    'const mismatch = (a, b, atol, rtol) => {',
    '  for (let i = 0; i < a.length; i++) {',
    '    const ok = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? Number.isNaN(a[i]) && Number.isNaN(b[i]) : Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]);',
    '    if (!ok) return i;',
    '  }',
    '  return null;',
    '};',
    '// Per channel (along axis) mean and std of (out - beta) / gamma.',
    'const channelStats = (out, axisIn, gamma, beta) => {',
    '  const rank = out.shape.length;',
    '  const axis = axisIn < 0 ? axisIn + rank : axisIn;',
    '  const channels = out.shape[axis];',
    '  const inner = out.shape.slice(axis + 1).reduce((a, b) => a * b, 1);',
    '  const sums = new Float64Array(channels), squares = new Float64Array(channels);',
    '  out.values.forEach((v, i) => {',
    '    const c = Math.floor(i / inner) % channels;',
    '    const z = (v - (beta?.[c] ?? 0)) / (gamma?.[c] ?? 1);',
    '    sums[c] += z;',
    '    squares[c] += z * z;',
    '  });',
    '  const count = out.values.length / channels;',
    '  const means = Array.from(sums, (s) => s / count);',
    '  return { means, stds: Array.from(squares, (q, c) => Math.sqrt(Math.max(0, q / count - means[c] ** 2))) };',
    '};',
    '',
    'async function main() {',
    "  tf.enableProdMode(); // silences tfjs's Node.js banner",
    '  if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialize`);',
    '  await tf.ready();',
    "  if (tf.getBackend() !== BACKEND) throw new Error(`tfjs runs on backend ${tf.getBackend()}, not ${BACKEND}`);",
    '  log(`scenario: ${SCENARIO}`);',
    '  log(`description: ${DESCRIPTION}`);',
    '  log(`upstream: ${PROVENANCE}`);',
    '  log(`tfjs-core ${tf.version_core}, tfjs-layers ${tfl.version_layers}, backend ${tf.getBackend()}, Node ${process.versions.node}; generated by ${GENERATOR}`);',
    '',
    // let, not const: saveReload replaces them with the reloaded model's.
    ...modelBuildLines(spec, capture.weights).map((line) => line.replace(/^ {2}const (model|bn|base|featureLayer) = /, '  let $1 = ')),
    '',
    '  const x = tf.tensor(X_VALUES, X_SHAPE);',
    '  const y = Y_VALUES.length > 0 ? tf.tensor(Y_VALUES, Y_SHAPE) : null;',
    '  const outputs = {};',
    '  const losses = {};',
    '  const snapshots = {};',
    '  let compiled = null;',
    '  const compile = () => compiled && model.compile({ optimizer: tf.train.sgd(compiled.learningRate), loss: compiled.loss });',
    '  // Every weight of the model by its name (layer/weight), read now.',
    '  const snapshot = async () => {',
    '    const weights = {};',
    '    for (const w of new Set(model.weights)) weights[w.originalName ?? w.name] = { values: await read(w) };',
    '    return weights;',
    '  };',
    '  const kindOf = (name) => name.slice(name.lastIndexOf("/") + 1).replace(/_\\d+$/, "");',
    '  const movedSince = (before, after, kinds) =>',
    '    Object.keys(before).filter((k) => kinds.includes(kindOf(k)) && after[k] !== undefined && drift(before[k].values, after[k].values) > 0).map((k) => `${k} moved by up to ${num(drift(before[k].values, after[k].values))}`);',
    '  const findLayer = (owner, name) => { for (const layer of owner.layers) { if (layer.name === name) return layer; if (layer.layers) { const inner = findLayer(layer, name); if (inner) return inner; } } return null; };',
    '  const saveAndReload = async () => {',
    '    let saved;',
    '    await model.save(tf.io.withSaveHandler(async (artifacts) => { saved = artifacts; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }; }));',
    '    model = await tfl.loadLayersModel(tf.io.fromMemory(saved));',
    `    bn = findLayer(model, ${lit(LAYER_NAMES.bn)});`,
    ...(spec.nested ? [`    base = findLayer(model, ${lit(LAYER_NAMES.base)});`] : []),
    ...(spec.architecture !== 'bn-only' ? [`    featureLayer = findLayer(model, ${lit(LAYER_NAMES.features)});`] : []),
    '    compile();',
    '  };',
    '  const failed = (label, message) => {',
    '    log(`${label} does not hold: ${message}`);',
    "    log('actual: tfjs does not do what the upstream test expects (see above)');",
    '    return true;',
    '  };',
    '',
    ...scenario.steps.flatMap((step, index) => [...stepLines(step, index, scenario), '']),
    "  log('every expectation holds');",
    '  return false;',
    '}',
    '',
    '// The data, as float32 values (row-major).',
    `const X_SHAPE = ${shapeLiteral(capture.x.shape)};`,
    `const X_VALUES = ${floatArrayLiteral(capture.x.values, '')};`,
    `const Y_SHAPE = ${shapeLiteral(y.shape)};`,
    `const Y_VALUES = ${floatArrayLiteral(y.values, '')};`,
    '',
    ...SCRIPT_EPILOGUE,
  ];
  return lines.join('\n');
}

/** What {@link writeStepsRepro} wrote and found. */
export interface StepsReproResult {
  dir: string;
  verification: Verification;
  sizes: Record<'repro.mjs' | 'package.json' | 'ISSUE.md', number>;
}

/** The program as a YAML-like list for ISSUE.md (one step per line, as the scenario file has it). */
function programText(scenario: StepsScenario): string {
  return scenario.steps.map((step, i) => `${String(i + 1).padStart(2)}. ${JSON.stringify(step)}`).join('\n');
}

/**
 * Writes `<dir>/repro.mjs`, a pinned package.json and ISSUE.md for a steps scenario on a Node
 * backend (the active one must be `backend`), after running the script once in a fresh process
 * (ISSUE.md quotes what it printed). Never prints.
 */
export async function writeStepsRepro(options: { scenario: StepsScenario; backend: BackendName; dir: string; versions: TfjsVersions; runSummary?: string; replayToken?: string; knownIssue?: { issue: string; reason: string } | null; install?: boolean }): Promise<StepsReproResult> {
  const { scenario, backend, versions } = options;
  const capture = await captureSteps(scenario);
  const script = renderStepsScript({ scenario, backend, capture, bnSuiteVersion: BN_SUITE_VERSION });
  const packageJson = reproPackageJson(backend, versions);
  const verification = await verifyReproFiles(script, packageJson, { install: options.install === true });
  const issue = [
    `# tfjs-layers ${versions['@tensorflow/tfjs-layers']} (${backend}) does not do what an upstream BatchNormalization test expects: ${scenario.id}`,
    '',
    `**Expected** (upstream): ${scenario.description}`,
    '',
    `Upstream test: ${scenario.provenance}`,
    '',
    `The same program in tfjs (bn-suite scenario \`${scenario.id}\`, \`${scenario.invariant}\`), on bn-suite's seeded model (${JSON.stringify(scenario.model)}) and data (batch ${scenario.data.batch}):`,
    '',
    '```',
    programText(scenario),
    '```',
    '',
    ...(options.runSummary !== undefined ? [`bn-suite's run: ${options.runSummary}`, ''] : []),
    ...(options.knownIssue ? [`Known issue: ${options.knownIssue.issue} (${options.knownIssue.reason})`, ''] : []),
    '**Reproduction**: `npm install && node repro.mjs` (tfjs only; the initial weights and the data are inlined).',
    '',
    ...printedLines(verification),
    '',
    `tfjs-core ${versions['@tensorflow/tfjs-core']}, tfjs-layers ${versions['@tensorflow/tfjs-layers']}, ${BACKEND_PACKAGES[backend]} ${versions[BACKEND_PACKAGES[backend] as keyof TfjsVersions] ?? '?'}, Node ${process.versions.node}. Generated by bn-suite ${BN_SUITE_VERSION}${options.replayToken !== undefined ? `; replay: \`${options.replayToken}\`` : ''}.`,
    '',
  ].join('\n');
  const files = { 'repro.mjs': script, 'package.json': packageJson, 'ISSUE.md': issue };
  writeReproFolder(options.dir, files);
  return { dir: path.resolve(options.dir), verification, sizes: { 'repro.mjs': Buffer.byteLength(script), 'package.json': Buffer.byteLength(packageJson), 'ISSUE.md': Buffer.byteLength(issue) } };
}
