import { DEFAULT_CONSTRAINTS } from '../arbitraries/case';
import type { BackendName } from '../backends';
import type { CheckOutcome, Invariant, InvariantContext, InvariantId } from '../invariants/types';
import { resultVerdict, type ResultVerdict } from './result-evidence';
import type { Scenario, StepsScenario, TransferScenario } from '../scenarios/types';
import { runTransferScenario, type MnistTransferSpec } from '../kinds/transfer/run-transfer';
import { runPretrainedTransfer } from '../kinds/transfer/run-pretrained-transfer';
import { runStepsScenario } from '../kinds/steps/run-steps';
import { withSeed } from '../determinism/with-seed';
import { verdictFromError, type CaseVerdict } from './verdict';
import type { CaseSpec } from './case-spec';
import { runProperty, type PropertyRunOptions } from './property';
import { formatReplayToken } from './replay-token';
import type { Fingerprint } from '../expectations/fingerprint';

/** The fields of a {@link ScenarioResult} whose shape does not depend on its verdict. */
export interface ScenarioResultFields {
  scenario: string;
  invariant: InvariantId;
  backend: BackendName;
  /** One line: why it failed, errored or is unsupported; empty for a pass. */
  summary: string;
  /** Which parts failed and by how much, for a `fail`; null for every other status. */
  fingerprint: Fingerprint | null;
  /** The (shrunk) failing case, as data. */
  counterexample: CaseSpec | null;
  casesRun: number;
  unsupportedCases: number;
  shrinks: number;
  seed: number;
  /** Pasteable token that replays this exact result. */
  replay: string;
  durationMs: number;
}

/**
 * The verdict on one (scenario, invariant, backend): the master record of every report. Its
 * evidence is typed by status and, for a failure, by invariant ({@link ResultVerdict}).
 */
export type ScenarioResult = ScenarioResultFields & ResultVerdict;

/**
 * Runs a fixed (steps or transfer) scenario once under its seed; a throw becomes an error or
 * unsupported verdict.
 */
type FixedScenario = StepsScenario | TransferScenario;
type FixedRunner<S extends FixedScenario> = (scenario: S, context: InvariantContext, options: PropertyRunOptions) => Promise<CheckOutcome>;

/**
 * The runner of every fixed scenario kind. A `Record` over the kinds: a new kind in the scenario
 * schema without a runner here fails the type check.
 */
const FIXED_RUNNERS: { [K in FixedScenario['kind']]: FixedRunner<Extract<FixedScenario, { kind: K }>> } = {
  steps: (scenario, context) => runStepsScenario(scenario, context.host.modelStore),
  transfer: (scenario, context, options) => {
    const spec = { ...scenario, profile: options.profile ?? scenario.profile };
    // A base that comes pre-trained (nsfwjs's MobileNetV2) from the host; the others are pre-trained here.
    if (spec.architecture === 'mobilenet_v2') return runPretrainedTransfer(spec, context.host.pretrained ?? null);
    return runTransferScenario(spec as MnistTransferSpec, { cache: context.host.modelCache, tfjs: context.host.tfjs, tfjsFingerprint: context.host.tfjsFingerprint });
  },
};

function runFixed<S extends FixedScenario>(scenario: S, context: InvariantContext, options: PropertyRunOptions): Promise<CheckOutcome> {
  const runner = FIXED_RUNNERS[scenario.kind] as FixedRunner<S>;
  return runner(scenario, context, options);
}

async function runOnce(scenario: FixedScenario, context: InvariantContext, options: PropertyRunOptions): Promise<CaseVerdict> {
  try {
    return await withSeed(scenario.seed, () => runFixed(scenario, context, options));
  } catch (error) {
    return verdictFromError(error);
  } finally {
    await context.activate(context.backend);
  }
}

/**
 * Runs one scenario on the active backend and returns its result: a property scenario through
 * fast-check, a steps scenario once. Never prints; throws only HarnessFault (a bn-suite fault) or UsageError (bad input), never for tfjs behaviour.
 */
export async function runScenario(
  scenario: Scenario,
  invariant: Invariant,
  context: InvariantContext,
  options: PropertyRunOptions,
): Promise<ScenarioResult> {
  const started = performance.now();
  if (scenario.kind !== 'property') {
    const verdict = await runOnce(scenario, context, options);
    return {
      scenario: scenario.id,
      backend: context.backend,
      ...resultVerdict(verdict.status, scenario.invariant, verdict.evidence),
      summary: verdict.status === 'pass' ? '' : verdict.summary,
      fingerprint: verdict.status === 'fail' ? verdict.fingerprint : null,
      counterexample: null,
      casesRun: 1,
      unsupportedCases: verdict.status === 'unsupported' ? 1 : 0,
      shrinks: 0,
      seed: scenario.seed,
      replay: formatReplayToken({ scenario: scenario.id, backend: context.backend, seed: scenario.seed, tfjs: context.host.tfjs['@tensorflow/tfjs-core'] }),
      durationMs: Math.round(performance.now() - started),
    };
  }
  const constraints = { ...DEFAULT_CONSTRAINTS, ...scenario.vary };
  const outcome = await runProperty(invariant, constraints, context, options);
  const failing = outcome.counterexample?.verdict;
  const unsupported = outcome.unsupported;
  let summary = '';
  let evidence: unknown = {};
  if (failing !== undefined && failing.status !== 'pass') {
    summary = failing.summary;
    evidence = failing.evidence;
  } else if (outcome.harnessError !== undefined) {
    summary = `property run failed: ${outcome.harnessError}`;
  } else if (outcome.status === 'unsupported' && unsupported !== null && unsupported.status === 'unsupported') {
    summary = unsupported.summary;
    evidence = unsupported.evidence;
  } else if (unsupported !== null && unsupported.status === 'unsupported') {
    // A pass over the supported cases still says that some could not run.
    evidence = { unsupportedCases: outcome.unsupportedCases, unsupportedKernel: unsupported.evidence.kernel };
  }
  return {
    scenario: scenario.id,
    backend: context.backend,
    ...resultVerdict(outcome.status, scenario.invariant, evidence),
    summary,
    fingerprint: failing?.status === 'fail' ? failing.fingerprint : null,
    counterexample: outcome.counterexample?.spec ?? null,
    casesRun: outcome.casesRun,
    unsupportedCases: outcome.unsupportedCases,
    shrinks: outcome.shrinks,
    seed: outcome.seed,
    replay: formatReplayToken({
      scenario: scenario.id,
      backend: context.backend,
      seed: outcome.seed,
      ...(outcome.path !== undefined ? { path: outcome.path } : {}),
      tfjs: context.host.tfjs['@tensorflow/tfjs-core'],
    }),
    durationMs: Math.round(performance.now() - started),
  };
}
