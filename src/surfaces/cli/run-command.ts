import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKEND_NAMES, type BackendName } from '../../engine/backends';
import { backendsToProbe, selectBackends } from '../../hosts/node/backends';
import { openHosts } from '../../hosts/open-hosts';
import { DEFAULT_JOB_TIMEOUT_MS } from '../../hosts/browser/browser-host';
import { UsageError } from '../../engine/errors';
import { loadKnownIssues } from '../inputs/known-issues-file';
import { knownIssuesYaml, updatedKnownIssues } from '../inputs/update-expectations';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import { compareWithBaseline, formatBaselineComparison } from '../report/baseline';
import { accuracyTableMarkdown, conformanceMarkdown } from '../report/markdown';
import { writeReports } from '../report/write-reports';
import { readResultsFile } from '../../results/read';
import { runSuite } from '../../hosts/node/run-suite';
import { type SuiteResult } from '../../results/schema';
import { loadScenarios, selectScenarios } from '../inputs/load-scenarios';
import { BN_SUITE_VERSION } from '../../engine/version';
import { DEFAULT_RUNS, DEFAULT_SEED } from '../../engine/defaults';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { MAX_RUNS, parsePositiveInt, parseSeed, parseShard } from './parse-options';
import { defaultExpectationsFile, FOLDER_KNOWN_ISSUES_FILE, SHIPPED_SCENARIOS } from '../paths';
import { progressReporter } from './progress';
import { writeRunRepros } from '../repro/run-repros';
import { formatVerification } from '../repro/verify';
import { tfjsWarnings } from '../doctor/doctor';
import { tfjsVersions } from '../../hosts/node/tfjs';

/** Flags of `bn-suite run`, as commander hands them over. */
export interface RunFlags {
  backend?: string;
  scenario?: string;
  scenarios?: string;
  seed?: string;
  runs?: string;
  out?: string;
  expectations?: string;
  baseline?: string;
  shard?: string;
  json?: boolean;
  tolerateUnexpectedPass?: boolean;
  updateExpectations?: boolean;
  profile?: string;
  /** Write a standalone repro for every failing result into `<out>/repros/`. */
  repro?: boolean;
  /** Seconds one job may take in a browser page before it is reported as hung. */
  jobTimeout?: string;
  /** Run webgl with WEBGL_USE_SHAPES_UNIFORMS (fewer shader compiles; not tfjs's default path). */
  webglShapeUniforms?: boolean;
}

/** `--job-timeout` in milliseconds (default {@link DEFAULT_JOB_TIMEOUT_MS}); a bad value is a usage error. */
function jobTimeoutMs(flag: string | undefined): number {
  return parsePositiveInt('--job-timeout', flag, DEFAULT_JOB_TIMEOUT_MS / 1000, 24 * 3600) * 1000;
}

export { DEFAULT_RUNS, DEFAULT_SEED };

function timestampFolder(now: Date): string {
  return now.toISOString().replace(/:/g, '-').replace(/\.(\d+)Z$/, '.$1Z');
}

/**
 * Checks before a run that `dir` can hold the reports: it is a folder or can be created, and a file
 * can be written in it. Bad destinations are the user's input: exit 2 before any tfjs work.
 */
