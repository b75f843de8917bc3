import { z } from 'zod';
import { BACKEND_NAMES } from '../backends';
import { INVARIANT_IDS } from '../invariants/types';

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
    message: z
      .string()
      .min(1)
      .refine((pattern) => isRegExp(pattern), 'must be a valid regular expression')
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
            (other.backend === undefined || entry.backend === undefined || other.backend.some((b) => entry.backend?.includes(b))),
        );
        if (earlier >= 0) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate entry: entry ${earlier + 1} already covers ${entry.scenario} / ${entry.invariant}${entry.backend ? ` on ${entry.backend.join(', ')}` : ''}` });
      });
    }),
  })
  .strict();

/** One known issue: a (scenario, invariant[, backends]) whose listed non-pass outcomes are expected. */
export type KnownIssue = z.infer<typeof knownIssueSchema>;
