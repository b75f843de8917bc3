/**
 * Zod schemas of the pieces several invariants' evidence is made of, in the form results.json holds
 * them. Evidence is checked against these once a run has made it (the engine validates every result
 * it returns) and again whenever results.json is read.
 *
 * @packageDocumentation
 */
import { z } from 'zod';

/**
 * A measured number as JSON carries it. JSON has no NaN or Infinity, and a difference between a NaN
 * and a number is infinite, so a non-finite measurement is written (and read back) as null.
 */
export const measuredNumber = z.number().nullable();

/** A count or index (-1 for "none"). */
export const integer = z.number().int();

/** The allowance a comparison was made with (and, for a training-mode output, how ill-conditioned its normalization was). */
export const toleranceSchema = z.object({ atol: measuredNumber, rtol: measuredNumber, normalizedMeanError: measuredNumber.optional() }).strict();

/** How one weight changed between two snapshots (the snapshot module's `WeightDiff`, as JSON). */
export const weightDiffSchema = z
  .object({
    name: z.string(),
    maxAbsDiff: measuredNumber,
    maxRelDiff: measuredNumber,
    firstIndex: integer,
    changed: integer,
    count: integer,
    before: measuredNumber,
    after: measuredNumber,
  })
  .strict();

/** A tensor shape. */
export const shapeSchema = z.array(integer);
