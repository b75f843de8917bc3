import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKEND_NAMES, type BackendName } from '../../engine/backends';
import { DEFAULT_RUNS, DEFAULT_SEED } from '../../engine/defaults';
import { UsageError } from '../../engine/errors';
import { loadKnownIssues } from '../inputs/known-issues-file';
import { loadScenarios, selectScenarios } from '../inputs/load-scenarios';
import { columnLabel, verdictChanges } from '../matrix/compare-columns';
import { formatChanges, writeMatrixReports } from '../matrix/matrix-report';
import { checkVersionList, runMatrix } from '../matrix/run-matrix';
import { defaultExpectationsFile, SHIPPED_SCENARIOS } from '../paths';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { MAX_RUNS, parsePositiveInt, parseSeed } from './parse-options';
import { assertWritableFolder } from './run-command';

/** Flags of `bn-suite matrix`, as commander hands them over. */
export interface MatrixFlags {
  tfjs?: string;
  backend?: string;
  scenario?: string;
  scenarios?: string;
  expectations?: string;
  seed?: string;
  runs?: string;
  out?: string;
  parallel?: string;
  tfjsCache?: string;
  gate?: boolean;
}

function parseBackends(raw: string | undefined): BackendName[] | undefined {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'all') return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new UsageError(`--backend: unknown backend '${name}'; allowed: ${BACKEND_NAMES.join(', ')}, all`);
  return [...new Set(names)] as BackendName[];
}

/**
 * `bn-suite matrix`: the scenarios on several tfjs versions side by side; with `--gate`, the
 * upgrade gate (exit 1 when any behaviour verdict differs from the first version's).
 */
export async function matrixCommand(flags: MatrixFlags, io: CliIo): Promise<ExitCode> {
  if (flags.tfjs === undefined) throw new UsageError('--tfjs is required, e.g. --tfjs installed,4.22.0');
  const versions = flags.tfjs.split(',').map((v) => v.trim()).filter((v) => v !== '');
  checkVersionList(versions);
  if (flags.gate && versions.length < 2) throw new UsageError('--gate compares the first --tfjs version with the others: give at least two, e.g. --tfjs installed,4.22.0');
  const seed = parseSeed(flags.seed, DEFAULT_SEED);
  const runs = parsePositiveInt('--runs', flags.runs, DEFAULT_RUNS, MAX_RUNS);
  const parallel = parsePositiveInt('--parallel', flags.parallel, os.availableParallelism(), 64);
  const backends = parseBackends(flags.backend);
  const scenarioDir = flags.scenarios ?? SHIPPED_SCENARIOS;
  const allScenarios = loadScenarios(scenarioDir);
  const scenarios = selectScenarios(allScenarios, flags.scenario);
  const expectationsFile = flags.expectations ?? defaultExpectationsFile(scenarioDir);
  const knownIssues = expectationsFile === null ? [] : loadKnownIssues(expectationsFile);
  const outDir = path.resolve(flags.out ?? path.join('reports', `matrix-${new Date().toISOString().replace(/:/g, '-')}`));
  const outExisted = fs.existsSync(outDir);
  assertWritableFolder(outDir, '--out');

  let matrix: Awaited<ReturnType<typeof runMatrix>>;
  try {
    matrix = await runMatrix({
      refuseUnknownVersions: flags.gate === true,
      versions,
      ...(backends !== undefined ? { backends } : {}),
      scenarios,
      knownIssues,
      seed,
      runs,
      parallel,
      ...(flags.tfjsCache !== undefined ? { tfjsCacheDir: flags.tfjsCache } : {}),
      onColumn: (column) => {
        if (column.status === 'ran') {
          const s = column.suite.summary;
          io.stderr(`tfjs ${columnLabel(column)}: ${s.results} results (${s.byOutcome['unexpected-fail']} unexpected failures, ${s.byOutcome['unexpected-pass']} unexpected passes) in ${(column.wallMs / 1000).toFixed(1)} s\n`);
        } else io.stderr(`tfjs ${column.requested}: ${column.status}: ${column.reason}\n`);
      },
      onWarning: (message) => io.stderr(`warning: ${message}\n`),
    });
  } catch (error) {
    // A usage error found before any run leaves nothing behind, not even the folder we made.
    if (error instanceof UsageError && !outExisted) fs.rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
  await writeMatrixReports(outDir, matrix);
  const labels = matrix.columns.map(columnLabel);
  io.stdout(`matrix of ${matrix.columns.length} tfjs versions in ${(matrix.durationMs / 1000).toFixed(1)} s: ${path.relative(process.cwd(), path.join(outDir, 'matrix.md')) || 'matrix.md'}\n`);

  const failed = matrix.columns.filter((c) => c.status !== 'ran');
  for (const c of failed) io.stdout(`tfjs ${c.requested}: ${c.status}: ${c.reason}\n`);
  if (!flags.gate) {
    if (failed.some((c) => c.status === 'not-installed' && c.unknownVersion)) return EXIT.usage;
    return failed.length > 0 ? EXIT.harness : EXIT.ok;
  }
  // The gate needs both sides: a version that did not run cannot be compared.
  if (failed.length > 0) {
    io.stdout(`gate: cannot compare ${failed.map((c) => `tfjs ${c.requested}`).join(', ')}\n`);
    return failed.some((c) => c.status === 'not-installed' && c.unknownVersion) ? EXIT.usage : EXIT.harness;
  }
  let changed = 0;
  for (let target = 1; target < matrix.columns.length; target++) {
    const changes = verdictChanges(matrix, 0, target);
    changed += changes.length;
    io.stdout(`\n${formatChanges(changes, labels[0], labels[target])}\n`);
  }
  return changed > 0 ? EXIT.unexpected : EXIT.ok;
}
