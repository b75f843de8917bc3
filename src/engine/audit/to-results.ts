/**
 * An audit as results: one result per check, on the invariant the check measures, so that
 * `bn-suite audit` writes the same results.json, reports and exit codes as `bn-suite run`.
 *
 * @packageDocumentation
 */
import type { BackendName } from '../backends';
import type { InvariantId } from '../invariants/types';
import { formatReplayToken } from '../run/replay-token';
import { resultVerdict } from '../run/result-evidence';
import { verdictFromError, type CaseVerdict } from '../run/verdict';
import type { ScenarioResult } from '../run/run-scenario';
import type { AuditReport } from './audit-model';
import { AUDIT_CHECK_IDS, type AuditCheckId } from './evidence';

/** What each audit check measures, and the invariant its result is filed under. */
export const AUDIT_CHECKS: Record<AuditCheckId, { invariant: InvariantId; title: string }> = {
  'moving-stats': { invariant: 'frozen-moving-stats', title: 'fine-tuning leaves the moving statistics of frozen BN layers alone' },
  'gamma-beta': { invariant: 'frozen-gamma-beta', title: 'fine-tuning leaves gamma and beta of frozen BN layers alone' },
  'mode-gap': { invariant: 'mode-switch', title: 'a frozen BN layer gives the same output in training mode (fit) as in inference mode (predict)' },
  purity: { invariant: 'inference-purity', title: 'predict and evaluate change no BN weight' },
  reload: { invariant: 'round-trip', title: 'what is frozen is still frozen after save and load' },
  oracle: { invariant: 'oracle-agreement', title: "each BN layer's inference output on its actual input agrees with the float64 oracle" },
  leaks: { invariant: 'no-leaked-tensors', title: 'the audit leaves no tensor behind' },
};

/** The scenario id an audit's results carry: `audit/<model name>`. */
export function auditScenarioId(modelName: string): string {
  return `audit/${modelName}`;
}

/**
 * The results of one audit on one backend. Evidence is validated like every result's (a misfit
 * is a HarnessFault).
 */
export function auditResults(report: AuditReport, options: { backend: BackendName; tfjs: string; durationMs: number }): ScenarioResult[] {
  const scenario = auditScenarioId(report.context.model);
  return AUDIT_CHECK_IDS.map((check) => {
    const outcome = report.checks[check];
    const { invariant } = AUDIT_CHECKS[check];
    return {
      scenario,
      backend: options.backend,
      summary: outcome.summary,
      fingerprint: null,
      counterexample: null,
      casesRun: 1,
      unsupportedCases: 0,
      shrinks: 0,
      seed: report.context.seed,
      replay: formatReplayToken({ scenario, backend: options.backend, seed: report.context.seed, tfjs: options.tfjs }),
      durationMs: options.durationMs,
      ...resultVerdict(outcome.holds ? 'pass' : 'fail', invariant, outcome.evidence),
    };
  });
}

/**
 * The results of an audit that tfjs stopped (a throw from tfjs, a kernel the backend lacks): every
 * check gets the same error or unsupported verdict. Anything else thrown is not a verdict.
 *
 * @throws UsageError and HarnessFault as {@link verdictFromError} does
 */
export function auditErrorResults(modelName: string, error: unknown, options: { backend: BackendName; tfjs: string; seed: number; durationMs: number }): ScenarioResult[] {
  const verdict = verdictFromError(error) as Extract<CaseVerdict, { status: 'error' | 'unsupported' }>;
  const scenario = auditScenarioId(modelName);
  return AUDIT_CHECK_IDS.map((check) => ({
    scenario,
    backend: options.backend,
    summary: verdict.summary,
    fingerprint: null,
    counterexample: null,
    casesRun: 1,
    unsupportedCases: verdict.status === 'unsupported' ? 1 : 0,
    shrinks: 0,
    seed: options.seed,
    replay: formatReplayToken({ scenario, backend: options.backend, seed: options.seed, tfjs: options.tfjs }),
    durationMs: options.durationMs,
    ...resultVerdict(verdict.status, AUDIT_CHECKS[check].invariant, verdict.evidence),
  }));
}
