/**
 * The pure parts of `npm run bench`: statistics, goal evaluation and the stdout table. Nothing here
 * times anything or touches tfjs, so it can be tested without a backend.
 *
 * @packageDocumentation
 */

/** Which side of the comparison a timing belongs to. */
export type Side = 'harness' | 'bare';

/** The targets the issue sets for the harness. */
export interface BenchTargets {
  /** Largest acceptable harness/bare time ratio. */
  maxOverhead: number;
  /** Smallest acceptable harness throughput, in cases per second, on the backends listed. */
  minCasesPerSecond: number;
  /** Backends the throughput target applies to. */
  throughputBackends: readonly string[];
}

/** overhead <= 1.10x everywhere; >= 40 frozen-BN cases/s on wasm for a small MLP. */
export const DEFAULT_TARGETS: BenchTargets = {
  maxOverhead: 1.1,
  minCasesPerSecond: 40,
  throughputBackends: ['wasm'],
};

/** One goal: the target, the measured value and whether the value meets it. */
export interface GoalCheck {
  target: number;
  value: number;
  met: boolean;
}

/** The goals of one backend; `throughput` is null where no throughput target applies. */
export interface BackendGoals {
  overhead: GoalCheck;
  throughput: GoalCheck | null;
  /** Every applicable goal is met. */
  met: boolean;
}

/** The figures of one backend, as written to bench.json. */
export interface BackendFigures {
  backend: string;
  /** Cases per timed pass (each side runs the same cases). */
  cases: number;
  /** Median wall time of one harness pass over the cases. */
  harnessMs: number;
  /** Median wall time of one bare pass over the same cases. */
  bareMs: number;
  harnessCasesPerSecond: number;
  bareCasesPerSecond: number;
  /** harnessMs / bareMs. */
  overhead: number;
  goals: BackendGoals;
  /** harness/bare of each round on its own: their spread shows how far to trust `overhead`. */
  roundOverheads: number[];
  /** {@link pairedRatio} over every (case, round) pair, when per-case timings were given; informative, not a goal. */
  pairedOverhead: number | null;
  /** Per-round totals of each side, in round order. */
  samples: { harnessMs: number[]; bareMs: number[] };
}

/** The median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: empty list; need at least one value');
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`median: ${value} is not a finite number`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `numerator / denominator`, refusing a non-positive or non-finite denominator. */
export function ratio(numerator: number, denominator: number): number {
  if (!(denominator > 0) || !Number.isFinite(denominator)) throw new RangeError(`ratio: denominator ${denominator}; need a positive finite number`);
  if (!Number.isFinite(numerator) || numerator < 0) throw new RangeError(`ratio: numerator ${numerator}; need a finite number >= 0`);
  return numerator / denominator;
}

/**
 * The typical ratio of paired timings: the median over pairs of harness_i / bare_i (taken on the log
 * scale, so a pair and its swap weigh the same). Each pair ran back to back, so load that comes and
 * goes hits both members; this is much steadier than a ratio of totals on a busy machine.
 */
export function pairedRatio(harnessMs: readonly number[], bareMs: readonly number[]): number {
  if (harnessMs.length !== bareMs.length) throw new RangeError(`pairedRatio: ${harnessMs.length} harness timings but ${bareMs.length} bare ones`);
  return Math.exp(median(harnessMs.map((h, i) => Math.log(ratio(h, bareMs[i])))));
}

/** Throughput of `cases` cases run in `ms` milliseconds. */
export function casesPerSecond(cases: number, ms: number): number {
  return ratio(cases * 1000, ms);
}

/** Checks a backend's overhead and throughput against the targets. */
export function evaluateGoals(
  backend: string,
  measured: { overhead: number; harnessCasesPerSecond: number },
  targets: BenchTargets = DEFAULT_TARGETS,
): BackendGoals {
  const overhead: GoalCheck = { target: targets.maxOverhead, value: measured.overhead, met: measured.overhead <= targets.maxOverhead };
  const throughput: GoalCheck | null = targets.throughputBackends.includes(backend)
    ? { target: targets.minCasesPerSecond, value: measured.harnessCasesPerSecond, met: measured.harnessCasesPerSecond >= targets.minCasesPerSecond }
    : null;
  return { overhead, throughput, met: overhead.met && (throughput === null || throughput.met) };
}

