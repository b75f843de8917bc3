import { UsageError } from '../engine/errors';
import { computeConformance } from '../engine/contracts/conformance';
import type { KnownIssue } from '../engine/expectations/known-issues';
import { summarize } from './suite';
import { type ResultRecord, type SuiteResult } from './schema';

/**
 * Combines the results of shards (`bn-suite run --shard k/n`) into one run. The shards must come
 * from the same bn-suite and tfjs versions, seed and runs; a (scenario, invariant, backend) present
 * in two shards is refused, since shards partition the jobs.
 */
export function mergeResults(parts: ReadonlyArray<{ file: string; suite: SuiteResult }>): SuiteResult {
  if (parts.length === 0) throw new UsageError('merge: no results files given');
  const [first, ...rest] = parts;
  for (const part of rest) {
    for (const [what, a, b] of [
      ['bn-suite version', first.suite.tool.version, part.suite.tool.version],
      ['tfjs-core version', first.suite.tfjs['@tensorflow/tfjs-core'], part.suite.tfjs['@tensorflow/tfjs-core']],
      ['seed', String(first.suite.seed), String(part.suite.seed)],
      ['runs', String(first.suite.runs), String(part.suite.runs)],
    ] as const) {
      if (a !== b) throw new UsageError(`merge: ${part.file} has ${what} ${b} but ${first.file} has ${a}`);
    }
  }
  checkShards(parts);
  const seen = new Map<string, string>();
  const results: ResultRecord[] = [];
  for (const { file, suite } of parts) {
    for (const r of suite.results) {
      const key = `${r.scenario} / ${r.invariant} / ${r.backend}`;
      const other = seen.get(key);
      if (other !== undefined) throw new UsageError(`merge: ${key} appears in both ${other} and ${file}`);
      seen.set(key, file);
      results.push(r);
    }
  }
  // A known issue stale in one shard is stale overall: its matching results would come from that shard's jobs.
  const stale: KnownIssue[] = [];
  for (const entry of parts.flatMap((p) => p.suite.stale)) {
    if (!stale.some((s) => JSON.stringify(s) === JSON.stringify(entry))) stale.push(entry);
  }
  return {
    ...first.suite,
    shard: null,
    startedAt: parts.map((p) => p.suite.startedAt).sort()[0],
    durationMs: parts.reduce((sum, p) => sum + p.suite.durationMs, 0),
    results,
    stale,
    summary: summarize(results, stale),
    conformance: computeConformance(results),
  };
}

/**
 * Shards must make a whole: all or none of the parts are shards; shards share one count and every
 * index 1..count appears exactly once. Anything else would pass a partial run off as a whole one.
 */
function checkShards(parts: ReadonlyArray<{ file: string; suite: SuiteResult }>): void {
  const sharded = parts.filter((p) => p.suite.shard !== null);
  if (sharded.length === 0) return;
  if (sharded.length !== parts.length) {
    const whole = parts.find((p) => p.suite.shard === null)!;
    throw new UsageError(`merge: ${whole.file} is a whole run but ${sharded[0].file} is shard ${sharded[0].suite.shard!.index}/${sharded[0].suite.shard!.count}; merge shards of one run only`);
  }
  const count = sharded[0].suite.shard!.count;
  const byIndex = new Map<number, string>();
  for (const { file, suite } of sharded) {
    const shard = suite.shard!;
    if (shard.count !== count) throw new UsageError(`merge: ${file} is shard ${shard.index}/${shard.count} but ${sharded[0].file} is one of ${count}`);
    const other = byIndex.get(shard.index);
    if (other !== undefined) throw new UsageError(`merge: shard ${shard.index}/${count} given twice (${other} and ${file})`);
    byIndex.set(shard.index, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new UsageError(`merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing; a merge needs every shard of the run`);
}
