import { z } from 'zod';

const weightKind = z.enum(['gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias']);
const name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/, 'names are letters, digits, _ and -');
const tolerance = { atol: z.number().nonnegative().default(0), rtol: z.number().nonnegative().default(0) };
const target = z.enum(['bn', 'base']);

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
      })
      .strict()
      .default({ axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true, movingMeanInit: 0, movingVarianceInit: 1, gammaInit: 1, betaInit: 0 }),
    head: z.object({ units: z.number().int().positive(), activation: z.enum(['softmax', 'linear']) }).strict().optional(),
    nested: z.boolean().default(false),
  })
  .strict();

/** Input data: a constant, seeded gaussian features, or explicit values (row-major). */
const inputSchema = z.union([
  z.object({ fill: z.number() }).strict(),
  z.object({ gaussian: z.object({ mean: z.number(), scale: z.number().nonnegative() }).strict() }).strict(),
  z.object({ values: z.array(z.number()).min(1) }).strict(),
]);

/** Targets: a constant, seeded gaussian values, or random class labels (one-hot). */
const targetSchema = z.union([
  z.object({ fill: z.number() }).strict(),
  z.object({ gaussian: z.object({ mean: z.number(), scale: z.number().nonnegative() }).strict() }).strict(),
  z.object({ labels: z.literal(true) }).strict(),
]);

export const stepsDataSchema = z.object({ batch: z.number().int().positive(), x: inputSchema, y: targetSchema.optional() }).strict();

/** The parameter schema of every step action and expectation: the catalogue the runner's handlers mirror. */
export const STEP_ACTION_SCHEMAS = {
  freeze: target,
  unfreeze: target,
  compile: z.object({ loss: z.enum(['meanSquaredError', 'categoricalCrossentropy']), learningRate: z.number().positive().default(0.01) }).strict(),
  fit: z.object({ epochs: z.number().int().positive().default(1), batchSize: z.number().int().positive().optional(), shuffle: z.boolean().default(false) }).strict(),
  trainOnBatch: z.object({ times: z.number().int().positive().default(1), as: name.optional() }).strict(),
  callBn: z.object({ training: z.boolean(), times: z.number().int().positive().default(1), as: name.optional() }).strict(),
  callModel: z.object({ training: z.boolean(), as: name.optional() }).strict(),
  predict: z.object({ as: name }).strict(),
  evaluate: z.object({ as: name, batchSize: z.number().int().positive().optional() }).strict(),
  snapshot: z.object({ as: name }).strict(),
  saveReload: z.object({ via: z.enum(['memory', 'disk']) }).strict(),
  expectWeight: z.object({ weight: z.string().min(1), values: z.array(z.number()).optional(), fill: z.number().optional(), ...tolerance }).strict(),
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
};

/** A step action or expectation. */
export type StepKind = keyof typeof STEP_ACTION_SCHEMAS;

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
/** A parsed steps-scenario model. */
export type StepsModel = z.infer<typeof stepsModelSchema>;
/** Parsed steps-scenario data. */
export type StepsData = z.infer<typeof stepsDataSchema>;