export function assertWritableFolder(dir: string, flag: string): void {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (stat !== undefined && !stat.isDirectory()) throw new UsageError(`${flag} '${dir}' is a file, not a folder`);
  const probe = path.join(dir, `.bn-suite-write-check.${process.pid}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (error) {
    throw new UsageError(`${flag} '${dir}' cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Points `reports/latest` at the newest run folder (replacing the link atomically). */
function pointLatest(reportsRoot: string, runFolder: string): void {
  const link = path.join(reportsRoot, 'latest');
  const temporary = `${link}.${process.pid}.tmp`;
  fs.rmSync(temporary, { force: true });
  fs.symlinkSync(path.relative(reportsRoot, runFolder), temporary);
  fs.renameSync(temporary, link);
}

/** One line: counts of a run, for terminals and CI logs. */
export function summaryLine(suite: SuiteResult): string {
  const s = suite.summary;
  return `${s.results} results, ${s.casesRun} cases in ${(suite.durationMs / 1000).toFixed(1)} s: ${s.byOutcome.pass} pass, ${s.byOutcome['expected-fail']} expected failures, ${s.byOutcome['unexpected-fail']} unexpected failures, ${s.byOutcome['unexpected-pass']} unexpected passes, ${s.byOutcome['not-observable']} not observable, ${s.stale} stale entries`;
}

/** `bn-suite run`: the gate. Returns the exit code; all printing goes through `io`. */
export async function runCommand(flags: RunFlags, io: CliIo, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  // Validate everything the user gave before any tfjs work, so bad input fails fast with exit 2.
  const seed = parseSeed(flags.seed, DEFAULT_SEED);
  const runs = parsePositiveInt('--runs', flags.runs, DEFAULT_RUNS, MAX_RUNS);
  const pageJobTimeoutMs = jobTimeoutMs(flags.jobTimeout);
  const shard = parseShard(flags.shard);
  if (flags.profile !== undefined && flags.profile !== 'quick' && flags.profile !== 'full') {
    throw new UsageError(`--profile '${flags.profile}': allowed: quick, full`);
  }
  const profile = flags.profile as 'quick' | 'full' | undefined;
  const scenarioDir = flags.scenarios ?? SHIPPED_SCENARIOS;
  const allScenarios = loadScenarios(scenarioDir);
  const scenarios = selectScenarios(allScenarios, flags.scenario);
  // A folder without known issues writes them (--update-expectations) into its own known-issues.yaml.
  const expectationsFile = flags.expectations ?? defaultExpectationsFile(scenarioDir) ?? path.join(scenarioDir, FOLDER_KNOWN_ISSUES_FILE);
  const knownIssues = fs.existsSync(expectationsFile) || flags.expectations !== undefined ? loadKnownIssues(expectationsFile) : [];
  for (const entry of knownIssues) {
    if (!allScenarios.some((s) => s.scenario.id === entry.scenario)) {
      throw new UsageError(`${expectationsFile}: known issue names scenario '${entry.scenario}', which does not exist in ${scenarioDir}`);
    }
  }
  const baseline = flags.baseline !== undefined ? readResultsFile(flags.baseline) : undefined;
  if (baseline !== undefined && baseline.tool.version !== BN_SUITE_VERSION) {
    throw new UsageError(`${flags.baseline}: baseline written by bn-suite ${baseline.tool.version}, this is ${BN_SUITE_VERSION}; re-run the baseline with this version`);
  }

  const reportsRoot = path.resolve('reports');
  const startedAt = new Date();
  const outDir = flags.out !== undefined ? path.resolve(flags.out) : path.join(reportsRoot, timestampFolder(startedAt));
  assertWritableFolder(flags.out !== undefined ? outDir : reportsRoot, flags.out !== undefined ? '--out' : 'the reports folder');
  if (flags.updateExpectations) assertWritableFolder(path.dirname(path.resolve(expectationsFile)), '--expectations folder');

  const backendRequest = flags.backend ?? env.BN_BACKENDS;
  const onWarning = (message: string) => io.stderr(`warning: ${message}\n`);
  const hosts = await openHosts({ backends: backendsToProbe(backendRequest), onWarning, browser: { jobTimeoutMs: pageJobTimeoutMs, ...(flags.webglShapeUniforms === true ? { tfjsFlags: { webgl: { WEBGL_USE_SHAPES_UNIFORMS: true } } } : {}) } });
  let suite: SuiteResult;
  let selected: BackendName[];
  try {
    const statuses = hosts.statuses;
    for (const warning of tfjsWarnings(tfjsVersions())) io.stderr(`warning: ${warning}\n`);
    const selection = selectBackends(backendRequest, statuses);
    selected = selection.selected;
    const unavailable = selection.unavailable;
    for (const b of unavailable) io.stderr(`backend ${b.name} unavailable (${b.kind}): ${b.reason}\n`);
    if (selected.length === 0) {
      io.stderr(`no backend available to run on (known: ${BACKEND_NAMES.join(', ')})\n`);
      return EXIT.harness;
    }
    // A scenario limited to other backends than the selected ones is said, not silently left out;
    // when that leaves nothing to run, the selection is the problem (a run of nothing would pass).
    const runsNowhere = scenarios.filter(({ scenario }) => scenario.backends !== undefined && !scenario.backends.some((b) => selected.includes(b)));
    if (runsNowhere.length === scenarios.length) {
      throw new UsageError(`--scenario/--backend: nothing to run: ${runsNowhere.map(({ scenario }) => `${scenario.id} applies to ${scenario.backends!.join(', ')} only`).join('; ')}; selected backends: ${selected.join(', ')}`);
    }
    for (const { scenario } of runsNowhere) onWarning(`scenario ${scenario.id} applies to ${scenario.backends!.join(', ')} only (its backends): not run on ${selected.join(', ')}`);
    suite = await runSuite({
      scenarios,
      backends: selected,
      backendStatuses: statuses,
      knownIssues,
      seed,
      runs,
      shard,
      ...(profile !== undefined ? { profile } : {}),
      host: hosts.host,
      onProgress: progressReporter(io),
      onWarning,
    });
  } finally {
    await hosts.close();
  }

  await writeReports(outDir, suite);
  if (flags.out === undefined) pointLatest(reportsRoot, outDir);
  if (flags.repro) {
    for (const repro of await writeRunRepros(suite, path.join(outDir, 'repros'), allScenarios, knownIssues)) {
      if (repro.written) io.stderr(`repro ${repro.label}: ${path.relative(process.cwd(), repro.dir) || '.'} (${repro.verification !== null ? formatVerification(repro.verification) : 'not verified'})\n`);
      else io.stderr(`repro ${repro.label}: not written: ${repro.reason}\n`);
    }
  }

  if (flags.updateExpectations) {
    const entries = updatedKnownIssues(knownIssues, suite.results, selected, suite.tfjs['@tensorflow/tfjs-core']);
    writeFileAtomic(expectationsFile, knownIssuesYaml(entries));
    io.stderr(`wrote ${entries.length} known issue(s) to ${expectationsFile}\n`);
  }

  if (flags.json) io.stdout(`${JSON.stringify(suite, null, 2)}\n`);
  else {
    const accuracy = accuracyTableMarkdown(suite);
    const accuracySection = accuracy === '' ? '' : `\n\nReal-data accuracy (held-out target digits, final epoch):\n${accuracy}`;
    io.stdout(`${summaryLine(suite)}\n\nConformance with frozen-BN contracts:\n${conformanceMarkdown(suite)}${accuracySection}\n\nreports: ${path.relative(process.cwd(), outDir) || '.'}\n`);
    for (const r of suite.results.filter((x) => x.outcome === 'unexpected-fail' || x.outcome === 'unexpected-pass')) {
      io.stdout(`\n${r.outcome}: ${r.scenario} (${r.invariant}) @ ${r.backend}: ${r.status} ${r.summary}\n  replay: ${r.replay}\n`);
    }
    for (const e of suite.stale) io.stdout(`\nstale known issue: ${e.scenario} / ${e.invariant} matched no result\n`);
  }

  let exitCode: ExitCode = EXIT.ok;
  const s = suite.summary;
  const unexpectedPassesCount = flags.tolerateUnexpectedPass ? 0 : s.byOutcome['unexpected-pass'];
  if (!flags.updateExpectations && (s.byOutcome['unexpected-fail'] > 0 || unexpectedPassesCount > 0 || s.stale > 0)) exitCode = EXIT.unexpected;
  if (baseline !== undefined) {
    const comparison = compareWithBaseline(suite, baseline, flags.baseline as string);
    // Under --json, stdout carries only the results document.
    (flags.json ? io.stderr : io.stdout)(`\n${formatBaselineComparison(comparison)}\n`);
    if (comparison.changes.length > 0) exitCode = EXIT.unexpected;
  }
  return exitCode;
}
