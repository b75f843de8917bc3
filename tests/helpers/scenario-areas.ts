import { selectScenarios } from '../../src/surfaces/inputs/load-scenarios';
import type { LoadedScenario } from '../../src/engine/scenarios/types';

/**
 * How the shipped scenarios are split over test files (one jest file per area, so workers and
 * `--shard` can split them). `other` is everything the named areas leave, so no scenario is missed
 * and none runs twice; tests/scenarios/coverage.test.ts checks both.
 */
export const NAMED_AREAS = {
  frozenMovingStats: 'frozen-moving-stats/**',
  tfjs: 'tfjs/**',
  keras3: 'keras3/**',
  tfKeras: 'tf-keras/**',
  pytorch: 'pytorch/**',
  oracle: 'oracle/**',
  mnist: 'mnist/**',
  containers: 'no-leaked-tensors/**,trainable-bookkeeping/**,inference-purity/**,round-trip/**',
} as const;

/** The scenarios of one area. */
export function scenariosOfArea(all: readonly LoadedScenario[], area: keyof typeof NAMED_AREAS | 'other'): LoadedScenario[] {
  if (area !== 'other') return selectScenarios(all, NAMED_AREAS[area]);
  const named = new Set(Object.values(NAMED_AREAS).flatMap((selector) => selectScenarios(all, selector)));
  return all.filter((s) => !named.has(s));
}
