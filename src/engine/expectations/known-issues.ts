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
  })
  .strict();

/** The schema of a known-issues file. */
export const knownIssuesFileSchema = z.object({ 'known-issues': z.array(knownIssueSchema) }).strict();

/** One known issue: a (scenario, invariant[, backends]) whose listed non-pass outcomes are expected. */
export type KnownIssue = z.infer<typeof knownIssueSchema>;
