import type { BackendName } from '../backends';
import { INVARIANTS } from '../invariants';
import type { InvariantContext } from '../invariants/types';
import type { Scenario } from '../scenarios/types';
import { runScenario, type ScenarioResult } from './run-scenario';

/**
 * One unit of work for a host: a scenario (parsed, plain JSON) on one backend. Jobs and their
 * results are plain data, so the same job runs in this process, in a child process bound to
 * another tfjs version, or in a browser page.
 */
export interface Job {
  scenario: Scenario;
  backend: BackendName;
  /** The other backends of the run, for cross-backend invariants. */
  otherBackends: BackendName[];
  /** fast-check seed of property scenarios. */
  seed: number;
  /** Generated cases per property scenario. */
  runs: number;
  /** Data profile of transfer scenarios (default: the scenario's own). */
  profile?: 'quick' | 'full';
}

/**
 * Runs one job on the active backend with the host's context. Never throws for tfjs behaviour:
 * that becomes the result's verdict.
 */
export function runJob(job: Job, context: InvariantContext): Promise<ScenarioResult> {
  return runScenario(job.scenario, INVARIANTS[job.scenario.invariant], context, {
    seed: job.seed,
    runs: job.runs,
    ...(job.profile !== undefined ? { profile: job.profile } : {}),
  });
}
