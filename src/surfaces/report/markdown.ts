import { largestDifference, transferEvidenceOf } from '../../results/evidence';
import type { Outcome } from '../../engine/expectations/classify';
import { CONTRACTS } from '../../engine/contracts/contracts';
import type { SuiteResult } from '../../results/schema';
import { auditTablesMarkdown } from './audit-table';

const OUTCOME_MARK: Record<Outcome, string> = {
  pass: 'pass',
  'expected-fail': 'expected',
  'unexpected-fail': '**UNEXPECTED FAIL**',
  'unexpected-pass': '**UNEXPECTED PASS**',
  'not-observable': 'not observable here',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The conformance matrix as a markdown table (invariant x contract). */
export function conformanceMarkdown(suite: SuiteResult): string {
  const header = `| invariant | observed | ${CONTRACTS.map((c) => c.id).join(' | ')} |`;
  const rule = `|---|---|${CONTRACTS.map(() => '---').join('|')}|`;
  const rows = suite.conformance.rows.map(
    (row) => `| ${row.invariant} | ${row.observed} | ${CONTRACTS.map((c) => (row.matches[c.id] === null ? '-' : row.matches[c.id] ? 'yes' : 'no')).join(' | ')} |`,
  );
  const scores = suite.conformance.scores.map((s) => `${s.contract} ${s.matched}/${s.observed}`).join(', ');
  const best = suite.conformance.bestMatches.length > 0 ? suite.conformance.bestMatches.join(', ') : 'none observed';
  return [header, rule, ...rows, '', `Closest contract: **${best}** (${scores}).`].join('\n');
}


function percent(fraction: number | undefined): string {
  return fraction === undefined ? '-' : `${(fraction * 100).toFixed(1)}%`;
}

/**
 * The real-data accuracy table (final epoch): per transfer result, the frozen base's
 * training-mode and inference-mode accuracy on held-out target data, their gap, and the control
 * (base in inference mode). Empty when the run had no transfer scenario.
 */
export function accuracyTableMarkdown(suite: SuiteResult): string {
  const rows = suite.results.flatMap((r) => {
    const accuracy = transferEvidenceOf(r);
    if (accuracy === null) return [];
    const last = (values: Array<number | null>) => values[values.length - 1] ?? undefined;
    const { frozen, control } = accuracy.variants;
    const seed = accuracy.seed;
    return [
      `| ${r.scenario} | ${r.backend} | ${seed} | ${percent(last(frozen.trainingModeAccuracy))} | ${percent(last(frozen.inferenceModeAccuracy))} | ${last(frozen.gapPoints)?.toFixed(1) ?? '-'} | ${percent(last(control.inferenceModeAccuracy))} | ${last(control.gapPoints)?.toFixed(1) ?? '-'} | ${r.status} |`,
    ];
  });
  if (rows.length === 0) return '';
  return [
    '| scenario | backend | seed | frozen: training mode | frozen: inference mode | gap (points) | control | control gap | verdict |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * Scenarios whose verdict is not the same on every backend, each backend's verdict side by side
 * with its numbers (the failing side's summary, the largest difference the evidence records).
 * Empty when every backend agrees.
 */
export function backendDifferencesMarkdown(suite: SuiteResult): string {
  const backends = [...new Set(suite.results.map((r) => r.backend))];
  const groups = new Map<string, typeof suite.results>();
  for (const r of suite.results) {
    const key = `${r.scenario}\0${r.invariant}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: string[] = [];
  for (const results of groups.values()) {
    if (new Set(results.map((r) => r.status)).size < 2) continue;
    const cells = backends.map((backend) => {
      const r = results.find((x) => x.backend === backend);
      if (r === undefined) return 'not run';
      const difference = largestDifference(r);
      const number = difference !== null ? ` (max abs diff ${difference.toPrecision(3)})` : '';
      return cell(`**${r.status}**${number}${r.summary !== '' ? `: ${r.summary}` : ''}`);
    });
    rows.push(`| ${results[0].scenario} | ${results[0].invariant} | ${cells.join(' | ')} |`);
  }
  if (rows.length === 0) return '';
  return [`| scenario | invariant | ${backends.join(' | ')} |`, `|---|---|${backends.map(() => '---').join('|')}|`, ...rows].join('\n');
}

/** `summary.md`: results per scenario x backend, conformance matrix, unavailable backends. */
export function summaryMarkdown(suite: SuiteResult): string {
  const s = suite.summary;
  const lines = [
    `# bn-suite results`,
    '',
    `bn-suite ${suite.tool.version}, tfjs-core ${suite.tfjs['@tensorflow/tfjs-core']}, tfjs-layers ${suite.tfjs['@tensorflow/tfjs-layers']}, Node ${suite.node} (${suite.platform}); seed ${suite.seed}, ${suite.runs} runs per property${suite.shard ? `, shard ${suite.shard.index}/${suite.shard.count}` : ''}; ${suite.startedAt}, ${(suite.durationMs / 1000).toFixed(1)} s.`,
    '',
    `**${s.asExpected ? 'As expected' : 'UNEXPECTED RESULTS'}**: ${s.results} results (${s.casesRun} cases): ${s.byOutcome.pass} pass, ${s.byOutcome['expected-fail']} expected failures (known issues), ${s.byOutcome['unexpected-fail']} unexpected failures, ${s.byOutcome['unexpected-pass']} unexpected passes, ${s.byOutcome['not-observable']} not observable in this run, ${s.stale} stale known-issue entries.`,
    '',
    '## Backends',
    '',
    ...suite.backends.map((b) => `- ${b.name}: ${b.available ? `available (${b.version ?? '?'})` : `**unavailable** (${b.kind}): ${b.reason}`}${b.device !== undefined ? `; ${b.device}` : ''}`),
    '',
    '## Results',
    '',
    '| scenario | invariant | backend | verdict | outcome | issue | summary |',
    '|---|---|---|---|---|---|---|',
    ...suite.results.map(
      (r) => `| ${r.scenario} | ${r.invariant} | ${r.backend} | ${r.status} | ${OUTCOME_MARK[r.outcome]} | ${r.issue ?? ''} | ${cell(r.summary)} |`,
    ),
    '',
    '## Conformance with frozen-BN contracts',
    '',
    conformanceMarkdown(suite),
  ];
  const differences = backendDifferencesMarkdown(suite);
  if (differences !== '') lines.push('', '## Backends that disagree', '', differences);
  const accuracy = accuracyTableMarkdown(suite);
  if (accuracy !== '') {
    lines.push('', '## Real-data accuracy (held-out target digits, final epoch)', '', accuracy);
  }
  const audits = auditTablesMarkdown(suite);
  if (audits !== '') lines.push('', '## BN layers of the audited model', '', audits);
  if (suite.stale.length > 0) {
    lines.push('', '## Stale known-issue entries', '', ...suite.stale.map((e) => `- ${e.scenario} / ${e.invariant}${e.backend ? ` [${e.backend.join(', ')}]` : ''}: matched no result`));
  }
  const failing = suite.results.filter((r) => r.status !== 'pass');
  if (failing.length > 0) {
    lines.push('', '## Replay tokens', '', ...failing.map((r) => `- \`${r.replay}\` (${r.status})`));
  }
  return `${lines.join('\n')}\n`;
}
