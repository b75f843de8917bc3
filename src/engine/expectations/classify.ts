import type { ScenarioResult } from '../run/run-scenario';
import type { KnownIssue } from './known-issues';
import { fingerprintMismatch } from './fingerprint';
import { thrownMessage } from '../run/result-evidence';

/**
 * How a result compares with the expectations:
 * - `pass`: no entry and the invariant holds;
 * - `expected-fail`: an entry lists this non-pass outcome;
 * - `unexpected-fail`: no entry (or the entry lists other outcomes) and it did not pass;
 * - `unexpected-pass`: an entry expects a failure but the invariant now holds (tfjs changed: update the file);
 * - `not-observable`: unsupported for a reason of this run's making (one backend for a cross-backend check), not a kernel tfjs lacks.
 */
export type Outcome = 'pass' | 'expected-fail' | 'unexpected-fail' | 'unexpected-pass' | 'not-observable';

/** Every outcome, in report order. */
export const OUTCOMES = ['pass', 'expected-fail', 'unexpected-fail', 'unexpected-pass', 'not-observable'] as const satisfies readonly Outcome[];

/** A result with its outcome and the known issue it matched, if any. */
export interface ClassifiedResult {
  result: ScenarioResult;
  outcome: Outcome;
  knownIssue: KnownIssue | null;
}

/**
 * The known issue that covers a result (scenario + invariant, and the backend when the entry names
 * backends). The caller passes only the entries about the run's tfjs version. When two entries
 * cover the result, the one with a `tfjs` range wins over the one without (a version-specific
 * exception to a general entry); the file check refuses any other overlap, so the choice is never
 * an accident of order.
 */
export function matchKnownIssue(result: Pick<ScenarioResult, 'scenario' | 'invariant' | 'backend'>, knownIssues: readonly KnownIssue[]): KnownIssue | null {
  const covering = knownIssues.filter(
    (entry) => entry.scenario === result.scenario && entry.invariant === result.invariant && (entry.backend === undefined || entry.backend.includes(result.backend)),
  );
  return covering.find((entry) => entry.tfjs !== undefined) ?? covering[0] ?? null;
}

/** Classifies one result against the known issues. */
export function classifyResult(result: ScenarioResult, knownIssues: readonly KnownIssue[]): ClassifiedResult {
  const knownIssue = matchKnownIssue(result, knownIssues);
  let outcome: Outcome;
  if (result.status === 'pass') outcome = knownIssue === null ? 'pass' : 'unexpected-pass';
  // Not observable in this run (no kernel missing: e.g. one backend for a cross-backend check, or a
  // pre-trained model this host cannot have): neither a pass nor a failure, whatever is known, unless
  // a known issue expects exactly that.
  else if (result.status === 'unsupported' && result.evidence.kernel === null && !(knownIssue?.outcomes as string[] | undefined)?.includes('unsupported')) outcome = 'not-observable';
  else outcome = knownIssue !== null && (knownIssue.outcomes as string[]).includes(result.status) && detailMatches(result, knownIssue) ? 'expected-fail' : 'unexpected-fail';
  return { result, outcome, knownIssue };
}

/**
 * An `error` result matches an entry only when its thrown message matches the entry's `message`
 * pattern; a `fail` result only when its summary matches the entry's `summary` pattern and its
 * fingerprint fits the entry's `fingerprint`, for each of the two the entry has.
 */
function detailMatches(result: ScenarioResult, knownIssue: KnownIssue): boolean {
  if (result.status === 'fail') {
    if (knownIssue.summary !== undefined && !new RegExp(knownIssue.summary).test(result.summary)) return false;
    if (knownIssue.fingerprint === undefined) return true;
    // A failure without a fingerprint (results from before fingerprints) cannot show it fits.
    return result.fingerprint !== null && fingerprintMismatch(result.fingerprint, knownIssue.fingerprint) === null;
  }
  if (result.status !== 'error' || knownIssue.message === undefined) return true;
  return new RegExp(knownIssue.message).test(thrownMessage(result));
}

/** True when the outcome is what the expectations allow. */
export function isAsExpected(outcome: Outcome): boolean {
  return outcome === 'pass' || outcome === 'expected-fail' || outcome === 'not-observable';
}
