/**
 * The seam between a run and the place its engine runs. A host takes jobs (plain JSON) and returns
 * one result per job (plain JSON), in order: in this process ({@link inProcessHost}), and with the
 * same shape in a child process per tfjs version or a browser page.
 *
 * @packageDocumentation
 */
import type { Job } from '../engine/run/job';
import type { ScenarioResult } from '../engine/run/run-scenario';

export type { Job };

/** Reported around every job, for progress displays. */
export interface JobEvent {
  phase: 'start' | 'done';
  /** Position of the job in the list given to {@link Host.run}. */
  index: number;
  job: Job;
  result?: ScenarioResult;
}

/** Where an engine runs. */
export interface Host {
  /** Runs the jobs one after another; resolves with one result per job, in order. */
  run(jobs: readonly Job[], onEvent?: (event: JobEvent) => void): Promise<ScenarioResult[]>;
}
