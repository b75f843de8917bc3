import fc from 'fast-check';
import { caseArbitrary, type CaseConstraints } from '../arbitraries/case';
import type { Invariant, InvariantContext } from '../invariants/types';
import type { CaseSpec } from './case-spec';
import { checkCase } from './check-case';
import type { CaseVerdict, VerdictStatus } from './verdict';

/** How a property run is sized and replayed. */
export interface PropertyRunOptions {
  /** fast-check seed. */
  seed: number;
  /** Number of generated cases. */
  runs: number;
  /** Replay only the case at this fast-check path (from a replay token). */
  path?: string;
  /** Shrink a failing case to a minimal one (default true); off, the first failing case is kept. */
  shrink?: boolean;
  /** Data profile of transfer scenarios: `quick` (the scenario's default) or `full` (larger subsets). */
  profile?: 'quick' | 'full';
}

/** The verdict of a property over many generated cases. */
export interface PropertyOutcome {
  status: VerdictStatus;
  /** Cases generated and checked, shrinking steps excluded. */
  casesRun: number;
  /** Cases the backend could not run (missing kernel); they count neither for nor against. */
  unsupportedCases: number;
  /** Shrinking steps fast-check took. */
  shrinks: number;
  /** The (shrunk) failing case, with its verdict, when the property does not hold. */
  counterexample: { spec: CaseSpec; verdict: CaseVerdict } | null;
  /** One unsupported verdict, when any case was unsupported. */
  unsupported: CaseVerdict | null;
  /** fast-check path to the counterexample, for replay. */
  path: string | undefined;
  seed: number;
  /** Set when the property machinery itself failed rather than a case. */
  harnessError?: string;
}

/**
 * Checks an invariant over cases drawn from the constraints. A failing or erroring case makes the
 * property fail (and fast-check shrinks it); unsupported cases are counted and skipped, and when
 * every case is unsupported the property is unsupported.
 *
 * @throws HarnessFault or UsageError from a case: bn-suite's fault or bad input, never a verdict
 */
export async function runProperty(
  invariant: Invariant,
  constraints: CaseConstraints,
  context: InvariantContext,
  options: PropertyRunOptions,
): Promise<PropertyOutcome> {
  let casesRun = 0;
  let unsupportedCases = 0;
  let unsupported: CaseVerdict | null = null;
  let shrinking = false;
  let lastFailure: { spec: CaseSpec; verdict: CaseVerdict } | null = null;
  // A fault of bn-suite's (or bad input) ends the property: it is rethrown after fast-check returns,
  // never shrunk or counted as a failing case of tfjs.
  let abort: unknown = undefined;

  const property = fc.asyncProperty(caseArbitrary(constraints), async (spec) => {
    if (abort !== undefined) return true;
    if (!shrinking) casesRun++;
    let verdict: CaseVerdict;
    try {
      verdict = await checkCase(invariant, spec, context);
    } catch (error) {
      abort = error;
      return true;
    }
    if (verdict.status === 'unsupported') {
      if (!shrinking) unsupportedCases++;
      unsupported ??= verdict;
      return true;
    }
    if (verdict.status === 'pass') return true;
    lastFailure = { spec, verdict };
    // Every later call is a shrink attempt of this failure, not a new case.
    shrinking = true;
    return false;
  });

  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.path !== undefined ? { path: options.path } : {}),
    endOnFailure: options.shrink === false,
  });

  if (abort !== undefined) throw abort;
  const base = { casesRun, unsupportedCases, shrinks: details.numShrinks, unsupported, seed: options.seed };
  if (!details.failed) {
    const allUnsupported = casesRun > 0 && unsupportedCases === casesRun;
    return { ...base, status: allUnsupported ? 'unsupported' : 'pass', counterexample: null, path: undefined };
  }
  const failure = lastFailure as { spec: CaseSpec; verdict: CaseVerdict } | null;
  if (failure === null) {
    // The predicate never returned false, so fast-check itself failed (e.g. a generator threw).
    const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    return { ...base, status: 'error', counterexample: null, path: details.counterexamplePath ?? undefined, harnessError: message };
  }
  // The last failing call is the shrunk counterexample fast-check reports.
  return { ...base, status: failure.verdict.status, counterexample: failure, path: details.counterexamplePath ?? undefined };
}
