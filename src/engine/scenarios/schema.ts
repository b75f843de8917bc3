import { z } from 'zod';
import { BACKEND_NAMES } from '../backends';
import { INVARIANT_IDS } from '../invariants/types';
import { ENTRY_POINTS, FREEZE_TIMINGS } from '../run/case-spec';
import { OPTIMIZER_KINDS } from '../run/optimizers';
import { CONTAINER_KINDS } from '../models/spec';
import { checkStepReferences } from '../kinds/steps/references';
import { stepSchema, stepsDataSchema, stepsModelSchema } from '../kinds/steps/schema';
import { transferFields } from '../kinds/transfer/schema';

/**
 * A `vary` range within what bn-suite can generate and tfjs can run: bounds named in the message,
 * min <= max, integers where the quantity counts something. Checked when the file loads (exit 2 with
 * file:line:column), never half-way through a run.
 */
function range(lowest: number, highest: number, options: { integer?: boolean; exclusiveLow?: boolean } = {}) {
  const number = options.integer === true ? z.number().int() : z.number();
  const low = options.exclusiveLow === true ? number.gt(lowest, `must be above ${lowest}`) : number.min(lowest, `must be at least ${lowest}`);
  const value = low.max(highest, `must be at most ${highest}`);
  return z
    .object({ min: value, max: value })
    .strict()
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max', path: ['max'] });
}

/** What a scenario lets the property engine vary (every field optional, narrowing the defaults). */
export const varySchema = z
  .object({
    ranks: z.array(z.union([z.literal(2), z.literal(3), z.literal(4), z.literal(5)])).min(1),
    architectures: z.array(z.enum(['bn-only', 'dense', 'conv'])).min(1),
    entryPoints: z.array(z.enum(ENTRY_POINTS)).min(1),
    freeze: z.array(z.enum(['bn', 'base', 'none'])).min(1),
    freezeTimings: z.array(z.enum(FREEZE_TIMINGS)).min(1),
    nested: z.array(z.boolean()).min(1),
    containers: z.array(z.enum(CONTAINER_KINDS)).min(1),
    depths: z.array(z.union([z.literal(1), z.literal(2)])).min(1),
    shared: z.array(z.boolean()).min(1),
    center: z.array(z.boolean()).min(1),
    scale: z.array(z.boolean()).min(1),
    axisPlacement: z.array(z.enum(['last', 'non-last'])).min(1),
    spatial: range(1, 16, { integer: true }),
    channels: range(1, 64, { integer: true }),
    batch: range(1, 1024, { integer: true }),
    steps: range(1, 100, { integer: true }),
    // Momentum 1 would freeze the statistics by definition; above it, the average diverges.
    momentum: range(0, 1),
    epsilon: range(0, 1, { exclusiveLow: true }),
    dataMean: range(-1e6, 1e6),
    dataScale: range(0, 1e4),
    // 0 classes: no classification head (regression on the features).
    classes: range(0, 16, { integer: true }),
    learningRate: range(0, 10, { exclusiveLow: true }),
    optimizers: z.array(z.enum(OPTIMIZER_KINDS)).min(1),
  })
  .partial()
  .strict();

/** Fields every scenario file has. */
const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)*$/, 'ids are lowercase words joined by -, . and /'),
  description: z.string().min(1),
  provenance: z.string().min(1),
  tags: z.array(z.string()).min(1),
  /** Backends the scenario applies to (default: every backend). */
  backends: z.array(z.enum(BACKEND_NAMES)).min(1).optional(),
  /** The invariant the scenario speaks to: results, known issues and contracts are keyed by it. */
  invariant: z.enum(INVARIANT_IDS),
};

/** A property scenario: one invariant checked over generated cases (`kind: property`). */
export const propertyScenarioSchema = z
  .object({ ...common, kind: z.literal('property'), vary: varySchema.default({}) })
  .strict();

/** A steps scenario: one fixed program of actions and expectations, e.g. a Keras test translated (`kind: steps`). */
export const stepsScenarioSchema = z
  .object({
    ...common,
    kind: z.literal('steps'),
    seed: z.number().int().nonnegative().default(1),
    model: stepsModelSchema,
    data: stepsDataSchema,
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const rank = scenario.model.inputShape.length + 1;
    const axis = scenario.model.bn.axis;
    if (axis < -rank || axis >= rank) {
      ctx.addIssue({ code: 'custom', path: ['model', 'bn', 'axis'], message: `axis ${axis} is outside the input's rank ${rank} ([batch, ...inputShape]); allowed: ${-rank} to ${rank - 1}` });
    }
    const elements = scenario.data.batch * scenario.model.inputShape.reduce((a, b) => a * b, 1);
    if (elements > MAX_TENSOR_ELEMENTS) {
      ctx.addIssue({ code: 'custom', path: ['model', 'inputShape'], message: `[batch, ...inputShape] has ${elements} elements; the limit per tensor is ${MAX_TENSOR_ELEMENTS}` });
    }
    for (const issue of checkStepReferences(scenario.model, scenario.data, scenario.steps)) ctx.addIssue({ code: 'custom', ...issue });
  });

/**
 * Elements one input tensor of a steps scenario may have (16 Mi, 64 MiB of float32): larger
 * programs are refused when the file loads rather than failing inside tfjs as a "verdict".
 */
export const MAX_TENSOR_ELEMENTS = 16 * 1024 * 1024;

/** A transfer-learning scenario on real data: pre-train a base with BN, freeze it, fine-tune a new head (`kind: transfer`). */
export const transferScenarioSchema = z.object({ ...common, ...transferFields }).strict();

/** Any scenario file. */
export const scenarioSchema = z.discriminatedUnion('kind', [propertyScenarioSchema, stepsScenarioSchema, transferScenarioSchema]);

/** The tag vocabulary file (`scenarios/tags.yaml`). */
export const tagVocabularySchema = z.object({ tags: z.record(z.string().regex(/^[a-z0-9-]+$/), z.string().min(1)) }).strict();
