/**
 * Audits a user's model: freezes it as asked, fine-tunes it for a few steps, and measures what
 * every BN layer did. One function, tfjs injected, no file access: the CLI (`bn-suite audit`), the
 * library (`auditModel`) and the jest matchers all call it.
 *
 * The model is left as it was found: its weights and `trainable` flags are restored at the end, and
 * every tensor the audit made is disposed (the `leaks` check counts them).
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { createRng, deriveSeed } from '../data/rng';
import type { FloatBatch } from '../data/generators';
import { UsageError } from '../errors';
import { bnInferenceOutput } from '../oracle/batch-norm';
import { compareArrays, float32Tolerance } from '../oracle/compare';
import { captureLayerSnapshot, diffSnapshots, weightKind, type Snapshot, type WeightDiff } from '../snapshot/snapshot';
import { tf, tfl } from '../tfjs';
import { batchNormConfig, findBatchNormLayers, isFrozen, isNestedModel, type BatchNormSite } from './bn-layers';
import { type AuditCheckId, type AuditContext, type AuditEvidence } from './evidence';
import { applyFreezePlan, formatFreezePlan, type FreezePlan } from './freeze-plan';
import { forEachBatchNormInput } from './layer-inputs';
import { freezeForFineTuning, keepFrozenBatchNormInInferenceMode, type BatchNormRemedy } from './remedy';

/** What to audit and how. */
export interface AuditOptions {
  /** How to freeze the model; default `{ kind: 'base' }`. */
  freeze?: FreezePlan;
  /** Input data, first axis the samples; default seeded N(0, 1) data shaped like the model's input. */
  x?: FloatBatch | null;
  /** Integer class labels, one per sample; default none (synthetic labels train the head). */
  labels?: ArrayLike<number> | null;
  /** Fine-tuning steps (one batch each); default 5. */
  steps?: number;
  /** Batch size of fine-tuning and of the checks; default 32. */
  batchSize?: number;
  /** Synthetic samples when `x` is not given; default 64. */
  samples?: number;
  /** Seeds synthetic data, labels, the head's initializer and the batch order; default 1. */
  seed?: number;
  /** Adam's learning rate; default 0.001. */
  learningRate?: number;
  /** Freeze with {@link freezeForFineTuning} (the Keras 3 behaviour) instead of the tfjs way; default false. */
  remedy?: boolean;
  /** Where the model came from, for reports; default `memory`. */
  source?: string;
}

/** One check's outcome. */
export interface AuditCheckOutcome<C extends AuditCheckId = AuditCheckId> {
  holds: boolean;
  summary: string;
  evidence: AuditEvidence<C>;
}

/** What an audit found: each check's outcome, and the fine-tuning loss per step. */
export interface AuditReport {
  context: AuditContext;
  checks: { [C in AuditCheckId]: AuditCheckOutcome<C> };
  loss: number[];
}

const maxAbs = async (t: Tensor): Promise<number> => {
  const m = tf.tidy(() => tf.max(tf.abs(t)));
  try {
    return (await m.data())[0];
  } finally {
    m.dispose();
  }
};

const maxAbsDiff = (a: Tensor, b: Tensor): Promise<number> => {
  const d = tf.sub(a, b);
  return maxAbs(d).finally(() => d.dispose());
};

/** Largest |after - before| of the weights of `kind` between two layer snapshots; 0 when the layer has none. */
function drift(before: Snapshot, after: Snapshot, kind: ReturnType<typeof weightKind>): { max: number; changed: number; count: number; worst: Worst } {
  const diff = diffSnapshots(before, after, (name) => weightKind(name) === kind);
  const count = Object.keys(before.weights).filter((n) => weightKind(n) === kind).reduce((sum, n) => sum + before.weights[n].values.length, 0);
  return { max: diff.moved.reduce((m, d) => Math.max(m, d.maxAbsDiff), 0), changed: diff.moved.reduce((s, d) => s + d.changed, 0), count, worst: worstOf(diff.moved) };
}

