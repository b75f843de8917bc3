import type { ClassifiedResult } from '../../engine/expectations/classify';

/**
 * A multi-line, human description of one classified result, replay token first so it can be
 * pasted into `bn-suite repro`, then the verdict, the known issue if any, and the counterexample.
 */
export function formatClassifiedResult({ result, outcome, knownIssue }: ClassifiedResult): string {
  const lines = [
    `replay: ${result.replay}`,
    `${result.scenario} (${result.invariant}) on ${result.backend}: ${result.status} -> ${outcome}`,
  ];
  if (result.summary !== '') lines.push(`  ${result.summary}`);
  if (knownIssue !== null) lines.push(`  known issue (${knownIssue.issue}): ${knownIssue.reason}; expected outcomes: ${knownIssue.outcomes.join(', ')}`);
  if (outcome === 'unexpected-pass') lines.push('  the invariant now holds: remove or update this entry in the known-issues file');
  if (result.counterexample !== null) {
    lines.push(`  counterexample after ${result.shrinks} shrink(s): ${JSON.stringify(result.counterexample)}`);
  }
  lines.push(`  ${result.casesRun} case(s), ${result.unsupportedCases} unsupported, ${result.durationMs} ms`);
  return lines.join('\n');
}
