import type { BackendName, BackendStatus } from '../../engine/backends';
import type { TfjsVersions } from '../../engine/tfjs';
import { knownIssuesForTfjs, type KnownIssue } from '../../engine/expectations/known-issues';
import type { LoadedScenario } from '../../engine/scenarios/types';
import type { ResultRecord, Shard, SuiteResult } from '../../results/schema';
import { assembleSuiteResult, planJobs, toResultRecord } from '../../results/suite';
import type { Host } from '../host';
import { inProcessHost } from './in-process-host';
import { tfjsVersions } from './tfjs';

/** Reported before and after every job, for progress displays. */
export interface ProgressEvent {
  phase: 'start' | 'done';
  done: number;
  total: number;
  scenario: string;
  backend: BackendName;
  result?: ResultRecord;
}

/** What a suite run needs; the CLI and the jest suite build it from flags or environment. */
export interface SuiteOptions {
  scenarios: readonly LoadedScenario[];
  /** Backends to run on, already probed as available. */
  backends: readonly BackendName[];
  /** Every probed backend with its availability, reported as is. */
  backendStatuses: readonly BackendStatus[];
  knownIssues: readonly KnownIssue[];
  seed: number;
  runs: number;
  shard?: Shard;
  /** Data profile of transfer scenarios (default: each scenario's own, `quick` unless it says). */
  profile?: 'quick' | 'full';
  /** Folder of the pre-trained-base cache of transfer scenarios. */
  cacheDir?: string;
  /** Told in one line about problems that do not stop the run (an unusable cache folder). */
  onWarning?: (message: string) => void;
  /** Where the engine runs (default: this process, on the host project's tfjs). */
  host?: Host;
  /** The tfjs versions `host` runs on (default: this process's, which is right for the in-process host). */
  tfjs?: TfjsVersions;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * Runs every selected scenario on every selected backend and classifies the results. Returns data
 * only: never prints, never exits.
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const startedAt = new Date();
  const started = performance.now();
  const jobs = planJobs(options);
  const host =
    options.host ??
    inProcessHost({ ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}), ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}) });
  const tfjs = options.tfjs ?? tfjsVersions();
  // Entries about other tfjs versions are neither applied nor stale here.
  const knownIssues = knownIssuesForTfjs(options.knownIssues, tfjs['@tensorflow/tfjs-core']);
  const records: ResultRecord[] = [];
  await host.run(jobs, (event) => {
    const base = { total: jobs.length, scenario: event.job.scenario.id, backend: event.job.backend };
    if (event.phase === 'start' || event.result === undefined) {
      options.onProgress?.({ phase: 'start', done: event.index, ...base });
      return;
    }
    const record = toResultRecord(event.result, event.job.scenario.tags, knownIssues);
    records.push(record);
    options.onProgress?.({ phase: 'done', done: event.index + 1, ...base, result: record });
  });
  return assembleSuiteResult(records, {
    jobs,
    knownIssues,
    backendStatuses: options.backendStatuses,
    tfjs,
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
    seed: options.seed,
    runs: options.runs,
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
  });
}
