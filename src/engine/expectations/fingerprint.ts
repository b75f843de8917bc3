import { z } from 'zod';

/**
 * What a failure consists of, in a form a known issue can hold it to: the parts that failed
 * (weights, outputs, gradients, checks: names an invariant chooses and keeps stable) and one number
 * saying how far off the worst part was (in the invariant's own unit: a drift, a difference, a
 * count), or null when the failure has no size (a listing problem) or its size is not finite.
 */
export interface Fingerprint {
  /** Failing parts, sorted, without repeats. */
  parts: string[];
  magnitude: number | null;
}

/** The schema of a {@link Fingerprint} as results.json holds it. */
export const fingerprintSchema = z.object({ parts: z.array(z.string().min(1)), magnitude: z.number().nullable() }).strict() satisfies z.ZodType<Fingerprint>;

/** A fingerprint from failing parts (any order, repeats allowed) and the worst part's size. */
export function fingerprintOf(parts: Iterable<string>, magnitude: number | null): Fingerprint {
  // NaN and Infinity do not survive JSON; a failure that large or undefined has no band to fall in.
  const size = magnitude !== null && Number.isFinite(magnitude) ? magnitude : null;
  return { parts: [...new Set(parts)].sort(), magnitude: size };
}

/**
 * What a known issue expects of a `fail`: the parts that may fail (a failure of any other part is a
 * different fault) and, optionally, the band its magnitude falls in, inclusive.
 */
export interface ExpectedFingerprint {
  parts: string[];
  band?: [number, number];
}

/** The schema of a known issue's `fingerprint` field. */
export const expectedFingerprintSchema = z
  .object({
    parts: z.array(z.string().min(1)).min(1),
    band: z
      .tuple([z.number().nonnegative(), z.number().nonnegative()])
      .refine(([lo, hi]) => lo <= hi, 'band: the lower bound must not exceed the upper one')
      .optional(),
  })
  .strict() satisfies z.ZodType<ExpectedFingerprint>;

/**
 * Why a failure does not fit what an entry expects, or null when it fits: every failing part is
 * one the entry lists, and the magnitude is inside the band when the entry has one.
 */
export function fingerprintMismatch(actual: Fingerprint, expected: ExpectedFingerprint): string | null {
  const unlisted = actual.parts.filter((part) => !expected.parts.includes(part));
  if (unlisted.length > 0) return `failing part(s) the known issue does not list: ${unlisted.join(', ')}`;
  if (expected.band !== undefined) {
    const [lo, hi] = expected.band;
    if (actual.magnitude === null) return `magnitude is not a finite number; the known issue expects ${lo} to ${hi}`;
    if (actual.magnitude < lo || actual.magnitude > hi) return `magnitude ${actual.magnitude.toPrecision(3)} is outside the known issue's band ${lo} to ${hi}`;
  }
  return null;
}

/**
 * The fingerprint `--update-expectations` writes for observed failures: every part seen, and a band
 * one decade wider on each side than the magnitudes seen (rounded out to powers of ten), so that
 * another seed of the same fault stays inside while a fault ten times larger or smaller does not.
 * No band when some failure had no finite magnitude. Null when there is no failure to describe.
 */
export function expectedFingerprintFor(observed: readonly Fingerprint[]): ExpectedFingerprint | null {
  if (observed.length === 0) return null;
  const parts = [...new Set(observed.flatMap((f) => f.parts))].sort();
  if (parts.length === 0) return null;
  const magnitudes = observed.map((f) => f.magnitude);
  if (magnitudes.some((m) => m === null)) return { parts };
  const finite = magnitudes as number[];
  const lowest = Math.min(...finite);
  const highest = Math.max(...finite);
  const lo = lowest <= 0 ? 0 : Number((10 ** (Math.floor(Math.log10(lowest)) - 1)).toPrecision(1));
  const hi = highest <= 0 ? 0 : Number((10 ** (Math.ceil(Math.log10(highest)) + 1)).toPrecision(1));
  return { parts, band: [lo, hi] };
}