type Worst = AuditEvidence<'moving-stats'>['layers'][number]['worst'];

/** The weight that moved most, at its first changed element (what a failure message shows). */
function worstOf(moved: readonly WeightDiff[]): Worst {
  if (moved.length === 0) return null;
  const top = moved.reduce((a, b) => (b.maxAbsDiff > a.maxAbsDiff ? b : a));
  return { weight: weightKind(top.name), index: top.firstIndex, before: top.before, after: top.after };
}

/** The larger of two changes, by how far they moved. */
const larger = (a: { max: number; worst: Worst }, b: { max: number; worst: Worst }): Worst => (b.max > a.max ? b.worst : a.worst) ?? b.worst;

/** Every layer and model inside `model`, parents before children, with its `trainable` flag. */
function trainableFlags(model: LayersModel): Array<[Layer, boolean]> {
  const flags: Array<[Layer, boolean]> = [[model, model.trainable]];
  for (const layer of model.layers) {
    if (isNestedModel(layer)) flags.push(...trainableFlags(layer));
    else flags.push([layer, layer.trainable]);
  }
  return flags;
}

/** The input shape of the model, without the batch axis; every dimension must be known. */
function inputShapeOf(model: LayersModel): number[] {
  if (model.inputs.length !== 1) throw new UsageError(`model '${model.name}' has ${model.inputs.length} inputs; bn-suite audits models with one input`);
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null)) throw new UsageError(`model '${model.name}' has input shape [${model.inputs[0].shape.join(',')}]; give --data, since synthetic data needs every dimension`);
  return shape as number[];
}

function syntheticInput(shape: readonly number[], samples: number, seed: number): FloatBatch {
  const rng = createRng(deriveSeed(seed, 'audit-x'));
  const size = samples * shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return { shape: [samples, ...shape], values };
}

/** Runs `fn` with the BN moving statistics of `sites` saved, and writes them back afterwards (a training-mode call moves them in tfjs). */
export async function keepingMovingStats<T>(sites: readonly BatchNormSite[], fn: () => Promise<T>): Promise<T> {
  const saved = sites.flatMap((s) => s.layer.weights.filter((w) => ['moving_mean', 'moving_variance'].includes(weightKind(w.originalName ?? w.name))).map((w) => [w, tf.clone(w.read())] as const));
  try {
    return await fn();
  } finally {
    for (const [variable, value] of saved) {
      variable.write(value);
      value.dispose();
    }
  }
}

const accuracyOf = async (probabilities: Tensor, labels: Tensor): Promise<number> => {
  const correct = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(probabilities, -1), labels), 'float32')));
  try {
    return (await correct.data())[0];
  } finally {
    correct.dispose();
  }
};

/**
 * Audits `model` (see the module comment). Bad options (a data shape the model cannot take, labels
 * of the wrong count, a layer name the model lacks) throw UsageError before anything runs.
 */
export async function auditModel(model: LayersModel, options: AuditOptions = {}): Promise<AuditReport> {
  const tensorsBefore = tf.memory().numTensors;
  const { context, checks, loss, sites } = await auditChecks(model, options);
  const tensorsAfter = tf.memory().numTensors;
  const rows = sites.map((site) => ({ path: site.path, frozen: isFrozen(site), holds: null }));
  const leaks: AuditCheckOutcome<'leaks'> = {
    holds: tensorsAfter === tensorsBefore,
    summary: tensorsAfter === tensorsBefore ? 'the audit left no tensor behind' : `the audit left ${tensorsAfter - tensorsBefore} tensors behind (${tensorsBefore} before, ${tensorsAfter} after)`,
    evidence: { check: 'leaks', audit: context, layers: rows, tensorsBefore, tensorsAfter },
  };
  return { context, checks: { ...checks, leaks }, loss };
}

