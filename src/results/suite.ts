/**
 * From jobs to results.json: plan the (scenario, backend) jobs of a run, classify each result
 * against the known issues, and assemble the suite record. Pure: the host runs the jobs, the
 * caller supplies the clock and the platform.
 *
 * @packageDocumentation
 */
import { comparedBackends, type BackendName, type BackendStatus } from '../engine/backends';
import { computeConformance } from '../engine/contracts/conformance';
import { classifyResult, isAsExpected } from '../engine/expectations/classify';
import type { KnownIssue } from '../engine/expectations/known-issues';
import type { Job } from '../engine/run/job';
import type { ScenarioResult } from '../engine/run/run-scenario';
import type { LoadedScenario } from '../engine/scenarios/types';
import type { TfjsVersions } from '../engine/tfjs';
import { BN_SUITE_VERSION } from '../engine/version';
import { RESULTS_FORMAT_VERSION, type ResultRecord, type Shard, type SuiteResult, type SuiteSummary } from './schema';

export type { ResultRecord, Shard, SuiteResult, SuiteSummary };

/** What a run plans: scenarios on backends, sized by seed and runs, optionally one shard of it. */
export interface PlanOptions {
  scenarios: readonly LoadedScenario[];
  backends: readonly BackendName[];
  seed: number;
  runs: number;
  shard?: Shard;
  profile?: 'quick' | 'full';
}

/** The (scenario, backend) jobs of a run, in a stable order, restricted to the shard. */
export function planJobs(options: PlanOptions): Job[] {
  const jobs: Job[] = [];
  for (const backend of options.backends) {
    for (const { scenario } of options.scenarios) {
      if (scenario.backends !== undefined && !scenario.backends.includes(backend)) continue;
      jobs.push({
        scenario,
        backend,
        otherBackends: comparedBackends(backend, options.backends),
        seed: options.seed,
        runs: options.runs,
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
      });
    }
  }
  if (options.shard === undefined) return jobs;
  const { index, count } = options.shard;
  return jobs.filter((_, i) => i % count === index - 1);
}

/** A result with its known-issue classification and the scenario's tags. */
export function toResultRecord(result: ScenarioResult, tags: readonly string[], knownIssues: readonly KnownIssue[]): ResultRecord {
  const classified = classifyResult(result, knownIssues);
  return { ...result, expected: classified.knownIssue !== null, outcome: classified.outcome, issue: classified.knownIssue?.issue ?? null, tags: [...tags] };
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
  const byOutcome = { pass: 0, 'expected-fail': 0, 'unexpected-fail': 0, 'unexpected-pass': 0, 'not-observable': 0 };
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

/** Everything about a run that its results do not say. */
export interface RunFacts {
  jobs: readonly Job[];
  knownIssues: readonly KnownIssue[];
  backendStatuses: readonly BackendStatus[];
  tfjs: TfjsVersions;
  node: string;
  platform: string;
  seed: number;
  runs: number;
  shard?: Shard;
  startedAt: string;
  durationMs: number;
}

/** Assembles results.json from classified records and the facts of the run. */
export function assembleSuiteResult(records: readonly ResultRecord[], facts: RunFacts): SuiteResult {
  const stale = findStale(facts.knownIssues, records, facts.jobs.map((j) => ({ scenario: j.scenario.id, backend: j.backend })));
  return {
    format: 'bn-suite-results',
    formatVersion: RESULTS_FORMAT_VERSION,
    tool: { name: 'bn-suite', version: BN_SUITE_VERSION },
    tfjs: facts.tfjs,
    node: facts.node,
    platform: facts.platform,
    seed: facts.seed,
    runs: facts.runs,
    shard: facts.shard ?? null,
    startedAt: facts.startedAt,
    durationMs: facts.durationMs,
    backends: [...facts.backendStatuses],
    results: [...records],
    stale,
    summary: summarize(records, stale),
    conformance: computeConformance(records),
  };
}