/** Summarizes the timed passes of one backend into its figures. */
export function summarizeBackend(
  backend: string,
  cases: number,
  samples: { harnessMs: readonly number[]; bareMs: readonly number[] },
  targets: BenchTargets = DEFAULT_TARGETS,
  pairs?: { harnessMs: readonly number[]; bareMs: readonly number[] },
): BackendFigures {
  if (!Number.isInteger(cases) || cases < 1) throw new RangeError(`summarizeBackend: cases ${cases}; need an integer >= 1`);
  if (samples.harnessMs.length !== samples.bareMs.length) {
    throw new RangeError(`summarizeBackend: ${samples.harnessMs.length} harness samples but ${samples.bareMs.length} bare ones; need one of each per round`);
  }
  const harnessMs = median(samples.harnessMs);
  const bareMs = median(samples.bareMs);
  const harnessCasesPerSecond = casesPerSecond(cases, harnessMs);
  const bareCasesPerSecond = casesPerSecond(cases, bareMs);
  const overhead = ratio(harnessMs, bareMs);
  return {
    backend,
    cases,
    harnessMs,
    bareMs,
    harnessCasesPerSecond,
    bareCasesPerSecond,
    overhead,
    goals: evaluateGoals(backend, { overhead, harnessCasesPerSecond }, targets),
    roundOverheads: samples.harnessMs.map((h, i) => ratio(h, samples.bareMs[i])),
    pairedOverhead: pairs === undefined ? null : pairedRatio(pairs.harnessMs, pairs.bareMs),
    samples: { harnessMs: [...samples.harnessMs], bareMs: [...samples.bareMs] },
  };
}

/**
 * The order of the two sides for case `caseIndex` of round `round` (both 0-based). The bench runs
 * each case on both sides back to back, so slow drift (thermal, other processes, heap growth) hits
 * both alike; alternating who goes first keeps either side from always running on a warmer process.
 */
export function sideOrder(round: number, caseIndex = 0): [Side, Side] {
  if (!Number.isInteger(round) || round < 0) throw new RangeError(`sideOrder: round ${round}; need an integer >= 0`);
  if (!Number.isInteger(caseIndex) || caseIndex < 0) throw new RangeError(`sideOrder: caseIndex ${caseIndex}; need an integer >= 0`);
  return (round + caseIndex) % 2 === 0 ? ['harness', 'bare'] : ['bare', 'harness'];
}

/** Describes a goal verdict in a few words: `yes`, or `no (...)` naming the missed goals. */
export function goalVerdict(goals: BackendGoals): string {
  if (goals.met) return 'yes';
  const missed: string[] = [];
  if (!goals.overhead.met) missed.push(`overhead > ${goals.overhead.target.toFixed(2)}x`);
  if (goals.throughput !== null && !goals.throughput.met) missed.push(`< ${goals.throughput.target} cases/s`);
  return `no (${missed.join(', ')})`;
}

/** Formats a number with fixed decimals, or `-` when it is not finite. */
function fixed(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '-';
}

/** A plain-text table of the figures, one row per backend, columns aligned, no trailing spaces. */
export function formatTable(rows: readonly BackendFigures[]): string {
  const header = ['backend', 'cases', 'harness cases/s', 'bare cases/s', 'overhead', 'goal met'];
  const body = rows.map((r) => [
    r.backend,
    String(r.cases),
    fixed(r.harnessCasesPerSecond, 1),
    fixed(r.bareCasesPerSecond, 1),
    `${fixed(r.overhead, 3)}x`,
    goalVerdict(r.goals),
  ]);
  const table = [header, ...body];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  // Text columns align left, numeric ones right.
  const numeric = [false, true, true, true, true, false];
  const line = (row: string[]) =>
    row
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}
