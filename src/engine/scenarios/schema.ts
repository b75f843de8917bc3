import { z } from 'zod';
import { BACKEND_NAMES } from '../backends';
import { INVARIANT_IDS } from '../invariants/types';
import { ENTRY_POINTS } from '../run/case-spec';
import { stepSchema, stepsDataSchema, stepsModelSchema } from '../kinds/steps/schema';
import { transferFields } from '../kinds/transfer/schema';

const range = z.object({ min: z.number(), max: z.number() }).strict();

/** What a scenario lets the property engine vary (every field optional, narrowing the defaults). */
export const varySchema = z
  .object({
    ranks: z.array(z.union([z.literal(2), z.literal(3), z.literal(4)])).min(1),
    architectures: z.array(z.enum(['bn-only', 'dense', 'conv'])).min(1),
    entryPoints: z.array(z.enum(ENTRY_POINTS)).min(1),
    freeze: z.array(z.enum(['bn', 'base', 'none'])).min(1),
    nested: z.array(z.boolean()).min(1),
    center: z.array(z.boolean()).min(1),
    scale: z.array(z.boolean()).min(1),
    axisPlacement: z.array(z.enum(['last', 'non-last'])).min(1),
    spatial: range,
    channels: range,
    batch: range,
    steps: range,
    momentum: range,
    epsilon: range,
    dataMean: range,
    dataScale: range,
    classes: range,
    learningRate: range,
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
  .strict();

/** A transfer-learning scenario on real data: pre-train a base with BN, freeze it, fine-tune a new head (`kind: transfer`). */
export const transferScenarioSchema = z.object({ ...common, ...transferFields }).strict();

/** Any scenario file. */
export const scenarioSchema = z.discriminatedUnion('kind', [propertyScenarioSchema, stepsScenarioSchema, transferScenarioSchema]);

/** The tag vocabulary file (`scenarios/tags.yaml`). */
export const tagVocabularySchema = z.object({ tags: z.record(z.string().regex(/^[a-z0-9-]+$/), z.string().min(1)) }).strict();
