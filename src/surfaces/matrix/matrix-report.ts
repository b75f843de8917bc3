/**
 * The matrix reports: matrix.md, a self-contained matrix.html (no script, no external resource)
 * and matrix.json, next to one results folder per version.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HarnessError } from '../../engine/errors';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import type { MatrixColumn, MatrixResult } from '../../results/matrix-schema';
import { escapeHtml } from '../report/html';
import { writeReports } from '../report/write-reports';
import { columnLabel, matrixRows, type MatrixCell, type VerdictChange } from './compare-columns';

function cellText(cell: MatrixCell | null): string {
  if (cell === null) return '-';
  return cell.outcome === 'expected-fail' ? `${cell.status} (known)` : cell.outcome === 'pass' ? 'pass' : `${cell.status} (${cell.outcome})`;
}

function columnNote(column: MatrixColumn): string {
  if (column.status === 'ran') {
    const s = column.suite.summary;
    const unavailable = column.suite.backends.filter((b) => !b.available).map((b) => b.name);
    return `ran: ${s.results} results, ${s.casesRun} cases, ${(column.wallMs / 1000).toFixed(1)} s${column.install !== null ? `, install ${column.install.reused ? 'reused' : `${(column.install.durationMs / 1000).toFixed(1)} s`}` : ''}${unavailable.length > 0 ? `; unavailable: ${unavailable.join(', ')}` : ''}`;
  }
  return `${column.status}: ${column.reason}`;
}

/** One line per verdict change, for the terminal and matrix.md. */
export function formatChanges(changes: readonly VerdictChange[], fromLabel: string, toLabel: string): string {
  if (changes.length === 0) return `No behaviour verdict differs between ${fromLabel} and ${toLabel}.`;
  const lines = changes.map(
    (c) => `| ${c.scenario} | ${c.invariant} | ${c.backend} | ${c.kind} | ${c.from === null ? '-' : c.from.verdict} | ${c.to === null ? '-' : c.to.verdict} |`,
  );
  return [`${changes.length} behaviour verdict(s) differ between ${fromLabel} and ${toLabel}:`, '', `| scenario | invariant | backend | change | ${fromLabel} | ${toLabel} |`, '|---|---|---|---|---|---|', ...lines].join('\n');
}

/** matrix.md: the columns, then every row, rows that differ between versions marked. */
export function matrixMarkdown(matrix: MatrixResult): string {
  const labels = matrix.columns.map(columnLabel);
  const rows = matrixRows(matrix);
  const differing = rows.filter((r) => r.differs);
  const out = [
    '# bn-suite matrix',
    '',
    `Seed ${matrix.seed}, ${matrix.runs} cases per property scenario, ${matrix.columns.length} tfjs versions (${matrix.parallel} at a time), ${(matrix.durationMs / 1000).toFixed(1)} s.`,
    '',
    ...matrix.columns.map((c, i) => `- **${labels[i]}**: ${columnNote(c)}`),
    '',
    differing.length === 0 ? 'No behaviour verdict differs between the versions that ran.' : `**${differing.length} row(s) differ between versions** (marked ≠, with each side's summary below the table).`,
    '',
    `| | scenario | invariant | backend | ${labels.join(' | ')} |`,
    `|---|---|---|---|${labels.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.differs ? '≠' : ''} | ${r.scenario} | ${r.invariant} | ${r.backend} | ${r.cells.map(cellText).join(' | ')} |`),
  ];
  if (differing.length > 0) {
    out.push('', '## Rows that differ', '');
    for (const r of differing) {
      out.push(`### ${r.scenario} (${r.invariant}) @ ${r.backend}`, '');
      r.cells.forEach((cell, i) => out.push(`- ${labels[i]}: ${cell === null ? 'no result' : `${cell.status}: ${cell.summary || '(no summary)'} — replay \`${cell.replay}\``}`));
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

const CELL_COLORS: Record<MatrixCell['outcome'], string> = {
  pass: '#d9f2d9',
  'expected-fail': '#fde9c8',
  'unexpected-fail': '#f8c9c9',
  'unexpected-pass': '#cfe0fb',
  'not-observable': '#e6e6e6',
};

/** matrix.html: the same table, cells coloured by outcome, differing rows highlighted; no script. */
export function matrixHtml(matrix: MatrixResult): string {
  const labels = matrix.columns.map(columnLabel);
  const rows = matrixRows(matrix);
  const cell = (c: MatrixCell | null) =>
    c === null ? '<td class="none">-</td>' : `<td style="background:${CELL_COLORS[c.outcome]}" title="${escapeHtml(c.summary)}">${escapeHtml(cellText(c))}</td>`;
  const body = rows
    .map(
      (r) =>
        `<tr${r.differs ? ' class="differs"' : ''}><td>${r.differs ? '≠' : ''}</td><td>${escapeHtml(r.scenario)}</td><td>${escapeHtml(r.invariant)}</td><td>${escapeHtml(r.backend)}</td>${r.cells.map(cell).join('')}</tr>` +
        (r.differs
          ? `<tr class="evidence"><td></td><td colspan="${3 + labels.length}">${r.cells.map((c, i) => `<div><b>${escapeHtml(labels[i])}</b>: ${c === null ? 'no result' : escapeHtml(`${c.status}: ${c.summary}`)}</div>`).join('')}</td></tr>`
          : ''),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bn-suite matrix</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
tr.differs td{font-weight:600;border-top:2px solid #b00}tr.evidence td{font-size:12px;background:#fff8f8}
td.none{color:#999}
</style></head><body>
<h1>bn-suite matrix</h1>
<p>Seed ${matrix.seed}, ${matrix.runs} cases per property scenario, ${(matrix.durationMs / 1000).toFixed(1)} s.</p>
<ul>${matrix.columns.map((c, i) => `<li><b>${escapeHtml(labels[i])}</b>: ${escapeHtml(columnNote(c))}</li>`).join('')}</ul>
<p>${rows.filter((r) => r.differs).length} row(s) differ between versions.</p>
<table><thead><tr><th></th><th>scenario</th><th>invariant</th><th>backend</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}

/** A folder name for a column: the requested version, safe on every file system. */
export function columnFolder(column: MatrixColumn): string {
  return `tfjs-${column.requested.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Writes matrix.json first (the master), then matrix.md, matrix.html and each version's reports. */
export async function writeMatrixReports(dir: string, matrix: MatrixResult): Promise<void> {
  const files: Array<[string, () => string]> = [
    ['matrix.json', () => `${JSON.stringify(matrix, null, 2)}\n`],
    ['matrix.md', () => matrixMarkdown(matrix)],
    ['matrix.html', () => matrixHtml(matrix)],
  ];
  for (const [name, render] of files) {
    const file = path.join(dir, name);
    try {
      writeFileAtomic(file, render());
    } catch (error) {
      throw new HarnessError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  for (const column of matrix.columns) {
    if (column.status !== 'ran') continue;
    const folder = path.join(dir, columnFolder(column));
    try {
      fs.mkdirSync(folder, { recursive: true });
    } catch (error) {
      throw new HarnessError(`cannot create ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    await writeReports(folder, column.suite);
  }
}