async function auditChecks(model: LayersModel, options: AuditOptions): Promise<Omit<AuditReport, 'checks'> & { checks: Omit<AuditReport['checks'], 'leaks'>; sites: BatchNormSite[] }> {
  const plan = options.freeze ?? { kind: 'base' };
  const steps = options.steps ?? 5;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 1;
  const remedy = options.remedy ?? false;
  for (const [flag, value] of [['steps', steps], ['batchSize', batchSize], ['seed', seed]] as const) {
    const least = flag === 'batchSize' ? 1 : 0;
    if (!Number.isInteger(value) || value < least) throw new UsageError(`${flag} is ${value}; expected an integer >= ${least}`);
  }
  const inputShape = model.inputs[0]?.shape.slice(1) ?? [];
  const x = options.x ?? syntheticInput(inputShapeOf(model), options.samples ?? 64, seed);
  const samples = x.shape[0];
  const expected = inputShape.map((d, i) => d === null || d === x.shape[i + 1]);
  if (x.shape.length !== inputShape.length + 1 || expected.includes(false)) {
    throw new UsageError(`the data has shape [${x.shape.join(',')}]; model '${model.name}' takes [batch,${inputShape.map((d) => d ?? '?').join(',')}]`);
  }
  const labels = options.labels ?? null;
  if (labels !== null) {
    if (labels.length !== samples) throw new UsageError(`there are ${labels.length} labels for ${samples} samples`);
    for (let i = 0; i < labels.length; i++) if (!Number.isInteger(labels[i]) || labels[i] < 0) throw new UsageError(`label ${i} is ${labels[i]}; expected a class index (an integer >= 0)`);
  }
  // A reduce, not Math.max(...labels): a spread of a million labels overflows the call stack.
  const classes = labels === null ? 2 : Array.from(labels).reduce((most, l) => Math.max(most, l + 1), 2);
  const outputUnits = model.outputs[0].shape[model.outputs[0].shape.length - 1];

  const sitesBefore = findBatchNormLayers(model);
  const flags = trainableFlags(model);
  const weightFlags = model.weights.map((w) => [w, w.trainable] as const);
  const refCount = (model as unknown as { _refCount: number | null })._refCount;
  const initialWeights = model.weights.map((w) => [w, tf.clone(w.read())] as const);
  const rng = createRng(deriveSeed(seed, 'audit-batches'));
  const labelValues = labels === null ? Int32Array.from({ length: samples }, () => rng.int(classes)) : Int32Array.from(labels);

  let setup: ReturnType<typeof applyFreezePlan> | null = null;
  let applied: BatchNormRemedy | null = null;
  const optimizer = tf.train.adam(options.learningRate ?? 0.001);
  const xAll = tf.tensor(x.values, x.shape, 'float32');
  const labelTensor = tf.tensor1d(labelValues, 'int32');
  const probe = tf.tidy(() => tf.slice(xAll, 0, Math.min(batchSize, samples)));
  const loss: number[] = [];
  try {
    // Oracle agreement before anything changes: each BN layer on its actual input, in inference mode.
    const oracleRows: AuditEvidence<'oracle'>['layers'] = [];
    await forEachBatchNormInput(model, sitesBefore, probe, batchSize, async (site, input) => {
        const config = batchNormConfig(site);
        const actual = site.layer.apply(input, { training: false }) as Tensor;
        try {
          const read = async (kind: string): Promise<Float32Array | undefined> => {
            const w = site.layer.weights.find((v) => weightKind(v.originalName ?? v.name) === kind);
            return w === undefined ? undefined : ((await w.read().data()) as Float32Array);
          };
          const [gamma, beta, mean, variance] = await Promise.all([read('gamma'), read('beta'), read('moving_mean'), read('moving_variance')]);
          const xs = { shape: input.shape, values: (await input.data()) as Float32Array };
          const expectedOut = bnInferenceOutput(xs, { axis: config.axis, epsilon: config.epsilon, momentum: config.momentum, center: config.center, scale: config.scale, gamma, beta }, mean!, variance!);
          const magnitude = expectedOut.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          const tolerance = float32Tolerance({ reductionSize: 1, magnitude });
          const comparison = compareArrays({ shape: actual.shape, values: (await actual.data()) as Float32Array }, { shape: input.shape, values: expectedOut }, tolerance);
          const diff = comparison.ok ? comparison.maxAbsDiff : comparison.kind === 'values' ? comparison.maxAbsDiff : Infinity;
          oracleRows.push({ path: site.path, frozen: config.frozen, holds: comparison.ok, maxAbsDiff: diff, tolerance: tolerance.atol + tolerance.rtol * magnitude });
        } finally {
          actual.dispose();
        }
    });

    // Freeze, the tfjs way or with the remedy.
    setup = applyFreezePlan(model, plan, classes, seed);
    if (remedy) {
      applied = plan.kind === 'base' ? freezeForFineTuning(model) : keepFrozenBatchNormInInferenceMode(model);
    }
    const fineTune = setup.model;
    const sites = findBatchNormLayers(model);
    const configs = sites.map(batchNormConfig);

    // Training- vs inference-mode gap of each BN layer on its actual input (moving statistics kept).
    const gapRows: AuditEvidence<'mode-gap'>['layers'] = [];
    await forEachBatchNormInput(model, sites, probe, batchSize, (site, input) =>
      // The training-mode call moves the layer's statistics; they are put back before the next input is computed.
      keepingMovingStats([site], async () => {
        const inference = site.layer.apply(input, { training: false }) as Tensor;
        const training = site.layer.apply(input, { training: true }) as Tensor;
        try {
          const gap = await maxAbsDiff(training, inference);
          const tolerance = 1e-5 * (1 + (await maxAbs(inference)));
          gapRows.push({ path: site.path, frozen: isFrozen(site), holds: isFrozen(site) ? gap <= tolerance : null, gap, tolerance });
        } finally {
          tf.dispose([inference, training]);
        }
      }),
    );

    // Fine-tune.
    // The new head learns the labels; the user's own output learns them when they fit it (class
    // indices below its width), and otherwise its own inference-mode output (BN still runs in
    // training mode, which is what moves its statistics).
    const depth = plan.kind === 'base' ? classes : (outputUnits ?? 0);
    const useLabels = plan.kind === 'base' || (labels !== null && Array.from(labels).every((l) => l < depth));
    const targets = useLabels ? tf.tidy(() => tf.oneHot(labelTensor, depth)) : (fineTune.predict(xAll, { batchSize }) as Tensor);
    fineTune.compile({ optimizer, loss: useLabels ? 'categoricalCrossentropy' : 'meanSquaredError' });
    const before = await Promise.all(sites.map((s) => captureLayerSnapshot(s.layer)));
    try {
      const order = rng.shuffle(Array.from({ length: samples }, (_, i) => i));
      for (let step = 0; step < steps; step++) {
        const indices = Array.from({ length: Math.min(batchSize, samples) }, (_, i) => order[(step * batchSize + i) % samples]);
        const idx = tf.tensor1d(indices, 'int32');
        const xb = tf.gather(xAll, idx);
        const yb = tf.gather(targets, idx);
        try {
          const value = await fineTune.trainOnBatch(xb, yb);
          loss.push(Array.isArray(value) ? value[0] : value);
        } finally {
          tf.dispose([idx, xb, yb]);
        }
      }
    } finally {
      targets.dispose();
    }
    const after = await Promise.all(sites.map((s) => captureLayerSnapshot(s.layer)));
    const movingRows: AuditEvidence<'moving-stats'>['layers'] = [];
    const affineRows: AuditEvidence<'gamma-beta'>['layers'] = [];
    sites.forEach((site, i) => {
      const frozen = isFrozen(site);
      const mean = drift(before[i], after[i], 'moving_mean');
      const variance = drift(before[i], after[i], 'moving_variance');
      movingRows.push({ path: site.path, frozen, holds: frozen ? mean.changed + variance.changed === 0 : null, meanDrift: mean.max, varianceDrift: variance.max, changed: mean.changed + variance.changed, count: mean.count + variance.count, worst: larger(mean, variance) });
      const gamma = drift(before[i], after[i], 'gamma');
      const beta = drift(before[i], after[i], 'beta');
      affineRows.push({ path: site.path, frozen, holds: frozen ? gamma.changed + beta.changed === 0 : null, gammaChange: gamma.max, betaChange: beta.max });
    });

    // The whole model in both modes after fine-tuning, and with labels the accuracy in each.
    const modelGap = await keepingMovingStats(sites, async () => {
      const training = fineTune.apply(xAll, { training: true }) as Tensor;
      const inference = fineTune.predict(xAll, { batchSize }) as Tensor;
      try {
        const outputGap = await maxAbsDiff(training, inference);
        if (!useLabels || labels === null) return { outputGap, trainingModeAccuracy: null, inferenceModeAccuracy: null, gapPoints: null };
        const trainingModeAccuracy = await accuracyOf(training, labelTensor);
        const inferenceModeAccuracy = await accuracyOf(inference, labelTensor);
        return { outputGap, trainingModeAccuracy, inferenceModeAccuracy, gapPoints: 100 * (trainingModeAccuracy - inferenceModeAccuracy) };
      } finally {
        tf.dispose([training, inference]);
      }
    });

    // Purity: predict and evaluate leave every BN weight alone.
    const pureBefore = await Promise.all(sites.map((s) => captureLayerSnapshot(s.layer)));
    tf.dispose(fineTune.predict(xAll, { batchSize }) as Tensor);
    if (useLabels) {
      const y = tf.tidy(() => tf.oneHot(labelTensor, depth));
      try {
        tf.dispose(fineTune.evaluate(xAll, y, { batchSize }) as Tensor | Tensor[]);
      } finally {
        y.dispose();
      }
    }
    const pureAfter = await Promise.all(sites.map((s) => captureLayerSnapshot(s.layer)));
    const purityRows: AuditEvidence<'purity'>['layers'] = sites.map((site, i) => {
      const diff = diffSnapshots(pureBefore[i], pureAfter[i]);
      const change = diff.moved.reduce((m, d) => Math.max(m, d.maxAbsDiff), 0);
      return { path: site.path, frozen: isFrozen(site), holds: diff.moved.length === 0, change, worst: worstOf(diff.moved) };
    });

    // Reload: `trainable` (and so what is frozen) survives save and load.
    let saved: Parameters<typeof tf.io.fromMemory>[0] | null = null;
    await fineTune.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const reloadRows: AuditEvidence<'reload'>['layers'] = [];
    try {
      const reloadedRoot = reloaded.layers.find((l) => l.name === model.name);
      const reloadedSites = new Map((reloadedRoot !== undefined && isNestedModel(reloadedRoot) ? findBatchNormLayers(reloadedRoot) : []).map((s) => [s.path, s]));
      for (const site of sites) {
        const again = reloadedSites.get(site.path);
        const frozen = isFrozen(site);
        const frozenAfterReload = again === undefined ? null : isFrozen(again);
        reloadRows.push({ path: site.path, frozen, holds: frozenAfterReload === frozen, frozenAfterReload, trainableAfterReload: again === undefined ? null : again.layer.trainable });
      }
    } finally {
      reloaded.dispose();
    }

    const context: AuditContext = {
      model: model.name,
      source: options.source ?? 'memory',
      freeze: formatFreezePlan(plan),
      remedy,
      steps,
      batchSize,
      samples,
      data: options.x == null ? 'synthetic' : 'user',
      labels: labels !== null,
      seed,
      bnLayers: configs,
    };
    const outcome = <C extends AuditCheckId>(check: C, rows: AuditEvidence<C>['layers'], extra: Omit<AuditEvidence<C>, 'check' | 'audit' | 'layers'>, describe: (failing: readonly string[]) => string): AuditCheckOutcome<C> => {
      const failing = (rows as Array<{ path: string; holds: boolean | null }>).filter((r) => r.holds === false).map((r) => r.path);
      return { holds: failing.length === 0, summary: describe(failing), evidence: { check, audit: context, layers: rows, ...extra } as AuditEvidence<C> };
    };
    const list = (paths: readonly string[]): string => (paths.length <= 3 ? paths.join(', ') : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`);
    const worst = <R extends { path: string; holds: boolean | null }>(rows: readonly R[], value: (r: R) => number): string => {
      const failing = rows.filter((r) => r.holds === false);
      if (failing.length === 0) return '';
      const top = failing.reduce((a, b) => (value(b) > value(a) ? b : a));
      return ` (largest: ${top.path}, ${value(top).toPrecision(3)})`;
    };
    const frozenCount = movingRows.filter((r) => r.frozen).length;

    const checks = {
      'moving-stats': outcome('moving-stats', movingRows, {}, (f) =>
        f.length === 0 ? `the moving statistics of the ${frozenCount} frozen BN layers stayed unchanged over ${steps} fine-tuning steps` : `fine-tuning moved the moving statistics of ${f.length} of ${frozenCount} frozen BN layers: ${list(f)}${worst(movingRows, (r) => Math.max(r.meanDrift ?? Infinity, r.varianceDrift ?? Infinity))}`,
      ),
      'gamma-beta': outcome('gamma-beta', affineRows, {}, (f) => (f.length === 0 ? `gamma and beta of the ${frozenCount} frozen BN layers stayed unchanged` : `fine-tuning changed gamma/beta of ${f.length} frozen BN layers: ${list(f)}`)),
      'mode-gap': outcome('mode-gap', gapRows, { model: modelGap }, (f) =>
        f.length === 0
          ? `the ${frozenCount} frozen BN layers give the same output in training and inference mode`
          : `${f.length} of ${frozenCount} frozen BN layers normalize differently in training mode (as fit runs them) than in inference mode: ${list(f)}${worst(gapRows, (r) => r.gap ?? Infinity)}` +
            (modelGap.gapPoints === null ? '' : `; accuracy ${(100 * modelGap.trainingModeAccuracy!).toFixed(1)}% in training mode vs ${(100 * modelGap.inferenceModeAccuracy!).toFixed(1)}% in inference mode`),
      ),
      purity: outcome('purity', purityRows, {}, (f) => (f.length === 0 ? 'predict and evaluate left every BN weight unchanged' : `predict/evaluate changed BN weights of ${list(f)}`)),
      reload: outcome('reload', reloadRows, {}, (f) => (f.length === 0 ? 'what is frozen survives save and load' : `after save and load, ${f.length} BN layers are no longer frozen as they were: ${list(f)}`)),
      oracle: outcome('oracle', oracleRows, {}, (f) =>
        f.length === 0 ? `every BN layer's inference output on its actual input agrees with the float64 oracle` : `the inference output of ${list(f)} differs from the float64 oracle on its actual input${worst(oracleRows, (r) => r.maxAbsDiff ?? Infinity)}`,
      ),
    };
    return { context, checks, loss, sites };
  } finally {
    tf.dispose([xAll, labelTensor, probe]);
    optimizer.dispose();
    applied?.undo();
    if (setup !== null) {
      // The fine-tune model called the user's model on a new input, which raised tfjs's reference
      // count of it, so the user's own dispose() would no longer free it. Disposing the fine-tune
      // model would free the user's model outright (tfjs disposes containers a model uses), so the
      // head is disposed alone and the count put back as it was.
      setup.head?.dispose();
      (model as unknown as { _refCount: number | null })._refCount = refCount;
    }
    for (const [variable, value] of initialWeights) {
      variable.write(value);
      value.dispose();
    }
    for (const [layer, trainable] of flags) layer.trainable = trainable;
    // Setting a model's `trainable` also sets its weights' own flags, which the layer flags above
    // do not undo; the weights' flags decide the order of model.weights, so they are put back too.
    for (const [variable, trainable] of weightFlags) variable.trainable = trainable;
  }
}

