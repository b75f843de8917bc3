/**
 * Readers of the evidence that reports interpret. Evidence is typed by status and invariant and was
 * validated when the results were made or read, so these narrow rather than cast.
 */
import { hasField, type ResultVerdict } from '../engine/run/result-evidence';
import type { TransferEvidence } from '../engine/kinds/transfer/evidence';

/** The evidence of a transfer result (accuracies by variant and mode, BN drift), or null for any other result. */
export function transferEvidenceOf(result: ResultVerdict): TransferEvidence | null {
  if (result.status !== 'pass' && result.status !== 'fail') return null;
  return hasField(result.evidence, 'dataset') ? result.evidence : null;
}

/** The largest `maxAbsDiff` a pass or fail records, its own or its parts' (of a failing result, its failing parts'); null when it records none. */
export function largestDifference(result: ResultVerdict): number | null {
  if (result.status !== 'pass' && result.status !== 'fail') return null;
  const evidence = result.evidence;
  const values: number[] = [];
  if (hasField(evidence, 'maxAbsDiff') && typeof evidence.maxAbsDiff === 'number') values.push(evidence.maxAbsDiff);
  if (hasField(evidence, 'parts')) {
    for (const part of evidence.parts) {
      if (result.status === 'fail' && part.ok) continue;
      if (part.maxAbsDiff !== null) values.push(part.maxAbsDiff);
    }
  }
  return values.length > 0 ? Math.max(...values) : null;
}

export type { TransferEvidence };
/** One variant's accuracies as results.json holds them (`epochs` absent in older files). */
export type VariantAccuracy = TransferEvidence['variants']['frozen'];
