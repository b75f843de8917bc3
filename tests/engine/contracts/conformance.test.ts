import type { BackendName } from '../../../src/engine/backends';
import { computeConformance } from '../../../src/engine/contracts/conformance';
import { CONTRACT_IDS, CONTRACTS } from '../../../src/engine/contracts/contracts';
import type { InvariantId } from '../../../src/engine/invariants/types';
import type { ResultRecord } from '../../../src/results/schema';
import type { VerdictStatus } from '../../../src/engine/run/verdict';
import { resultRecord } from '../../helpers/fixtures';

/** Tags as the shipped scenarios use them. */
const TAGS = new Map<string, string[]>([
  ['frozen-moving-stats/fit', ['frozen', 'fit', 'contract']],
  ['frozen-gamma-beta', ['frozen', 'contract']],
  ['mode-switch', ['frozen', 'mode-switch', 'accuracy', 'contract']],
  ['inference-purity', ['inference', 'contract']],
  ['oracle/affine', ['oracle', 'contract']],
  ['oracle/no-center', ['oracle', 'options']],
  ['oracle/non-last-axis', ['oracle', 'axis']],
  ['training/non-last-axis', ['axis', 'fit']],
  ['determinism', ['determinism']],
]);

function record(scenario: string, invariant: InvariantId, status: VerdictStatus, backend: BackendName = 'cpu', tags = TAGS.get(scenario) ?? []): ResultRecord {
  return resultRecord({ scenario, tags, invariant, backend, status, summary: status === 'pass' ? '' : 'x', outcome: status === 'pass' ? 'pass' : 'unexpected-fail' });
}

/** One result per semantic invariant, with the given statuses (pass by default). */
function run(statuses: Partial<Record<'fms' | 'fgb' | 'ms' | 'ip' | 'oa', VerdictStatus>> = {}): ResultRecord[] {
  return [
    record('frozen-moving-stats/fit', 'frozen-moving-stats', statuses.fms ?? 'pass'),
    record('frozen-gamma-beta', 'frozen-gamma-beta', statuses.fgb ?? 'pass'),
    record('mode-switch', 'mode-switch', statuses.ms ?? 'pass'),
    record('inference-purity', 'inference-purity', statuses.ip ?? 'pass'),
    record('oracle/affine', 'oracle-agreement', statuses.oa ?? 'pass'),
  ];
}

const score = (c: ReturnType<typeof computeConformance>, id: string) => c.scores.find((s) => s.contract === id);

