import { UsageError } from '../../engine/errors';
import type { ResultRecord, SuiteResult } from '../../results/schema';

/** One difference between a run and its baseline. */
export interface BaselineChange {
  key: string;
  what: 'status' | 'outcome' | 'cases' | 'added' | 'removed';
  before: string;
  after: string;
}

/** The comparison of a run with an earlier one: the gate before a tfjs upgrade. */
export interface BaselineComparison {
  baselineTfjs: string;
  currentTfjs: string;
  changes: BaselineChange[];
  /** Notes that do not fail the gate (e.g. a different seed makes case counts incomparable). */
  notes: string[];
}

function keyOf(r: Pick<ResultRecord, 'scenario' | 'invariant' | 'backend'>): string {
  return `${r.scenario} / ${r.invariant} / ${r.backend}`;
}

/**
 * Compares every (scenario, invariant, backend) verdict of `current` with `baseline`. Verdict and
 * outcome changes always count; case counts count only when seed and runs match (then the same
 * tfjs behaviour generates the same cases). A baseline from another bn-suite version is refused:
 * its scenarios and verdict rules may differ, so a difference would not mean tfjs changed.
 */
export function compareWithBaseline(current: SuiteResult, baseline: SuiteResult, baselineFile: string): BaselineComparison {
  if (baseline.tool.version !== current.tool.version) {
    throw new UsageError(`${baselineFile}: baseline written by bn-suite ${baseline.tool.version}, this is ${current.tool.version}; re-run the baseline with this version`);
  }
  const notes: string[] = [];
  const sameSampling = baseline.seed === current.seed && baseline.runs === current.runs;
  if (!sameSampling) notes.push(`baseline used seed ${baseline.seed} and ${baseline.runs} runs, this run seed ${current.seed} and ${current.runs}: case counts are not compared`);
  const before = new Map(baseline.results.map((r) => [keyOf(r), r]));
  const after = new Map(current.results.map((r) => [keyOf(r), r]));
  const changes: BaselineChange[] = [];
  for (const [key, now] of after) {
    const then = before.get(key);
    if (then === undefined) {
      changes.push({ key, what: 'added', before: '-', after: now.status });
      continue;
    }
    if (then.status !== now.status) changes.push({ key, what: 'status', before: then.status, after: now.status });
    else if (then.outcome !== now.outcome) changes.push({ key, what: 'outcome', before: then.outcome, after: now.outcome });
    else if (sameSampling && then.casesRun !== now.casesRun) changes.push({ key, what: 'cases', before: String(then.casesRun), after: String(now.casesRun) });
  }
  for (const [key, then] of before) if (!after.has(key)) changes.push({ key, what: 'removed', before: then.status, after: '-' });
  return { baselineTfjs: baseline.tfjs['@tensorflow/tfjs-core'], currentTfjs: current.tfjs['@tensorflow/tfjs-core'], changes, notes };
}

/** The comparison as a plain-text table. */
export function formatBaselineComparison(c: BaselineComparison): string {
  const head = `baseline: tfjs ${c.baselineTfjs} -> this run: tfjs ${c.currentTfjs}`;
  const notes = c.notes.map((n) => `note: ${n}`);
  if (c.changes.length === 0) return [head, ...notes, 'no verdict changed'].join('\n');
  const width = Math.max(...c.changes.map((ch) => ch.key.length));
  return [head, ...notes, `${c.changes.length} change(s):`, ...c.changes.map((ch) => `  ${ch.key.padEnd(width)}  ${ch.what.padEnd(7)} ${ch.before} -> ${ch.after}`)].join('\n');
}
