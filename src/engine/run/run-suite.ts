import { activateBackend } from '../../hosts/node/backends';
import { computeConformance, type Conformance } from '../contracts/conformance';
import type { BackendName, BackendStatus } from '../backends';
import { classifyResult, isAsExpected, type Outcome } from '../expectations/classify';
import type { KnownIssue } from '../expectations/known-issues';
import { INVARIANTS } from '../invariants';
import type { LoadedScenario } from '../scenarios/types';
import { tfjsVersions, type TfjsVersions } from '../../hosts/node/tfjs';
import { BN_SUITE_VERSION } from '../version';
import { runScenario, type ScenarioResult } from './run-scenario';

/** Which part of the (scenario, backend) jobs this process runs: shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

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
  onProgress?: (event: ProgressEvent) => void;
}

/** One result with how it compares with the expectations. */
export interface ResultRecord extends ScenarioResult {
  /** True when a known issue covers this (scenario, invariant, backend). */
  expected: boolean;
  outcome: Outcome;
  /** The known issue's URL (or "unreported") when one matched. */
  issue: string | null;
  /** The scenario's tags, so reports and merges need not reload the scenario files. */
  tags: string[];
}

/** Counts of a run, by verdict status and by outcome. */
export interface SuiteSummary {
  results: number;
  casesRun: number;
  byStatus: Record<ScenarioResult['status'], number>;
  byOutcome: Record<Outcome, number>;
  stale: number;
  /** True when nothing unexpected happened: exit code 0. */
  asExpected: boolean;
}

/** The master record of a run (`results.json`); every report derives from it. */
export interface SuiteResult {
  format: 'bn-suite-results';
  formatVersion: 1;
  tool: { name: 'bn-suite'; version: string };
  tfjs: TfjsVersions;
  node: string;
  platform: string;
  seed: number;
  runs: number;
  shard: Shard | null;
  startedAt: string;
  durationMs: number;
  backends: BackendStatus[];
  results: ResultRecord[];
  /** Known-issue entries that matched no result although their scenario ran: the file is out of date. */
  stale: KnownIssue[];
  summary: SuiteSummary;
  /** Which framework's frozen-BN rules the tested tfjs follows, invariant by invariant. */
  conformance: Conformance;
}

/** The (scenario, backend) jobs of a run, in a stable order, restricted to the shard. */
export function planJobs(scenarios: readonly LoadedScenario[], backends: readonly BackendName[], shard?: Shard): Array<{ loaded: LoadedScenario; backend: BackendName }> {
  const jobs: Array<{ loaded: LoadedScenario; backend: BackendName }> = [];
  for (const backend of backends) {
    for (const loaded of scenarios) {
      if (loaded.scenario.backends === undefined || loaded.scenario.backends.includes(backend)) jobs.push({ loaded, backend });
    }
  }
  if (shard === undefined) return jobs;
  return jobs.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Known issues whose scenario and backend were part of the run but that matched no result. */
export function findStale(knownIssues: readonly KnownIssue[], results: readonly ResultRecord[], ranJobs: ReadonlyArray<{ scenario: string; backend: BackendName }>): KnownIssue[] {
  return knownIssues.filter((entry) => {
    const covered = ranJobs.some((job) => job.scenario === entry.scenario && (entry.backend === undefined || entry.backend.includes(job.backend)));
    if (!covered) return false;
    return !results.some((r) => r.scenario === entry.scenario && r.invariant === entry.invariant && (entry.backend === undefined || entry.backend.includes(r.backend)));
  });
}

/** Counts results by status and outcome. */
export function summarize(results: readonly ResultRecord[], stale: readonly KnownIssue[]): SuiteSummary {
  const byStatus = { pass: 0, fail: 0, error: 0, unsupported: 0 };
  const byOutcome = { pass: 0, 'expected-fail': 0, 'unexpected-fail': 0, 'unexpected-pass': 0 };
  for (const r of results) {
    byStatus[r.status]++;
    byOutcome[r.outcome]++;
  }
  return {
    results: results.length,
    casesRun: results.reduce((n, r) => n + r.casesRun, 0),
    byStatus,
    byOutcome,
    stale: stale.length,
    asExpected: results.every((r) => isAsExpected(r.outcome)) && stale.length === 0,
  };
}

/**
 * Runs every selected scenario on every selected backend and classifies the results. Returns data
 * only: never prints, never exits. Jobs run one at a time (tfjs keeps one global engine).
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const startedAt = new Date();
  const started = performance.now();
  const jobs = planJobs(options.scenarios, options.backends, options.shard);
  const results: ResultRecord[] = [];
  for (const [i, { loaded, backend }] of jobs.entries()) {
    options.onProgress?.({ phase: 'start', done: i, total: jobs.length, scenario: loaded.scenario.id, backend });
    await activateBackend(backend);
    const context = { backend, otherBackends: options.backends.filter((b) => b !== backend), activate: activateBackend };
    const result = await runScenario(loaded.scenario, INVARIANTS[loaded.scenario.invariant], context, {
      seed: options.seed,
      runs: options.runs,
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    });
    const classified = classifyResult(result, options.knownIssues);
    const record: ResultRecord = {
      ...result,
      expected: classified.knownIssue !== null,
      outcome: classified.outcome,
      issue: classified.knownIssue?.issue ?? null,
      tags: loaded.scenario.tags,
    };
    results.push(record);
    options.onProgress?.({ phase: 'done', done: i + 1, total: jobs.length, scenario: loaded.scenario.id, backend, result: record });
  }
  const stale = findStale(
    options.knownIssues,
    results,
    jobs.map((j) => ({ scenario: j.loaded.scenario.id, backend: j.backend })),
  );
  return {
    format: 'bn-suite-results',
    formatVersion: 1,
    tool: { name: 'bn-suite', version: BN_SUITE_VERSION },
    tfjs: tfjsVersions(),
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
    seed: options.seed,
    runs: options.runs,
    shard: options.shard ?? null,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    backends: [...options.backendStatuses],
    results,
    stale,
    summary: summarize(results, stale),
    conformance: computeConformance(results),
  };
}
