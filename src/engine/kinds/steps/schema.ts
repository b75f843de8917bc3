import { z } from 'zod';
import { ACTIVATIONS } from '../../models/spec';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../../run/optimizers';

const weightKind = z.enum(['gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias']);
const name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/, 'names are letters, digits, _ and -');
const tolerance = { atol: z.number().nonnegative().default(0), rtol: z.number().nonnegative().default(0) };
const target = z.enum(['bn', 'base']);
const positiveInt = z.number().int().positive();
const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]).transform((v): [number, number] => (typeof v === 'number' ? [v, v] : v));

/**
 * The models a step may act on: `model`, the model under test; `twin`, a second build of the same
 * spec (identical initial weights, no layer shared), to compare two programs; `sibling`, a second
 * model sharing the layers up to BN with `model` (needs `model.sibling: true`).
 */
export const MODEL_ROLES = ['model', 'twin', 'sibling'] as const;

/** One of {@link MODEL_ROLES}. */
export type ModelRole = (typeof MODEL_ROLES)[number];

const on = z.enum(MODEL_ROLES).optional();
/** Freezing acts on layers; the sibling shares the model's, so only the model and its twin own any. */
const ownLayers = z.enum(['model', 'twin']).optional();

/** A Keras initializer by name, a constant, seeded random values, or literal values (row-major, the weight's shape). */
export const initializerSchema = z.union([
  z.enum(['zeros', 'ones', 'identity', 'glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'leCunNormal']),
  z.object({ constant: z.number() }).strict(),
  z.object({ values: z.array(z.number()).min(1) }).strict(),
  z.object({ uniform: z.object({ min: z.number(), max: z.number() }).strict() }).strict(),
  z.object({ normal: z.object({ mean: z.number(), stddev: z.number().positive() }).strict() }).strict(),
]);

const regularizer = z.object({ l1: z.number().nonnegative().optional(), l2: z.number().nonnegative().optional() }).strict();
const constraint = z.union([
  z.enum(['nonNeg', 'unitNorm']),
  z.object({ maxNorm: z.object({ maxValue: z.number().positive() }).strict() }).strict(),
  z.object({ minMaxNorm: z.object({ minValue: z.number().nonnegative(), maxValue: z.number().positive(), rate: z.number().min(0).max(1).optional() }).strict() }).strict(),
]);
/** Regularizers and constraints of gamma and beta (Keras `gamma_regularizer`, `beta_constraint`, ...). */
const bnWeightOptions = {
  gammaRegularizer: regularizer.optional(),
  betaRegularizer: regularizer.optional(),
  gammaConstraint: constraint.optional(),
  betaConstraint: constraint.optional(),
};

/** BN options that differ from the model's (a twin's, a symbolic layer's). */
const bnOverrides = z
  .object({
    axis: z.number().int(),
    momentum: z.number().min(0).max(1),
    epsilon: z.number().positive(),
    center: z.boolean(),
    scale: z.boolean(),
    movingMeanInit: z.number(),
    movingVarianceInit: z.number().min(0),
    gammaInit: z.number(),
    betaInit: z.number(),
  })
  .partial()
  .strict();

/** The model of a steps scenario: bn-suite's model spec with tfjs's BN defaults filled in. */
export const stepsModelSchema = z
  .object({
    architecture: z.enum(['bn-only', 'dense', 'conv']).default('bn-only'),
    inputShape: z.array(z.number().int().positive()).min(1).max(4),
    hiddenUnits: z.number().int().positive().default(4),
    bn: z
      .object({
        axis: z.number().int().default(-1),
        momentum: z.number().min(0).max(1).default(0.99),
        epsilon: z.number().positive().default(1e-3),
        center: z.boolean().default(true),
        scale: z.boolean().default(true),
        movingMeanInit: z.number().default(0),
        movingVarianceInit: z.number().min(0).default(1),
        gammaInit: z.number().default(1),
        betaInit: z.number().default(0),
        ...bnWeightOptions,
      })
      .strict()
      .default({ axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1, gammaInit: 1, betaInit: 0 }),
    /** The Dense / Conv2D layer in front of BN (architecture dense or conv). */
    features: z
      .object({
        kernelInitializer: initializerSchema.optional(),
        biasInitializer: initializerSchema.optional(),
        useBias: z.boolean().optional(),
        activation: z.enum(ACTIVATIONS).optional(),
        kernelSize: pair.optional(),
        padding: z.enum(['same', 'valid']).optional(),
        strides: pair.optional(),
      })
      .strict()
      .optional(),
    head: z
      .object({
        units: z.number().int().positive(),
        activation: z.enum(['softmax', 'linear', 'sigmoid', 'relu']),
        kernelInitializer: initializerSchema.optional(),
        biasInitializer: initializerSchema.optional(),
        useBias: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** A Masking layer first (Keras `Masking(mask_value)`). */
    masking: z.object({ maskValue: z.number().default(0) }).strict().optional(),
    /** How the model (and, independently, a nested base) is put together: `tfl.model` or `tfl.sequential`. */
    container: z.enum(['functional', 'sequential']).default('functional'),
    baseContainer: z.enum(['functional', 'sequential']).default('functional'),
    /** Wrap BN in a TimeDistributed layer (bn-only, rank 3 or more): the model runs BN once per time step. */
    timeDistributed: z.boolean().default(false),
    nested: z.boolean().default(false),
    /**
     * The BN layer alone, built for the batch's full shape as a bare layer is by its first call, so
     * its axis may be 0 (the batch axis). bn-only, no head, nesting or masking; every input the
     * program feeds it has the data's batch size.
     */
    bare: z.boolean().default(false),
    /** Build a second model sharing the layers up to BN (`on: sibling`). */
    sibling: z.boolean().default(false),
    /** How the twin (`on: twin`) differs from the model: BN options of its own (default: none, an identical build). */
    twin: z.object({ bn: bnOverrides }).strict().optional(),
  })
  .strict();

const gaussian = z.object({ gaussian: z.object({ mean: z.number(), scale: z.number().nonnegative() }).strict() }).strict();
const uniform = z.object({ uniform: z.object({ min: z.number(), max: z.number() }).strict().refine((u) => u.min <= u.max, { message: 'min must not exceed max', path: ['max'] }) }).strict();
const fill = z.object({ fill: z.number() }).strict();
const values = z.object({ values: z.array(z.number()).min(1) }).strict();

/** Input data: a constant, seeded gaussian or uniform values, or explicit values (row-major). */
const inputSchema = z.union([fill, gaussian, uniform, values]);

/** Targets: as inputs, random class labels (one-hot), or a copy of the inputs (`fit(x, x)`). */
const targetSchema = z.union([fill, gaussian, uniform, values, z.object({ labels: z.literal(true) }).strict(), z.object({ sameAs: z.literal('x') }).strict()]);

/**
 * A further named tensor of the data: a second batch, explicit targets, or a copy of another data
 * tensor with one index along an axis set to a value (Keras's `x[:, 1, :] = 0`). The shape is the
 * whole shape, batch first; `[batch, ...inputShape]` when absent.
 */
// A dimension may be 0: an empty batch is a case upstream tests (PyTorch's test_BatchNorm_empty).
const tensorShape = z.array(z.number().int().nonnegative()).min(1).max(5).optional();
const moreTensorSchema = z.union([
  z.object({ shape: tensorShape, fill: z.number() }).strict(),
  z.object({ shape: tensorShape, gaussian: gaussian.shape.gaussian }).strict(),
  z.object({ shape: tensorShape, uniform: uniform.shape.uniform }).strict(),
  z.object({ shape: tensorShape, values: z.array(z.number()) }).strict(),
  z.object({ copyOf: name, set: z.object({ axis: z.number().int(), index: z.number().int().nonnegative(), value: z.number() }).strict().optional() }).strict(),
]);

export const stepsDataSchema = z
  .object({ batch: z.number().int().positive(), x: inputSchema, y: targetSchema.optional(), tensors: z.record(name, moreTensorSchema).optional() })
  .strict();

/** Names the data section defines for every program (`input` is another name for `x`). */
export const DATA_TENSOR_NAMES = ['x', 'input', 'y'] as const;

/** Optimizers `compile` can use (tfjs `tf.train.*`). */
export const OPTIMIZERS = OPTIMIZER_KINDS;

/** The learning rate an optimizer gets when `compile` does not say: Keras's default for it. */
export const DEFAULT_LEARNING_RATES: Record<OptimizerKind, number> = { sgd: 0.01, momentum: 0.01, adam: 0.001, rmsprop: 0.001, adagrad: 0.001, adadelta: 0.001, adamax: 0.001 };

/** Losses `compile` can use (tfjs names). */
export const LOSSES = ['meanSquaredError', 'meanAbsoluteError', 'categoricalCrossentropy', 'binaryCrossentropy'] as const;

/** What `expectStatistic` computes: over the whole tensor, or per channel along an axis. */
export const STATISTICS = ['mean', 'std', 'variance', 'unbiasedVariance', 'min', 'max'] as const;

/** One of {@link STATISTICS}. */
export type StatisticKind = (typeof STATISTICS)[number];

const freezeTarget = z.enum(['bn', 'base', 'model']);
const frozenTarget = z.union([freezeTarget, z.object({ target: freezeTarget, on: ownLayers }).strict()]).transform((t) => (typeof t === 'string' ? { target: t, on: undefined } : t));
// Expected values may be NaN (YAML `.nan`): a NaN matches only NaN.
const expectedNumber = z.union([z.number(), z.nan()]);
const literalOrFill = { values: z.array(expectedNumber).min(1).optional(), fill: expectedNumber.optional() };

/** The parameter schema of every step action and expectation: the catalogue the runner's handlers mirror. */
export const STEP_ACTION_SCHEMAS = {
  freeze: frozenTarget,
  unfreeze: frozenTarget,
  compile: z
    .object({
      optimizer: z.enum(OPTIMIZERS).default('sgd'),
      learningRate: z.number().positive().optional(),
      /** The momentum of `momentum` (required there) and `rmsprop` (0 unless given). */
      momentum: z.number().min(0).max(1).optional(),
      loss: z.enum(LOSSES),
      on,
    })
    .strict()
    .refine((c) => c.optimizer !== 'momentum' || c.momentum !== undefined, { message: 'the momentum optimizer needs momentum', path: ['momentum'] })
    .refine((c) => c.momentum === undefined || c.optimizer === 'momentum' || c.optimizer === 'rmsprop', { message: 'momentum applies to the momentum and rmsprop optimizers only', path: ['momentum'] }),
  fit: z
    .object({ epochs: positiveInt.default(1), batchSize: positiveInt.optional(), shuffle: z.boolean().default(false), input: name.optional(), targets: name.optional(), as: name.optional(), on })
    .strict(),
  trainOnBatch: z.object({ times: positiveInt.default(1), as: name.optional(), input: name.optional(), targets: name.optional(), on }).strict(),
  callBn: z
    .object({
      training: z.boolean(),
      times: positiveInt.default(1),
      /** Feed each call's output into the next (Keras `out = layer(out)`), instead of the same input every time. */
      chain: z.boolean().default(false),
      input: name.optional(),
      /** A mask passed to the call (Keras `layer(x, mask=...)`): a data tensor's name. */
      mask: name.optional(),
      as: name.optional(),
      on: ownLayers,
    })
    .strict(),
  callModel: z.object({ training: z.boolean(), input: name.optional(), as: name.optional(), on }).strict(),
  predict: z.object({ as: name, input: name.optional(), batchSize: positiveInt.optional(), on }).strict(),
  evaluate: z.object({ as: name, input: name.optional(), targets: name.optional(), batchSize: positiveInt.optional(), on }).strict(),
  snapshot: z.object({ as: name, on }).strict(),
  saveReload: z.object({ via: z.enum(['memory', 'disk']), on: ownLayers }).strict(),
  /**
   * The gradients of `sum(bn(input) * cotangent)` (all ones without a cotangent) with respect to
   * BN's input, gamma and beta, in the given mode: tensors `<as>_dx`, `<as>_dgamma`, `<as>_dbeta`
   * (the last two when the layer has them). A training-mode call updates the moving statistics, as
   * the forward pass it differentiates does.
   */
  gradBn: z
    .object({
      training: z.boolean(),
      input: name.optional(),
      cotangent: name.optional(),
      /** What to differentiate with respect to (all three unless given; dx of an empty batch throws in tfjs). */
      wrt: z.array(z.enum(['input', 'gamma', 'beta'])).min(1).optional(),
      /** Also keep the forward output of the differentiated call under this name. */
      output: name.optional(),
      as: name,
      on: ownLayers,
    })
    .strict(),
  /** The tfjs op `tf.batchNorm(x, mean, variance, offset, scale, epsilon)` on data tensors, no layer involved. */
  batchNormOp: z.object({ x: name, mean: name, variance: name, offset: name.optional(), scale: name.optional(), epsilon: z.number().nonnegative(), as: name }).strict(),
  /**
   * A fresh BN layer (the model's options, with `options` changed) applied to a symbolic input of
   * `shape` (null: a size not known), as Keras builds a layer without data; its symbolic output
   * shape is recorded as `as`.
   */
  symbolicBn: z
    .object({
      shape: z.array(z.number().int().positive().nullable()).min(1).max(6),
      // Any momentum, also outside [0, 1]: whether tfjs refuses one is what an expectThrows around this may ask.
      options: bnOverrides.extend({ momentum: z.number() }).partial().optional(),
      as: name.optional(),
    })
    .strict(),
  /** Assigns a weight (Keras `layer.moving_mean.assign(...)`): literal values, or one value everywhere. */
  setWeight: z
    .object({
      weight: z.string().min(1),
      ...literalOrFill,
      /** The shape of the values, when not the weight's own: tfjs then refuses them (for an expectThrows). */
      shape: z.array(z.number().int().nonnegative()).min(1).optional(),
      on: ownLayers,
    })
    .strict(),
  /** A weight's current value as a named tensor (to compare with `expectClose`, e.g. the model's against the twin's). */
  readWeight: z.object({ weight: z.string().min(1), as: name, on }).strict(),
  expectWeight: z.object({ weight: z.string().min(1), ...literalOrFill, ...tolerance, on }).strict(),
  expectUnchanged: z.object({ since: name, kinds: z.array(weightKind).min(1) }).strict(),
  expectChanged: z.object({ since: name, kinds: z.array(weightKind).min(1) }).strict(),
  expectClose: z.object({ a: name, b: name, ...tolerance }).strict(),
  // Element by element (Keras's assertNotAllClose) unless minAbsSumDiff asks for the summed difference, as tf-keras's test writes it.
  expectDiffer: z
    .object({ a: name, b: name, atol: z.number().nonnegative().optional(), rtol: z.number().nonnegative().optional(), minAbsSumDiff: z.number().nonnegative().optional() })
    .strict()
    .refine((e) => e.minAbsSumDiff === undefined || (e.atol === undefined && e.rtol === undefined), {
      message: 'minAbsSumDiff (the summed difference) cannot be combined with atol/rtol (element by element): choose one',
    }),
  expectNormalized: z.object({ output: name, axis: z.number().int().default(-1), atol: z.number().positive() }).strict(),
  expectLossEqual: z.object({ a: name, b: name, decimals: z.number().int().min(0).max(12) }).strict(),
  /** A tensor against literal values (a golden output), or one value everywhere. */
  expectOutput: z.object({ output: name, ...literalOrFill, ...tolerance }).strict(),
  /** A tensor's shape, or a symbolic shape (`symbolicBn`; null for a size not known). */
  expectShape: z.object({ output: name, shape: z.array(z.number().int().nonnegative().nullable()).min(1) }).strict(),
  /**
   * A statistic of a tensor (over all of it, or per channel along `axis`), optionally of
   * `(t - beta) / gamma` (`unscale`), against a number, literal values or a weight's values.
   */
  expectStatistic: z
    .object({
      of: name,
      statistic: z.enum(STATISTICS),
      axis: z.number().int().optional(),
      unscale: z.boolean().default(false),
      equals: z.union([z.number(), z.array(z.number()).min(1), z.object({ weight: z.string().min(1) }).strict()]),
      ...tolerance,
    })
    .strict(),
  /** A loss (trainOnBatch, evaluate) or a fit's loss history against literal values, or that it decreases every epoch. */
  expectLoss: z
    .object({ of: name, values: z.array(z.number()).min(1).optional(), decreasing: z.literal(true).optional(), ...tolerance })
    .strict()
    .refine((e) => (e.values === undefined) !== (e.decreasing === undefined), { message: 'expectLoss needs exactly one of values and decreasing' }),
  /** How many weights a model or layer lists as trainable and non-trainable (Keras `len(layer.trainable_weights)`). */
  expectWeightCount: z
    .object({
      of: z.enum(['model', 'twin', 'sibling', 'bn', 'base']),
      trainable: z.number().int().nonnegative().optional(),
      nonTrainable: z.number().int().nonnegative().optional(),
      total: z.number().int().nonnegative().optional(),
      /** The weights listed as trainable / non-trainable, by name (`bn/gamma`), in order. */
      trainableNames: z.array(z.string().min(1)).optional(),
      nonTrainableNames: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .refine((e) => Object.keys(e).some((k) => k !== 'of'), { message: 'expectWeightCount needs trainable, nonTrainable, total, trainableNames or nonTrainableNames' }),
  /** How many regularization losses a layer or model has (Keras `len(layer.losses)`), and their values. */
  expectLayerLosses: z.object({ of: z.enum(['bn', 'model']), count: z.number().int().nonnegative(), values: z.array(z.number()).optional(), ...tolerance }).strict(),
  /** Entries of the BN layer's `getConfig()` (a value compared as JSON: numbers, strings, booleans, null, nested objects). */
  expectConfig: z.object({ of: z.enum(['bn', 'twin']), values: z.record(z.string(), z.unknown()) }).strict(),
  /** The constraint a weight has, by tfjs class name (`NonNeg`, `MaxNorm`, ...; `none` for no constraint). */
  expectConstraint: z.object({ weight: z.string().min(1), className: z.string().min(1) }).strict(),
  /** The action in `step` throws (its message matching the regular expression `message`, when given). */
  expectThrows: z.object({ step: z.lazy(() => actionStepSchema), message: z.string().min(1).optional() }).strict(),
};

/** A step action or expectation. */
export type StepKind = keyof typeof STEP_ACTION_SCHEMAS;

/** The kinds that act (rather than judge): what `expectThrows` may wrap. */
export const ACTION_KINDS = ['freeze', 'unfreeze', 'compile', 'fit', 'trainOnBatch', 'callBn', 'callModel', 'predict', 'evaluate', 'snapshot', 'saveReload', 'gradBn', 'batchNormOp', 'symbolicBn', 'setWeight', 'readWeight'] as const satisfies readonly StepKind[];

/** One of {@link ACTION_KINDS}. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** The parsed parameters of each step kind. */
export type StepParams = { [K in StepKind]: z.output<(typeof STEP_ACTION_SCHEMAS)[K]> };

/** The step kinds, in the order the docs list them. */
export const STEP_KINDS = Object.keys(STEP_ACTION_SCHEMAS) as StepKind[];

/**
 * One step of a steps scenario: an object with exactly one key, the action (or expectation), whose
 * value holds its parameters. Written as one strict object of optional keys so that a misspelt
 * action is reported as an unknown key next to the allowed ones.
 */
export const stepSchema = z
  .object(STEP_ACTION_SCHEMAS)
  .partial()
  .strict()
  .superRefine((step, ctx) => {
    const keys = Object.keys(step);
    if (keys.length !== 1) ctx.addIssue({ code: 'custom', message: `a step has exactly one action; found ${keys.length === 0 ? 'none' : keys.join(', ')}; allowed: ${STEP_KINDS.join(', ')}` });
  });

/** A parsed step. */
export type Step = z.infer<typeof stepSchema>;

/** One action step, as `expectThrows` wraps it. */
const actionStepSchema: z.ZodType = z
  .object(Object.fromEntries(ACTION_KINDS.map((kind) => [kind, STEP_ACTION_SCHEMAS[kind]])))
  .partial()
  .strict()
  .superRefine((step, ctx) => {
    const keys = Object.keys(step as object);
    if (keys.length !== 1) ctx.addIssue({ code: 'custom', message: `expectThrows wraps exactly one action; found ${keys.length === 0 ? 'none' : keys.join(', ')}; allowed: ${ACTION_KINDS.join(', ')}` });
  });
/** A parsed steps-scenario model. */
export type StepsModel = z.infer<typeof stepsModelSchema>;
/** Parsed steps-scenario data. */
export type StepsData = z.infer<typeof stepsDataSchema>;
/** An initializer as a scenario writes it. */
export type InitializerInput = z.infer<typeof initializerSchema>;
