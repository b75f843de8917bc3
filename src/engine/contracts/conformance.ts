import type { InvariantId } from '../invariants/types';
import type { ScenarioResult } from '../run/run-scenario';
import { CONTRACTS, type ContractId, type Prediction } from './contracts';

/** What the run observed for one invariant: it held in every result, or it was violated in some. */
export type Observation = Prediction | 'not-observed';

/** One row of the conformance matrix. */
export interface ConformanceRow {
  invariant: InvariantId;
  observed: Observation;
  /** Scenarios whose results decided the observation. */
  scenarios: string[];
  /** Per contract: true when the contract's prediction equals the observation, null when not observed. */
  matches: Record<ContractId, boolean | null>;
}

/** The conformance matrix and, per contract, how many observed invariants it predicts right. */
export interface Conformance {
  rows: ConformanceRow[];
  scores: Array<{ contract: ContractId; title: string; matched: number; observed: number }>;
  /** The contracts with the highest score (ties included). */
  bestMatches: ContractId[];
}

/** Verdicts that speak to frozen-BN semantics: a pass or a fail, not an error or a missing kernel. */
const SEMANTIC_STATUSES = new Set(['pass', 'fail']);

/** The tag of a scenario that tests a contract's rule; no other scenario counts towards conformance. */
export const CONTRACT_TAG = 'contract';

/**
 * Compares the run with every semantics contract, invariant by invariant. Only scenarios tagged
 * {@link CONTRACT_TAG} count (a scenario that probes a bug on the way, such as an unusual axis,
 * says nothing about which rules tfjs follows even when its invariant fails), and only their
 * pass/fail verdicts: an error or a missing kernel says nothing either.
 */
export function computeConformance(results: ReadonlyArray<Pick<ScenarioResult, 'scenario' | 'invariant' | 'status'> & { tags: readonly string[] }>): Conformance {
  const invariants = [...new Set(CONTRACTS.flatMap((c) => Object.keys(c.predictions) as InvariantId[]))];
  const rows = invariants.map((invariant): ConformanceRow => {
    const relevant = results.filter(
      (r) =>
        r.invariant === invariant &&
        SEMANTIC_STATUSES.has(r.status) &&
        r.tags.includes(CONTRACT_TAG),
    );
    const observed: Observation = relevant.length === 0 ? 'not-observed' : relevant.some((r) => r.status === 'fail') ? 'violated' : 'holds';
    const matches = Object.fromEntries(
      CONTRACTS.map((c) => [c.id, observed === 'not-observed' || c.predictions[invariant] === undefined ? null : c.predictions[invariant] === observed]),
    ) as Record<ContractId, boolean | null>;
    return { invariant, observed, scenarios: [...new Set(relevant.map((r) => r.scenario))], matches };
  });
  const scores = CONTRACTS.map((c) => ({
    contract: c.id,
    title: c.title,
    matched: rows.filter((row) => row.matches[c.id] === true).length,
    observed: rows.filter((row) => row.matches[c.id] !== null).length,
  }));
  const best = Math.max(...scores.map((s) => s.matched));
  return { rows, scores, bestMatches: scores.filter((s) => s.matched === best && s.observed > 0).map((s) => s.contract) };
}
