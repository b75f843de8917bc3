import { describe, expect, test } from '@jest/globals';
import {
  casesPerSecond,
  DEFAULT_TARGETS,
  evaluateGoals,
  formatTable,
  goalVerdict,
  median,
  pairedRatio,
  ratio,
  sideOrder,
  summarizeBackend,
  type BenchTargets,
} from '../../../src/dev/bench/measure';

describe('median', () => {
  test('odd count: the middle value, whatever the input order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([7])).toBe(7);
  });
  test('even count: the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  test('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
  test('refuses an empty list and non-finite values', () => {
    expect(() => median([])).toThrow(/empty/);
    expect(() => median([1, NaN])).toThrow(/finite/);
    expect(() => median([Infinity])).toThrow(/finite/);
  });
});

describe('ratio and casesPerSecond', () => {
  test('ratio divides', () => {
    expect(ratio(110, 100)).toBeCloseTo(1.1, 12);
    expect(ratio(0, 5)).toBe(0);
  });
  test('ratio refuses a zero, negative or non-finite denominator and a negative numerator', () => {
    expect(() => ratio(1, 0)).toThrow(/denominator/);
    expect(() => ratio(1, -2)).toThrow(/denominator/);
    expect(() => ratio(1, NaN)).toThrow(/denominator/);
    expect(() => ratio(-1, 2)).toThrow(/numerator/);
  });
  test('casesPerSecond converts milliseconds', () => {
    expect(casesPerSecond(60, 1500)).toBe(40);
    expect(casesPerSecond(1, 1)).toBe(1000);
  });
});

describe('pairedRatio', () => {
  test('the median of the per-pair ratios, not the ratio of totals', () => {
    // Totals give 1102/1010 ~ 1.09; the typical pair is 1.1x.
    expect(pairedRatio([11, 22, 33, 1000 + 36], [10, 20, 30, 950])).toBeCloseTo(1.1, 12);
  });
  test('symmetric: swapping the sides inverts it', () => {
    const h = [5, 7, 9, 4];
    const b = [4, 8, 6, 4];
    expect(pairedRatio(h, b) * pairedRatio(b, h)).toBeCloseTo(1, 12);
  });
  test('refuses unpaired or empty lists', () => {
    expect(() => pairedRatio([1], [1, 2])).toThrow(/harness timings/);
    expect(() => pairedRatio([], [])).toThrow(/empty/);
  });
});

describe('evaluateGoals', () => {
  test('the throughput target applies to wasm only by default', () => {
    expect(evaluateGoals('cpu', { overhead: 1.05, harnessCasesPerSecond: 1 }).throughput).toBeNull();
    expect(evaluateGoals('wasm', { overhead: 1.05, harnessCasesPerSecond: 1 }).throughput).toEqual({ target: 40, value: 1, met: false });
  });
  test('bounds are inclusive: exactly 1.10x and exactly 40 cases/s meet the goals', () => {
    const goals = evaluateGoals('wasm', { overhead: DEFAULT_TARGETS.maxOverhead, harnessCasesPerSecond: DEFAULT_TARGETS.minCasesPerSecond });
    expect(goals.overhead.met).toBe(true);
    expect(goals.throughput?.met).toBe(true);
    expect(goals.met).toBe(true);
  });
  test('missing either goal fails the backend', () => {
    expect(evaluateGoals('wasm', { overhead: 1.2, harnessCasesPerSecond: 100 }).met).toBe(false);
    expect(evaluateGoals('wasm', { overhead: 1.0, harnessCasesPerSecond: 39.9 }).met).toBe(false);
    expect(evaluateGoals('cpu', { overhead: 1.11, harnessCasesPerSecond: 1000 }).met).toBe(false);
    expect(evaluateGoals('cpu', { overhead: 1.09, harnessCasesPerSecond: 1 }).met).toBe(true);
  });
  test('custom targets', () => {
    const targets: BenchTargets = { maxOverhead: 2, minCasesPerSecond: 10, throughputBackends: ['cpu', 'wasm'] };
    const goals = evaluateGoals('cpu', { overhead: 1.5, harnessCasesPerSecond: 12 }, targets);
    expect(goals).toEqual({ overhead: { target: 2, value: 1.5, met: true }, throughput: { target: 10, value: 12, met: true }, met: true });
  });
});

