/**
 * Reading a matrix: one row per behaviour (scenario x invariant) and backend, one cell per tfjs
 * version; which rows differ between versions; and the gate's verdict changes between two columns.
 *
 * @packageDocumentation
 */
import type { BackendName } from '../../engine/backends';
import type { MatrixColumn, MatrixResult } from '../../results/matrix-schema';
import type { ResultRecord } from '../../results/schema';
import { thrownMessage, type ResultVerdict } from '../../engine/run/result-evidence';

/** What one version did on one row. */
export interface MatrixCell {
  status: ResultRecord['status'];
  outcome: ResultRecord['outcome'];
  summary: string;
  replay: string;
  /** The comparable part of the verdict: the status, plus the error's first line or the missing kernel. */
  verdict: string;
}

/** One behaviour on one backend across the columns (null: the version did not produce it). */
export interface MatrixRow {
  scenario: string;
  invariant: string;
  backend: BackendName;
  cells: (MatrixCell | null)[];
  /** True when the ran columns do not all give the same verdict (a missing cell counts as different). */
  differs: boolean;
}

/**
 * The comparable verdict of a result. Numbers inside a failure's evidence change with any kernel
 * tweak and are not a behaviour change; a different error message or a different missing kernel is.
 */
export function verdictKey(record: ResultVerdict & { summary: string }): string {
  if (record.status === 'error') return `error: ${thrownMessage(record).split('\n')[0]}`;
  if (record.status === 'unsupported') return `unsupported: ${record.evidence.kernel ?? record.summary}`;
  return record.status;
}

function cellOf(record: ResultRecord): MatrixCell {
  return { status: record.status, outcome: record.outcome, summary: record.summary, replay: record.replay, verdict: verdictKey(record) };
}

const rowKey = (scenario: string, invariant: string, backend: string) => `${scenario}\u0000${invariant}\u0000${backend}`;

/** The rows of a matrix, in the order results first appear (scenario order, then backend). */
export function matrixRows(matrix: Pick<MatrixResult, 'columns'>): MatrixRow[] {
  const rows = new Map<string, MatrixRow>();
  matrix.columns.forEach((column, index) => {
    if (column.status !== 'ran') return;
    for (const record of column.suite.results) {
      const key = rowKey(record.scenario, record.invariant, record.backend);
      let row = rows.get(key);
      if (row === undefined) {
        row = { scenario: record.scenario, invariant: record.invariant, backend: record.backend, cells: matrix.columns.map(() => null), differs: false };
        rows.set(key, row);
      }
      row.cells[index] = cellOf(record);
    }
  });
  const ran = matrix.columns.map((c) => c.status === 'ran');
  for (const row of rows.values()) {
    const verdicts = row.cells.filter((_, i) => ran[i]).map((cell) => cell?.verdict ?? 'absent');
    row.differs = new Set(verdicts).size > 1;
  }
  return [...rows.values()];
}

/** How a behaviour changed from the baseline version to the target. */
export type ChangeKind = 'fixed' | 'broken' | 'different-error' | 'changed' | 'appeared' | 'disappeared';

/** One verdict change the gate reports. */
export interface VerdictChange {
  scenario: string;
  invariant: string;
  backend: BackendName;
  kind: ChangeKind;
  from: MatrixCell | null;
  to: MatrixCell | null;
}

function changeKind(from: MatrixCell | null, to: MatrixCell | null): ChangeKind {
  if (from === null) return 'appeared';
  if (to === null) return 'disappeared';
  if (from.status !== 'pass' && to.status === 'pass') return 'fixed';
  if (from.status === 'pass' && to.status !== 'pass') return 'broken';
  if (from.status === 'error' && to.status === 'error') return 'different-error';
  return 'changed';
}

/** Every row whose verdict differs between column `baseline` and column `target` (both must have run). */
export function verdictChanges(matrix: Pick<MatrixResult, 'columns'>, baseline: number, target: number): VerdictChange[] {
  const changes: VerdictChange[] = [];
  for (const row of matrixRows(matrix)) {
    const from = row.cells[baseline];
    const to = row.cells[target];
    if ((from?.verdict ?? null) === (to?.verdict ?? null)) continue;
    changes.push({ scenario: row.scenario, invariant: row.invariant, backend: row.backend, kind: changeKind(from, to), from, to });
  }
  return changes;
}

/** The label of a column: the requested version, with the resolved tfjs-core version for `installed`. */
export function columnLabel(column: MatrixColumn): string {
  if (column.status === 'ran' && column.requested !== column.suite.tfjs['@tensorflow/tfjs-core']) return `${column.requested} (${column.suite.tfjs['@tensorflow/tfjs-core']})`;
  return column.requested;
}
