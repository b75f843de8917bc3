/**
 * The evidence of a steps scenario: a program that ran to its end, or the first expectation that
 * did not hold, with that expectation's own numbers.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { integer, measuredNumber, weightDiffSchema } from '../../invariants/evidence-parts';
import type { StepKind } from './schema';

/** The step kinds that judge rather than act: the ones that can fail. */
export type ExpectationKind = Extract<StepKind, `expect${string}`>;

/**
 * What each expectation records when it does not hold. A `Record` over {@link ExpectationKind}: a
 * new expectation without its evidence fails the type check.
 */
export const EXPECTATION_EVIDENCE = {
  expectWeight: z.object({ weight: z.string(), actual: z.array(measuredNumber), expected: z.array(measuredNumber) }).strict(),
  expectUnchanged: z.object({ moved: z.array(weightDiffSchema) }).strict(),
  expectChanged: z.object({ unchanged: z.array(z.string()) }).strict(),
  expectClose: z.object({ comparison: z.string() }).strict(),
  // maxAbsDiff: null for the summed form (and absent in results written before the element-wise one).
  expectDiffer: z.object({ absSumDiff: measuredNumber, maxAbsDiff: measuredNumber.optional() }).strict(),
  expectNormalized: z.object({ means: z.array(measuredNumber), stds: z.array(measuredNumber) }).strict(),
  expectLossEqual: z.object({ a: measuredNumber, b: measuredNumber, difference: measuredNumber }).strict(),
  // The comparison in words; the first values of each side (a golden output may be thousands of values).
  expectOutput: z.object({ comparison: z.string(), maxAbsDiff: measuredNumber, actual: z.array(measuredNumber), expected: z.array(measuredNumber) }).strict(),
  expectShape: z.object({ actual: z.array(integer.nullable()), expected: z.array(integer.nullable()) }).strict(),
  expectStatistic: z.object({ statistic: z.string(), actual: z.array(measuredNumber), expected: z.array(measuredNumber) }).strict(),
  expectLoss: z.object({ actual: z.array(measuredNumber), expected: z.array(measuredNumber).nullable() }).strict(),
  expectWeightCount: z
    .object({
      of: z.string(),
      actual: z.object({ trainable: integer, nonTrainable: integer, total: integer, trainableNames: z.array(z.string()), nonTrainableNames: z.array(z.string()) }).strict(),
      expected: z.object({ trainable: integer.optional(), nonTrainable: integer.optional(), total: integer.optional(), trainableNames: z.array(z.string()).optional(), nonTrainableNames: z.array(z.string()).optional() }).strict(),
    })
    .strict(),
  expectLayerLosses: z.object({ of: z.string(), count: integer, values: z.array(measuredNumber) }).strict(),
  // The entries that differ, as JSON text on each side.
  expectConfig: z.object({ differing: z.array(z.object({ key: z.string(), actual: z.string(), expected: z.string() }).strict()) }).strict(),
  expectConstraint: z.object({ weight: z.string(), actual: z.string(), expected: z.string() }).strict(),
  // What the wrapped action threw (null: it did not throw), and the message pattern asked for.
  expectThrows: z.object({ thrown: z.string().nullable(), message: z.string().nullable() }).strict(),
} satisfies Record<ExpectationKind, z.ZodObject>;

/** The evidence a failed expectation of kind `K` gives. */
export type ExpectationEvidence<K extends ExpectationKind> = z.input<(typeof EXPECTATION_EVIDENCE)[K]>;

const failedExpectation = <K extends ExpectationKind>(kind: K) => EXPECTATION_EVIDENCE[kind].extend({ step: integer.positive(), kind: z.literal(kind) });

/**
 * Evidence of a steps program that ran to its end: its length and the losses it named (the last
 * value of a fit's history).
 */
export const stepsPassEvidence = z.object({ steps: integer, losses: z.record(z.string(), measuredNumber) }).strict();

/** Evidence of a steps program stopped by an expectation: the 1-based step, its kind and its numbers. */
export const stepsFailEvidence = z.discriminatedUnion('kind', [
  failedExpectation('expectWeight'),
  failedExpectation('expectUnchanged'),
  failedExpectation('expectChanged'),
  failedExpectation('expectClose'),
  failedExpectation('expectDiffer'),
  failedExpectation('expectNormalized'),
  failedExpectation('expectLossEqual'),
  failedExpectation('expectOutput'),
  failedExpectation('expectShape'),
  failedExpectation('expectStatistic'),
  failedExpectation('expectLoss'),
  failedExpectation('expectWeightCount'),
  failedExpectation('expectThrows'),
  failedExpectation('expectLayerLosses'),
  failedExpectation('expectConfig'),
  failedExpectation('expectConstraint'),
]);

/** Evidence of a steps scenario: the program ran to its end, or the step whose expectation failed. */
export const stepsEvidence = z.union([stepsPassEvidence, stepsFailEvidence]);

/** Evidence of a steps scenario, as results.json holds it. */
export type StepsEvidence = z.output<typeof stepsEvidence>;
