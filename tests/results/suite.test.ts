import { fc, test as fcTest } from '@fast-check/jest';
import type { BackendName } from '../../src/engine/backends';
import type { Outcome } from '../../src/engine/expectations/classify';
import type { KnownIssue } from '../../src/engine/expectations/known-issues';
import type { InvariantId } from '../../src/engine/invariants/types';
import { findStale, planJobs, summarize } from '../../src/results/suite';
import type { ResultRecord, Shard } from '../../src/results/schema';
import type { Job } from '../../src/engine/run/job';
import type { VerdictStatus } from '../../src/engine/run/verdict';
import type { LoadedScenario } from '../../src/engine/scenarios/types';
import { resultRecord } from '../helpers/fixtures';

function scenario(id: string, backends?: BackendName[], invariant: InvariantId = 'oracle-agreement'): LoadedScenario {
  return {
    file: `scenarios/${id}.yaml`,
    scenario: { id, kind: 'property', description: 'd', provenance: 'p', tags: ['oracle'], invariant, vary: {}, ...(backends ? { backends } : {}) },
  };
}

function record(scenarioId: string, invariant: InvariantId, backend: BackendName, status: VerdictStatus, outcome: Outcome, casesRun = 3): ResultRecord {
  return resultRecord({
    scenario: scenarioId,
    invariant,
    backend,
    status,
    summary: status === 'pass' ? '' : 'why',
    casesRun,
    expected: outcome === 'expected-fail' || outcome === 'unexpected-pass',
    outcome,
  });
}

const A = scenario('a');
const B = scenario('b', ['wasm']);
const C = scenario('c');
const keyOf = (j: Job) => `${j.scenario.id}@${j.backend}`;
const plan = (scenarios: LoadedScenario[], backends: BackendName[], shard?: Shard): Job[] => planJobs({ scenarios, backends, seed: 1, runs: 1, ...(shard !== undefined ? { shard } : {}) });

describe('planJobs', () => {
  test('backend-major, scenarios in the given order, skipping scenarios not meant for a backend', () => {
    expect(plan([A, B, C], ['cpu', 'wasm']).map(keyOf)).toEqual(['a@cpu', 'c@cpu', 'a@wasm', 'b@wasm', 'c@wasm']);
    expect(plan([A, B, C], ['cpu']).map(keyOf)).toEqual(['a@cpu', 'c@cpu']);
    expect(plan([B], ['cpu', 'tensorflow'])).toEqual([]);
  });

  test('jobs carry the scenario object itself', () => {
    expect(plan([A], ['cpu'])[0].scenario).toBe(A.scenario);
  });

  test('shard 1/1 is the whole plan; shards take every n-th job', () => {
    const all = plan([A, B, C], ['cpu', 'wasm']);
    expect(plan([A, B, C], ['cpu', 'wasm'], { index: 1, count: 1 })).toEqual(all);
    expect(plan([A, B, C], ['cpu', 'wasm'], { index: 1, count: 2 }).map(keyOf)).toEqual(['a@cpu', 'a@wasm', 'c@wasm']);
    expect(plan([A, B, C], ['cpu', 'wasm'], { index: 2, count: 2 }).map(keyOf)).toEqual(['c@cpu', 'b@wasm']);
    expect(plan([A, B, C], ['cpu', 'wasm'], { index: 3, count: 7 }).map(keyOf)).toEqual(['a@wasm']);
  });

  const scenariosArb = fc
    .uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 0, maxLength: 8 })
    .chain((ids) =>
      fc.tuple(...ids.map((id) => fc.option(fc.subarray<BackendName>(['cpu', 'wasm', 'tensorflow'], { minLength: 1 }), { nil: undefined }).map((b) => scenario(id, b)))),
    );
  const backendsArb = fc.subarray<BackendName>(['cpu', 'wasm', 'tensorflow']);

  fcTest.prop([scenariosArb, backendsArb, fc.integer({ min: 1, max: 6 })])('the shards of a plan partition it, each keeping the plan order', (scenarios, backends, count) => {
    const all = plan(scenarios, backends).map(keyOf);
    const shards = Array.from({ length: count }, (_, i) => plan(scenarios, backends, { index: i + 1, count }).map(keyOf));
    const union = shards.flat();
    expect([...union].sort()).toEqual([...all].sort());
    expect(new Set(union).size).toBe(union.length);
    for (const shard of shards) expect(shard).toEqual(all.filter((k) => shard.includes(k)));
    // Balanced: shard sizes differ by at most one.
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    // A scenario restricted to backends never runs elsewhere.
    for (const key of all) {
      const [id, backend] = key.split('@');
      const allowed = scenarios.find((s) => s.scenario.id === id)?.scenario.backends;
      if (allowed !== undefined) expect(allowed).toContain(backend);
    }
  });
});

