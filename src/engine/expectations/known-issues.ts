import semver from 'semver';
import { z } from 'zod';
import { BACKEND_NAMES } from '../backends';
import { INVARIANT_IDS } from '../invariants/types';
import { expectedFingerprintSchema } from './fingerprint';

/** A regular expression given as a string, checked to compile. */
const regexPattern = z
  .string()
  .min(1)
  .refine((pattern) => isRegExp(pattern), 'must be a valid regular expression');

const knownIssueSchema = z
  .object({
    scenario: z.string().min(1),
    invariant: z.enum(INVARIANT_IDS),
    backend: z.array(z.enum(BACKEND_NAMES)).min(1).optional(),
    issue: z.union([z.url(), z.literal('unreported')]),
    reason: z.string().regex(/\S/, 'must not be blank'),
    outcomes: z.array(z.enum(['fail', 'error', 'unsupported'])).min(1),
    /**
     * For `error` outcomes: a regular expression the thrown message must match. Another throw in a
     * listed scenario is a different problem, so it is an unexpected error.
     */
    message: regexPattern.optional(),
    /**
     * For `fail` outcomes: a regular expression the failure's summary must match (the failing parts,
     * e.g. which weights or which check). A different failure of a listed scenario is then an
     * unexpected failure instead of being absorbed by the entry.
     */
    summary: regexPattern.optional(),
    /**
     * For `fail` outcomes: what the failure consists of (the parts that may fail, and the band its
     * magnitude falls in), matched against each failure's fingerprint. A failure of another part,
     * or one far larger or smaller, is a different fault: an unexpected failure. Written by
     * `--update-expectations` from the failures a run saw.
     */
    fingerprint: expectedFingerprintSchema.optional(),
    /**
     * The tfjs-core versions the entry is about, as a semver range (`">=1.0.0 <4.23.0"`); absent
     * means every version. Outside its range an entry is neither applied nor stale, so one file
     * serves every tfjs a project runs.
     */
    tfjs: z
      .string()
      .min(1)
      .refine((range) => semver.validRange(range) !== null, 'must be a semver range such as ">=3.0.0 <4.0.0" or "4.22.x"')
      .optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.outcomes.includes('error') && entry.message === undefined) {
      ctx.addIssue({ code: 'custom', path: ['message'], message: 'an entry whose outcomes include error needs a message pattern (a regular expression the thrown message must match)' });
    }
  });

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The schema of a known-issues file. */
export const knownIssuesFileSchema = z
  .object({
    'known-issues': z.array(knownIssueSchema).superRefine((entries, ctx) => {
      // Two entries for one (scenario, invariant, backend) would make the first one win silently.
      entries.forEach((entry, i) => {
        const earlier = entries.findIndex(
          (other, j) =>
            j < i &&
            other.scenario === entry.scenario &&
            other.invariant === entry.invariant &&
            (other.backend === undefined || entry.backend === undefined || other.backend.some((b) => entry.backend?.includes(b))) &&
            // A ranged entry may refine an unranged one (it wins where both apply); two of a kind may not overlap.
            (other.tfjs === undefined) === (entry.tfjs === undefined) &&
            rangesOverlap(other.tfjs, entry.tfjs),
        );
        if (earlier >= 0) {
          const where = `${entry.backend ? ` on ${entry.backend.join(', ')}` : ''}${entry.tfjs ? ` for tfjs ${entry.tfjs}` : ''}`;
          ctx.addIssue({ code: 'custom', path: [i], message: `duplicate entry: entry ${earlier + 1} already covers ${entry.scenario} / ${entry.invariant}${where}` });
        }
      });
    }),
  })
  .strict();

/** One known issue: a (scenario, invariant[, backends]) whose listed non-pass outcomes are expected. */
export type KnownIssue = z.infer<typeof knownIssueSchema>;

/** Options for every range check: a release candidate such as 4.23.0-rc.0 is inside ">=4.0.0". */
const RANGE_OPTIONS = { includePrerelease: true } as const;

/** True when two optional tfjs ranges share a version (an absent range is every version). */
function rangesOverlap(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  // Invalid ranges are reported by the entry's own check; here they must not throw.
  if (semver.validRange(a) === null || semver.validRange(b) === null) return false;
  return semver.intersects(a, b, RANGE_OPTIONS);
}

/** True when `entry` is about `tfjsVersion` (the tfjs-core version of the run). */
export function appliesToTfjs(entry: Pick<KnownIssue, 'tfjs'>, tfjsVersion: string): boolean {
  if (entry.tfjs === undefined) return true;
  const version = semver.coerce(tfjsVersion, { includePrerelease: true });
  // A version string semver cannot read (a local build's "0.0.0-dev"?) is outside every range.
  if (version === null) return false;
  return semver.satisfies(semver.valid(tfjsVersion) ?? version, entry.tfjs, RANGE_OPTIONS);
}

/** The entries about `tfjsVersion`: what a run on that version classifies against. */
export function knownIssuesForTfjs(entries: readonly KnownIssue[], tfjsVersion: string): KnownIssue[] {
  return entries.filter((entry) => appliesToTfjs(entry, tfjsVersion));
}