describe('computeConformance', () => {
  test('an all-pass run best-matches Keras 3 alone, with every invariant observed', () => {
    const c = computeConformance(run());
    expect(c.bestMatches).toEqual(['keras-3']);
    expect(score(c, 'keras-3')).toMatchObject({ matched: 5, observed: 5, title: 'Keras 3' });
    expect(score(c, 'tf-keras')).toMatchObject({ matched: 4, observed: 5 });
    expect(c.rows.every((row) => row.observed === 'holds')).toBe(true);
    expect(c.rows.map((r) => r.invariant)).toEqual(['frozen-moving-stats', 'frozen-gamma-beta', 'mode-switch', 'inference-purity', 'oracle-agreement']);
  });

  test('frozen-moving-stats and mode-switch failing best-matches Keras <= 2.1.2 (not PyTorch while the oracle holds)', () => {
    const c = computeConformance(run({ fms: 'fail', ms: 'fail' }));
    expect(c.bestMatches).toEqual(['keras-2.1.2']);
    expect(score(c, 'keras-2.1.2')).toMatchObject({ matched: 5, observed: 5 });
    expect(score(c, 'pytorch')).toMatchObject({ matched: 4, observed: 5 });
    const fms = c.rows.find((r) => r.invariant === 'frozen-moving-stats');
    expect(fms).toMatchObject({ observed: 'violated', scenarios: ['frozen-moving-stats/fit'] });
    expect(fms?.matches).toEqual({ 'keras-3': false, 'tf-keras': false, 'keras-2.1.3': false, 'keras-2.1.2': true, pytorch: true });
  });

  test('...and PyTorch once the oracle fails too', () => {
    const c = computeConformance(run({ fms: 'fail', ms: 'fail', oa: 'fail' }));
    expect(c.bestMatches).toEqual(['pytorch']);
    expect(score(c, 'keras-2.1.2')).toMatchObject({ matched: 4 });
  });

  test('only mode-switch failing best-matches Keras 2.1.3', () => {
    expect(computeConformance(run({ ms: 'fail' })).bestMatches).toEqual(['keras-2.1.3']);
  });

  test('ties are all reported', () => {
    // Only the oracle observed, holding: every contract predicting "holds" for it ties at 1/1.
    const c = computeConformance([record('oracle/affine', 'oracle-agreement', 'pass')]);
    expect(c.bestMatches).toEqual(['keras-3', 'keras-2.1.3', 'keras-2.1.2']);
    expect(c.rows.filter((r) => r.observed === 'not-observed')).toHaveLength(4);
    expect(c.rows.find((r) => r.invariant === 'mode-switch')?.matches).toEqual(Object.fromEntries(CONTRACT_IDS.map((id) => [id, null])));
  });

  test("only scenarios tagged 'contract' count: an oracle failure of an unusual axis or option is not a contract's rule", () => {
    const noise = [record('oracle/no-center', 'oracle-agreement', 'fail'), record('oracle/non-last-axis', 'oracle-agreement', 'fail'), record('training/non-last-axis', 'frozen-gamma-beta', 'fail')];
    const c = computeConformance([...run(), ...noise]);
    expect(c.bestMatches).toEqual(['keras-3']);
    const oracle = c.rows.find((r) => r.invariant === 'oracle-agreement');
    expect(oracle).toMatchObject({ observed: 'holds', scenarios: ['oracle/affine'] });
    // Control: the same failure tagged contract does count.
    const counted = computeConformance([...run(), record('oracle/no-center', 'oracle-agreement', 'fail', 'cpu', ['oracle', 'contract'])]);
    expect(counted.rows.find((r) => r.invariant === 'oracle-agreement')?.observed).toBe('violated');
    // A user's scenario of tfjs#1106 (non-last axis) without the tag leaves the conformance alone, whatever its other tags.
    const userFolder = computeConformance([...run(), record('mine/axis-1', 'oracle-agreement', 'fail', 'cpu', ['oracle', 'frozen'])]);
    expect(userFolder.bestMatches).toEqual(['keras-3']);
  });

  test('errors, unsupported verdicts, and untagged scenarios say nothing about semantics', () => {
    const c = computeConformance(
      [
        record('frozen-moving-stats/fit', 'frozen-moving-stats', 'error'),
        record('mode-switch', 'mode-switch', 'unsupported'),
        record('determinism', 'determinism', 'fail'),
        record('untagged', 'frozen-gamma-beta', 'fail'),
      ],
    );
    expect(c.rows.every((r) => r.observed === 'not-observed')).toBe(true);
    expect(c.bestMatches).toEqual([]);
    expect(c.scores.every((s) => s.observed === 0 && s.matched === 0)).toBe(true);
  });

  test('one failing backend is enough to call an invariant violated', () => {
    const c = computeConformance([...run(), record('frozen-moving-stats/fit', 'frozen-moving-stats', 'fail', 'wasm')]);
    expect(c.rows.find((r) => r.invariant === 'frozen-moving-stats')?.observed).toBe('violated');
  });

  test('every contract predicts the same five invariants and has a provenance', () => {
    for (const contract of CONTRACTS) {
      expect(Object.keys(contract.predictions).sort()).toEqual(['frozen-gamma-beta', 'frozen-moving-stats', 'inference-purity', 'mode-switch', 'oracle-agreement']);
      expect(contract.provenance.length).toBeGreaterThan(20);
    }
    expect(CONTRACTS.map((c) => c.id)).toEqual([...CONTRACT_IDS]);
  });
});
