/**
 * The evidence of an audit: one result per check, each listing every BN layer of the user's model
 * with what the check measured on it. A discriminated union on `check`, validated like every other
 * result's evidence.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { integer, measuredNumber } from '../invariants/evidence-parts';

/** The checks an audit runs, in report order. */
export const AUDIT_CHECK_IDS = ['moving-stats', 'gamma-beta', 'mode-gap', 'purity', 'reload', 'oracle', 'leaks'] as const;

/** One check of an audit. */
export type AuditCheckId = (typeof AUDIT_CHECK_IDS)[number];

/** A BN layer's configuration, as the audit lists it. */
export const batchNormConfigSchema = z
  .object({ path: z.string(), axis: integer, momentum: z.number(), epsilon: z.number(), center: z.boolean(), scale: z.boolean(), trainable: z.boolean(), frozen: z.boolean() })
  .strict();

/** What was audited and how: the same in every result of one audit. */
export const auditContextSchema = z
  .object({
    model: z.string(),
    source: z.string(),
    freeze: z.string(),
    remedy: z.boolean(),
    steps: integer,
    batchSize: integer,
    samples: integer,
    data: z.enum(['user', 'synthetic']),
    labels: z.boolean(),
    seed: integer,
    bnLayers: z.array(batchNormConfigSchema),
  })
  .strict();

/** Whether a row's layer meets the check: null when the check does not apply to it (a BN layer that is not frozen). */
const holds = z.boolean().nullable();
const row = <T extends z.ZodRawShape>(shape: T) => z.object({ path: z.string(), frozen: z.boolean(), holds, ...shape }).strict();

/** The element of a BN layer's weights that moved most: which weight, where, and its values before and after. */
const worstChange = z.object({ weight: z.string(), index: integer, before: measuredNumber, after: measuredNumber }).strict().nullable();

const checkEvidence = <C extends AuditCheckId, R extends z.ZodType, E extends z.ZodRawShape>(check: C, rowSchema: R, extra: E) =>
  z.object({ check: z.literal(check), audit: auditContextSchema, layers: z.array(rowSchema), ...extra }).strict();

/** The evidence of each audit check. */
export const AUDIT_EVIDENCE = {
  'moving-stats': checkEvidence('moving-stats', row({ meanDrift: measuredNumber, varianceDrift: measuredNumber, changed: integer, count: integer, worst: worstChange }), {}),
  'gamma-beta': checkEvidence('gamma-beta', row({ gammaChange: measuredNumber, betaChange: measuredNumber }), {}),
  'mode-gap': checkEvidence('mode-gap', row({ gap: measuredNumber, tolerance: measuredNumber }), {
    model: z
      .object({ outputGap: measuredNumber, trainingModeAccuracy: measuredNumber, inferenceModeAccuracy: measuredNumber, gapPoints: measuredNumber })
      .strict(),
  }),
  purity: checkEvidence('purity', row({ change: measuredNumber, worst: worstChange }), {}),
  reload: checkEvidence('reload', row({ frozenAfterReload: z.boolean().nullable(), trainableAfterReload: z.boolean().nullable() }), {}),
  oracle: checkEvidence('oracle', row({ maxAbsDiff: measuredNumber, tolerance: measuredNumber }), {}),
  leaks: checkEvidence('leaks', row({}), { tensorsBefore: integer, tensorsAfter: integer }),
} satisfies Record<AuditCheckId, z.ZodType>;

/** Evidence of one audit check, any check. */
export const auditEvidence = z.discriminatedUnion('check', [
  AUDIT_EVIDENCE['moving-stats'],
  AUDIT_EVIDENCE['gamma-beta'],
  AUDIT_EVIDENCE['mode-gap'],
  AUDIT_EVIDENCE.purity,
  AUDIT_EVIDENCE.reload,
  AUDIT_EVIDENCE.oracle,
  AUDIT_EVIDENCE.leaks,
]);

/** The evidence of audit check C. */
export type AuditEvidence<C extends AuditCheckId = AuditCheckId> = z.output<(typeof AUDIT_EVIDENCE)[C]>;
/** What was audited and how. */
export type AuditContext = z.output<typeof auditContextSchema>;
