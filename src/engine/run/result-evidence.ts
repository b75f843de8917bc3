/**
 * The evidence a result carries, typed by its status and, for a failure, by its invariant: a union
 * keyed by (status, invariant) whose fail branch for invariant I holds I's own evidence, or that of
 * the scenario kind that failed (a steps program, a transfer run). The engine validates every
 * result it makes against it, and results.json is validated against it when read.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { INVARIANTS } from '../invariants';
import { integer } from '../invariants/evidence-parts';
import { INVARIANT_IDS, type InvariantId } from '../invariants/types';
import { stepsFailEvidence, stepsPassEvidence } from '../kinds/steps/evidence';
import { transferEvidence } from '../kinds/transfer/evidence';
import { auditEvidence } from '../audit/evidence';
import { HarnessFault } from './verdict';

/**
 * Nothing to add: a property that held on every case. A check of the whole value rather than a
 * strict empty object, so that a union names the missing field of a near miss, not its extra key.
 */
const noEvidence = z.custom<Record<string, never>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0, 'expected no evidence ({})');

/** A property that held on the cases the backend could run, and how many it could not. */
const partlySupportedEvidence = z.object({ unsupportedCases: integer, unsupportedKernel: z.string().nullable() }).strict();

/** Evidence of a pass: none, the unsupported cases, or the steps / transfer run's or audit check's own record. */
export const passEvidence = z.union([noEvidence, partlySupportedEvidence, stepsPassEvidence, transferEvidence, auditEvidence]);

/** Evidence of an error: what tfjs threw, or what became of the browser page that ran the job. */
export const errorEvidence = z.union([
  z.object({ message: z.string(), errorName: z.string(), at: z.string().nullable() }).strict(),
  z.object({ host: z.literal('browser'), failure: z.string(), console: z.array(z.string()) }).strict(),
  // fast-check itself failed (the summary says how): there is no tfjs evidence.
  noEvidence,
]);

/** Evidence of an unsupported verdict: the kernel (null: not a kernel) the backend lacks, and tfjs's words. */
export const unsupportedEvidence = z.object({ kernel: z.string().nullable(), backend: z.string(), message: z.string() }).strict();

/** Evidence of a failure of invariant I: I's own (a generated case), or a steps or transfer scenario's, or an audit check's. */
function failEvidence<I extends InvariantId>(id: I) {
  return z.union([INVARIANTS[id].evidence, stepsFailEvidence, transferEvidence, auditEvidence]);
}

const failBranch = <I extends InvariantId>(id: I) => z.object({ status: z.literal('fail'), invariant: z.literal(id), evidence: failEvidence(id) });

/** The schema of a result's (status, invariant, evidence), the part of a result whose shape depends on its verdict. */
export const resultVerdictSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pass'), invariant: z.enum(INVARIANT_IDS), evidence: passEvidence }),
  z.object({ status: z.literal('error'), invariant: z.enum(INVARIANT_IDS), evidence: errorEvidence }),
  z.object({ status: z.literal('unsupported'), invariant: z.enum(INVARIANT_IDS), evidence: unsupportedEvidence }),
  z.discriminatedUnion('invariant', [
    failBranch('frozen-moving-stats'),
    failBranch('frozen-gamma-beta'),
    failBranch('inference-purity'),
    failBranch('mode-switch'),
    failBranch('oracle-agreement'),
    failBranch('determinism'),
    failBranch('round-trip'),
    failBranch('backend-parity'),
    failBranch('no-leaked-tensors'),
    failBranch('trainable-bookkeeping'),
    failBranch('gradient-agreement'),
    failBranch('training-agreement'),
  ]),
]);

/** A result's verdict with its evidence, as results.json holds it. */
export type ResultVerdict = z.output<typeof resultVerdictSchema>;

/** The evidence of a failure of invariant I. */
export type FailEvidence<I extends InvariantId> = Extract<ResultVerdict, { status: 'fail'; invariant: I }>['evidence'];

// A fail branch for every invariant: an id added to INVARIANT_IDS without one fails here.
type MissingFailBranch = Exclude<InvariantId, Extract<ResultVerdict, { status: 'fail' }>['invariant']>;
const everyInvariantHasAFailBranch: [MissingFailBranch] extends [never] ? true : MissingFailBranch = true;
void everyInvariantHasAFailBranch;

/**
 * Gives a result's evidence the form results.json will hold (through JSON: a non-finite number
 * becomes null) and checks it against {@link resultVerdictSchema}. Evidence of another shape is
 * bn-suite's fault, never a verdict about tfjs.
 *
 * @throws HarnessFault naming the field when the evidence does not fit its schema
 */
export function resultVerdict(status: ResultVerdict['status'], invariant: InvariantId, evidence: unknown): ResultVerdict {
  const parsed = resultVerdictSchema.safeParse({ status, invariant, evidence: JSON.parse(JSON.stringify(evidence)) });
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error.issues);
  throw new HarnessFault(new Error(`the ${status} evidence of ${invariant} does not fit its schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
}

/**
 * How far a union's option is from the value: an option that refuses the value as a whole (keys
 * it does not know at its top level, a check of the whole value, a discriminator it lacks) comes
 * after any option that only misses or mistypes fields.
 */
function distance(issues: readonly z.core.$ZodIssue[]): number {
  // A discriminated union whose discriminator the value lacks (an audit check's `check`) is another kind of evidence altogether.
  const otherKind = (i: z.core.$ZodIssue) => i.code === 'invalid_union' && i.errors.length === 0 && i.path.length === 1;
  const wholeValue = issues.some((i) => i.path.length === 0 && (i.code === 'unrecognized_keys' || i.code === 'custom'));
  return issues.length + (wholeValue ? 1000 : 0) + (issues.some(otherKind) ? 2000 : 0);
}

/**
 * The first problem of a failed parse, looking inside a union that no option matched at the option
 * that came closest, so the message names a field rather than "Invalid input".
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string } {
  const issue = issues[0];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path: [...issue.path], message: issue.message };
  const closest = issue.errors.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  if (closest.length === 0) return { path: [...issue.path], message: issue.message };
  const inner = firstIssue(closest);
  return { path: [...issue.path, ...inner.path], message: inner.message };
}

/** What tfjs threw, for an `error` result that records it; otherwise (another status, a lost page) the result's summary. */
export function thrownMessage(result: ResultVerdict & { summary: string }): string {
  return result.status === 'error' && 'message' in result.evidence ? result.evidence.message : result.summary;
}

/** The members of union E that declare key K (an index signature declares none). */
export type WithField<E, K extends string> = E extends unknown ? (string extends keyof E ? never : K extends keyof E ? E : never) : never;

/**
 * Narrows evidence to the members of its union that declare `key` (a plain `in` check would keep
 * the empty evidence of a pass, whose type has an index signature).
 */
export function hasField<E extends object, K extends string>(evidence: E, key: K): evidence is WithField<E, K> {
  return key in evidence;
}