describe('sideOrder', () => {
  test('alternates which side runs first, case by case and round by round', () => {
    expect(sideOrder(0, 0)).toEqual(['harness', 'bare']);
    expect(sideOrder(0, 1)).toEqual(['bare', 'harness']);
    expect(sideOrder(1, 0)).toEqual(['bare', 'harness']);
    expect(sideOrder(1, 1)).toEqual(['harness', 'bare']);
    expect(sideOrder(2)).toEqual(['harness', 'bare']);
  });
  test('over a round with an even case count, each side goes first equally often', () => {
    const firsts = Array.from({ length: 60 }, (_, i) => sideOrder(3, i)[0]);
    expect(firsts.filter((side) => side === 'harness')).toHaveLength(30);
  });
  test('refuses a negative or fractional round or case index', () => {
    expect(() => sideOrder(-1)).toThrow(RangeError);
    expect(() => sideOrder(0.5)).toThrow(RangeError);
    expect(() => sideOrder(0, -1)).toThrow(RangeError);
  });
});

describe('summarizeBackend', () => {
  test('takes medians per side and derives throughput, overhead and goals from them', () => {
    const figures = summarizeBackend('wasm', 60, { harnessMs: [1300, 1200, 5000], bareMs: [1000, 1100, 900] });
    expect(figures.harnessMs).toBe(1300);
    expect(figures.bareMs).toBe(1000);
    expect(figures.harnessCasesPerSecond).toBeCloseTo(60 / 1.3, 9);
    expect(figures.bareCasesPerSecond).toBe(60);
    expect(figures.overhead).toBeCloseTo(1.3, 12);
    expect(figures.goals.overhead.met).toBe(false);
    expect(figures.goals.throughput).toEqual({ target: 40, value: figures.harnessCasesPerSecond, met: true });
    expect(figures.samples).toEqual({ harnessMs: [1300, 1200, 5000], bareMs: [1000, 1100, 900] });
    expect(figures.roundOverheads.map((r) => Number(r.toFixed(6)))).toEqual([1.3, Number((1200 / 1100).toFixed(6)), Number((5000 / 900).toFixed(6))]);
    expect(figures.pairedOverhead).toBeNull();
  });
  test('pairedOverhead comes from the per-case pairs when given', () => {
    const figures = summarizeBackend('cpu', 2, { harnessMs: [30], bareMs: [20] }, DEFAULT_TARGETS, { harnessMs: [12, 18], bareMs: [10, 15] });
    expect(figures.pairedOverhead).toBeCloseTo(1.2, 12);
    expect(figures.overhead).toBe(1.5);
  });
  test('refuses a non-positive case count, empty samples and unpaired rounds', () => {
    expect(() => summarizeBackend('cpu', 0, { harnessMs: [1], bareMs: [1] })).toThrow(/cases/);
    expect(() => summarizeBackend('cpu', 1, { harnessMs: [], bareMs: [] })).toThrow(/empty/);
    expect(() => summarizeBackend('cpu', 1, { harnessMs: [1, 2], bareMs: [1] })).toThrow(/per round/);
  });
});

describe('goalVerdict and formatTable', () => {
  const cpu = summarizeBackend('cpu', 60, { harnessMs: [1000], bareMs: [1000] });
  const wasm = summarizeBackend('wasm', 60, { harnessMs: [3000], bareMs: [2000] });

  test('goalVerdict names the missed goals', () => {
    expect(goalVerdict(cpu.goals)).toBe('yes');
    expect(goalVerdict(wasm.goals)).toBe('no (overhead > 1.10x, < 40 cases/s)');
  });

  test('one header, one rule and one row per backend, in the given order', () => {
    const lines = formatTable([cpu, wasm]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^backend\s+cases\s+harness cases\/s\s+bare cases\/s\s+overhead\s+goal met$/);
    expect(lines[1]).toMatch(/^[- ]+$/);
    expect(lines[2]).toMatch(/^cpu\s+60\s+60\.0\s+60\.0\s+1\.000x\s+yes$/);
    expect(lines[3]).toMatch(/^wasm\s+60\s+20\.0\s+30\.0\s+1\.500x\s+no \(overhead > 1\.10x, < 40 cases\/s\)$/);
  });

  test('columns line up and no line has trailing spaces', () => {
    const lines = formatTable([cpu, wasm]).split('\n');
    for (const line of lines) expect(line).toBe(line.trimEnd());
    // Right-aligned numeric columns end at the same offset on every row.
    const end = (line: string, text: string) => line.indexOf(text) + text.length;
    expect(end(lines[2], '1.000x')).toBe(end(lines[3], '1.500x'));
    expect(end(lines[0], 'overhead')).toBe(end(lines[2], '1.000x'));
  });

  test('an empty list gives just the header and rule', () => {
    expect(formatTable([]).split('\n')).toHaveLength(2);
  });
});
