import { summarize } from '../../src/results/suite';
import { type ResultRecord, type SuiteResult } from '../../src/results/schema';
import { BN_SUITE_VERSION } from '../../src/engine/version';

/**
 * A SuiteResult of `results`: tfjs 4.22.0, seed 1, 1 run, no backends, no stale entries, the summary
 * computed from the results and the (possibly overridden) stale entries. Loads run-suite, hence tfjs.
 */
export function suiteResult(results: ResultRecord[], overrides: Partial<SuiteResult> = {}): SuiteResult {
  const stale = overrides.stale ?? [];
  return {
    format: 'bn-suite-results',
    formatVersion: 1,
    tool: { name: 'bn-suite', version: BN_SUITE_VERSION },
    tfjs: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0' },
    node: '20.0.0',
    platform: 'linux/x64',
    seed: 1,
    runs: 1,
    shard: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 100,
    backends: [],
    results,
    stale,
    summary: summarize(results, stale),
    conformance: { rows: [], scores: [], bestMatches: [] },
    ...overrides,
  };
}
