/**
 * How the shipped scenarios are split over test files (one jest file per area, so workers and
 * `--shard` can split them). tests/scenarios/coverage.test.ts checks that every scenario is in one.
 */
export const SCENARIO_AREAS = {
  frozenMovingStats: 'frozen-moving-stats/**',
  keras: 'keras/**,tfjs/**',
  oracle: 'oracle/**',
  other:
    'frozen-gamma-beta,conv-training,inference-purity,inference-purity/**,training/**,mode-switch,determinism,round-trip,round-trip/**,backend-parity,no-leaked-tensors',
} as const;