describe('findStale', () => {
  const entry = (scenarioId: string, invariant: InvariantId, backend?: BackendName[]): KnownIssue => ({
    scenario: scenarioId,
    invariant,
    ...(backend ? { backend } : {}),
    issue: 'unreported',
    reason: 'r',
    outcomes: ['fail'],
  });

  test('an entry that matched a result is not stale', () => {
    const e = entry('a', 'oracle-agreement');
    expect(findStale([e], [record('a', 'oracle-agreement', 'cpu', 'fail', 'expected-fail')], [{ scenario: 'a', backend: 'cpu' }])).toEqual([]);
  });

  test('an entry whose scenario did not run is not stale', () => {
    const e = entry('x', 'oracle-agreement');
    expect(findStale([e], [], [{ scenario: 'a', backend: 'cpu' }])).toEqual([]);
  });

  test('an entry naming the wrong invariant of a scenario that ran is stale', () => {
    const e = entry('a', 'mode-switch');
    expect(findStale([e], [record('a', 'oracle-agreement', 'cpu', 'pass', 'pass')], [{ scenario: 'a', backend: 'cpu' }])).toEqual([e]);
  });

  test('a backend-restricted entry is stale only when one of its backends ran without a matching result', () => {
    const e = entry('a', 'mode-switch', ['wasm']);
    const onCpu = [record('a', 'oracle-agreement', 'cpu', 'pass', 'pass')];
    expect(findStale([e], onCpu, [{ scenario: 'a', backend: 'cpu' }])).toEqual([]);
    expect(findStale([e], [...onCpu, record('a', 'oracle-agreement', 'wasm', 'pass', 'pass')], [{ scenario: 'a', backend: 'cpu' }, { scenario: 'a', backend: 'wasm' }])).toEqual([e]);
    const matching = record('a', 'mode-switch', 'wasm', 'fail', 'expected-fail');
    expect(findStale([e], [matching], [{ scenario: 'a', backend: 'wasm' }])).toEqual([]);
  });

  test('a listed result that now passes still matches (it is an unexpected pass, not stale)', () => {
    const e = entry('a', 'oracle-agreement');
    expect(findStale([e], [record('a', 'oracle-agreement', 'cpu', 'pass', 'unexpected-pass')], [{ scenario: 'a', backend: 'cpu' }])).toEqual([]);
  });
});

describe('summarize', () => {
  test('counts by status and outcome, sums cases, and is as expected only without surprises', () => {
    const results = [
      record('a', 'oracle-agreement', 'cpu', 'pass', 'pass', 4),
      record('b', 'mode-switch', 'cpu', 'fail', 'expected-fail', 2),
      record('c', 'frozen-gamma-beta', 'wasm', 'unsupported', 'expected-fail', 0),
      record('d', 'determinism', 'cpu', 'error', 'expected-fail', 1),
    ];
    const s = summarize(results, []);
    expect(s).toEqual({
      results: 4,
      casesRun: 7,
      byStatus: { pass: 1, fail: 1, error: 1, unsupported: 1 },
      byOutcome: { pass: 1, 'expected-fail': 3, 'unexpected-fail': 0, 'unexpected-pass': 0, 'not-observable': 0 },
      stale: 0,
      asExpected: true,
    });
  });

  test.each<Outcome>(['unexpected-fail', 'unexpected-pass'])('one %s makes the run not as expected', (outcome) => {
    const s = summarize([record('a', 'oracle-agreement', 'cpu', 'pass', 'pass'), record('b', 'oracle-agreement', 'cpu', outcome === 'unexpected-pass' ? 'pass' : 'fail', outcome)], []);
    expect(s.byOutcome[outcome]).toBe(1);
    expect(s.asExpected).toBe(false);
  });

  test('a stale entry makes the run not as expected', () => {
    const stale: KnownIssue = { scenario: 'a', invariant: 'mode-switch', issue: 'unreported', reason: 'r', outcomes: ['fail'] };
    const s = summarize([record('a', 'oracle-agreement', 'cpu', 'pass', 'pass')], [stale]);
    expect(s.stale).toBe(1);
    expect(s.asExpected).toBe(false);
  });

  test('an empty run is as expected with zero counts', () => {
    expect(summarize([], [])).toMatchObject({ results: 0, casesRun: 0, asExpected: true, byStatus: { pass: 0, fail: 0, error: 0, unsupported: 0 } });
  });
});
