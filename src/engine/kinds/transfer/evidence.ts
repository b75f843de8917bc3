/**
 * The evidence of a transfer scenario: data sizes, the pre-trained base, per-epoch accuracies of the
 * frozen and control variants in both BN modes, and the per-step drift of every BN layer.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { integer, measuredNumber } from '../../invariants/evidence-parts';
import { domainShiftSchema } from './schema';

/**
 * Accuracies of one variant (fractions) and their gap in percentage points, one entry per measured
 * epoch. `epochs` names those epochs (1-based); absent, as in results written before it existed,
 * every epoch was measured.
 */
export const variantAccuracySchema = z
  .object({ trainingModeAccuracy: z.array(measuredNumber), inferenceModeAccuracy: z.array(measuredNumber), gapPoints: z.array(measuredNumber), epochs: z.array(integer).optional() })
  .strict();

/** Per-step max |moving statistic - pre-trained value| of one BN layer. */
export const bnDriftSchema = z.object({ mean: z.array(measuredNumber), variance: z.array(measuredNumber) }).strict();

const variants = <T extends z.ZodType>(of: T) => z.object({ frozen: of, control: of }).strict();

/** Evidence of a transfer scenario. */
export const transferEvidence = z
  .object({
    dataset: z.literal('mnist'),
    architecture: z.enum(['mlp', 'conv', 'mobilenet_v2']),
    variant: z.enum(['frozen', 'control']),
    profile: z.enum(['quick', 'full']),
    seed: integer,
    sizes: z.object({ pretrainTrain: integer, pretrainTest: integer, targetTrain: integer, targetTest: integer, pretrainDigits: z.array(integer), targetDigits: z.array(integer) }).strict(),
    domainShift: domainShiftSchema.nullable(),
    cache: z.string(),
    /** A base that came pre-trained (nothing was pre-trained here): which, cut where, at what input size. */
    pretrained: z.object({ model: z.string(), cutAt: z.string(), inputSize: integer }).strict().optional(),
    pretrain: z
      .object({
        trainingModeAccuracy: measuredNumber,
        inferenceModeAccuracy: measuredNumber,
        epochs: integer,
        steps: integer,
        calibration: z.record(z.string(), z.object({ mean: measuredNumber, variance: measuredNumber }).strict()),
      })
      .strict(),
    epochs: integer,
    stepsPerEpoch: integer,
    maxGapPoints: measuredNumber,
    variants: variants(variantAccuracySchema),
    drift: variants(z.record(z.string(), bnDriftSchema)),
    timings: z.object({ dataMs: measuredNumber, baseMs: measuredNumber, frozenMs: measuredNumber, controlMs: measuredNumber, totalMs: measuredNumber }).strict(),
  })
  .strict();

/** Evidence of a transfer scenario, as results.json holds it. */
export type TransferEvidence = z.output<typeof transferEvidence>;
