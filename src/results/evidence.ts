/**
 * Readers of the evidence that reports interpret, validated rather than cast: a result whose
 * evidence has another shape simply has no such part.
 */
import { z } from 'zod';
import type { VariantAccuracy } from '../engine/kinds/transfer/run-transfer';
import type { ResultRecord } from './schema';

const variantAccuracy = z.object({
  trainingModeAccuracy: z.array(z.number()),
  inferenceModeAccuracy: z.array(z.number()),
  gapPoints: z.array(z.number()),
}) satisfies z.ZodType<VariantAccuracy>;

/** The accuracy part of a transfer scenario's evidence. */
const transferAccuracy = z.object({
  seed: z.number().int().optional(),
  variant: z.string().optional(),
  variants: z.object({ frozen: variantAccuracy, control: variantAccuracy.optional() }),
});

/** Accuracy evidence of a transfer result (frozen and control variants), or null when the result has none. */
export type TransferAccuracy = z.infer<typeof transferAccuracy>;

/** Reads the accuracy evidence of a transfer result; null for any other result. */
export function transferAccuracyOf(result: Pick<ResultRecord, 'evidence'>): TransferAccuracy | null {
  const parsed = transferAccuracy.safeParse(result.evidence);
  return parsed.success ? parsed.data : null;
}

export type { VariantAccuracy };
