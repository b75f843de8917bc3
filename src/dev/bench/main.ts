/**
 * `npm run bench`: property cases per second per backend, and the harness's overhead against a bare
 * tfjs script doing the same builds, fits and snapshots, measured in the same process. Prints a table
 * and writes reports/bench.json.
 *
 * Flags: `--runs N` (cases per timed pass, default 60), `--rounds K` (interleaved rounds, default 5),
 * `--seed S` (fast-check seed of the sampled cases, default fixed).
 *
 * @packageDocumentation
 */
import { bindNodeTfjs } from '../../hosts/node/tfjs';
import { DEFAULT_SEED } from '../../engine/defaults';
import { nodeInvariantContext } from '../../hosts/node/services';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { integerAtLeast, parseScriptArgs, type ScriptArgs } from '../../surfaces/cli/script-args';
import { UsageError } from '../../engine/errors';
import { caseArbitrary, DEFAULT_CONSTRAINTS, type CaseConstraints } from '../../engine/arbitraries/case';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { NODE_BACKENDS, type BackendName, type BackendStatus } from '../../engine/backends';
import { frozenMovingStats } from '../../engine/invariants/frozen-moving-stats';
import type { InvariantContext } from '../../engine/invariants/types';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import type { CaseSpec } from '../../engine/run/case-spec';
import { checkCase } from '../../engine/run/check-case';
import { runScenario, type ScenarioResult } from '../../engine/run/run-scenario';
import type { PropertyScenario } from '../../engine/scenarios/types';
import { tf, tfjsVersions } from '../../hosts/node/tfjs';
import { silenceTfjsBanner } from '../../engine/tfjs';
import { runBareCase } from './bare';
import { casesPerSecond, DEFAULT_TARGETS, formatTable, sideOrder, summarizeBackend, type BackendFigures, type Side } from './measure';

const DEFAULT_RUNS = 60;
const DEFAULT_ROUNDS = 5;
/** Cases each side runs once per backend, untimed, before the timed rounds. */
const WARMUP_CASES = 10;

/**
 * The scenario 'frozen-moving-stats/fit' (scenarios/frozen-moving-stats/fit.yaml) restricted to a
 * small MLP: rank 2, dense in front of BN, not nested, batch 8..32, 1..2 epochs.
 */
const BENCH_SCENARIO: PropertyScenario = {
  id: 'frozen-moving-stats/fit',
  kind: 'property',
  description: 'A model with its BN frozen is trained with model.fit; the moving statistics must not move (bench: small MLP).',
  provenance: 'npm run bench',
  tags: ['frozen', 'fit'],
  invariant: 'frozen-moving-stats',
  vary: {
    entryPoints: ['fit'],
    freeze: ['bn'],
    ranks: [2],
    architectures: ['dense'],
    nested: [false],
    batch: { min: 8, max: 32 },
    steps: { min: 1, max: 2 },
  },
};

interface BenchOptions {
  runs: number;
  rounds: number;
  seed: number;
}

/** Parses `--runs N`, `--rounds K`, `--seed S` (also `--flag=value`); `--help` prints the flags. */
function parseArgs(argv: readonly string[]): ScriptArgs<BenchOptions> {
  const program = new Command('npm run bench --')
    .description("Cases per second per backend, and the harness's overhead against a bare tfjs script; writes reports/bench.json")
    .usage('[--runs N] [--rounds K] [--seed S]')
    .option('--runs <N>', 'cases per timed pass', integerAtLeast(1), DEFAULT_RUNS)
    .option('--rounds <K>', 'interleaved rounds', integerAtLeast(1), DEFAULT_ROUNDS)
    .option('--seed <S>', 'fast-check seed of the sampled cases', integerAtLeast(0), DEFAULT_SEED);
  return parseScriptArgs<BenchOptions>(program, 'bench', argv);
}

/** Runs one case through the harness's per-case path (what runProperty calls); true when the stats moved. */
async function harnessCase(spec: CaseSpec, context: InvariantContext, other: Record<string, number>): Promise<boolean> {
  const verdict = await checkCase(frozenMovingStats, spec, context);
  if (verdict.status !== 'pass' && verdict.status !== 'fail') other[verdict.status] = (other[verdict.status] ?? 0) + 1;
  return verdict.status === 'fail';
}

interface BackendReport extends BackendFigures {
  /** Cases of the last round whose moving statistics moved, per side (the two must agree: same work). */
  movedCases: { harness: number; bare: number };
  /** Harness verdicts other than pass/fail (errors, unsupported) in the last round, by status. */
  otherVerdicts: Record<string, number>;
  /** Live tensors after the backend's runs minus before: a leak on either side shows here. */
  tensorDelta: number;
  /** One full runScenario (shrink off): stops at the first failing case. */
  runScenario: {
    status: ScenarioResult['status'];
    casesRun: number;
    /** As runScenario reports it (whole milliseconds). */
    durationMs: number;
    /** Measured around the call by the bench, sub-millisecond. */
    wallMs: number;
    casesPerSecond: number | null;
    summary: string;
    replay: string;
  };
}

async function benchBackend(backend: BackendName, specs: readonly CaseSpec[], options: BenchOptions, log: (line: string) => void): Promise<BackendReport> {
  await activateBackend(backend);
  const context: InvariantContext = nodeInvariantContext(backend, []);
  const tensorsBefore = tf.memory().numTensors;

  const warmup = specs.slice(0, Math.min(WARMUP_CASES, specs.length));
  const ignored: Record<string, number> = {};
  for (const spec of warmup) {
    await harnessCase(spec, context, ignored);
    await runBareCase(spec);
  }

  // Each round runs every case on both sides back to back (order alternating), summing per side.
  const samples: Record<Side, number[]> = { harness: [], bare: [] };
  const perCase: Record<Side, number[]> = { harness: [], bare: [] };
  const moved: Record<Side, number> = { harness: 0, bare: 0 };
  const otherVerdicts: Record<string, number> = {};
  for (let round = 0; round < options.rounds; round++) {
    const total: Record<Side, number> = { harness: 0, bare: 0 };
    const last = round === options.rounds - 1;
    for (const [i, spec] of specs.entries()) {
      for (const side of sideOrder(round, i)) {
        const started = performance.now();
        const didMove = side === 'harness' ? await harnessCase(spec, context, last ? otherVerdicts : ignored) : await runBareCase(spec);
        const ms = performance.now() - started;
        total[side] += ms;
        perCase[side].push(ms);
        if (last && didMove) moved[side]++;
      }
    }
    samples.harness.push(total.harness);
    samples.bare.push(total.bare);
    log(`  ${backend} round ${round + 1}/${options.rounds}: harness ${total.harness.toFixed(0).padStart(5)} ms, bare ${total.bare.toFixed(0).padStart(5)} ms`);
  }

  const fullStarted = performance.now();
  const full = await runScenario(BENCH_SCENARIO, frozenMovingStats, context, { seed: options.seed, runs: options.runs, shrink: false });
  const fullMs = performance.now() - fullStarted;
  log(`  ${backend} runScenario: ${full.status} after ${full.casesRun} case(s) in ${fullMs.toFixed(1)} ms`);
  const tensorDelta = tf.memory().numTensors - tensorsBefore;

  const figures = summarizeBackend(backend, specs.length, { harnessMs: samples.harness, bareMs: samples.bare }, DEFAULT_TARGETS, {
    harnessMs: perCase.harness,
    bareMs: perCase.bare,
  });
  return {
    ...figures,
    movedCases: moved,
    otherVerdicts,
    tensorDelta,
    runScenario: {
      status: full.status,
      casesRun: full.casesRun,
      durationMs: full.durationMs,
      wallMs: fullMs,
      casesPerSecond: full.casesRun > 0 && fullMs > 0 ? casesPerSecond(full.casesRun, fullMs) : null,
      summary: full.summary,
      replay: full.replay,
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if ('exitCode' in parsed) {
    process.exitCode = parsed.exitCode;
    return;
  }
  const { options } = parsed;
  bindNodeTfjs();
  silenceTfjsBanner();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const statuses: BackendStatus[] = [];
  for (const name of NODE_BACKENDS) statuses.push(await probeBackend(name));
  const available = statuses.filter((s) => s.available).map((s) => s.name);
  const unavailable = statuses.filter((s): s is Extract<BackendStatus, { available: false }> => !s.available);
  if (available.length === 0) throw new Error('no tfjs backend could be loaded');

  const constraints: CaseConstraints = { ...DEFAULT_CONSTRAINTS, ...BENCH_SCENARIO.vary };
  const specs = fc.sample(caseArbitrary(constraints), { seed: options.seed, numRuns: options.runs });

  log(`bench: ${options.runs} cases x ${options.rounds} interleaved rounds per side on ${available.join(', ')} (seed ${options.seed})`);
  const started = new Date();
  const loadBefore = os.loadavg();
  const backends: BackendReport[] = [];
  for (const backend of available) backends.push(await benchBackend(backend, specs, options, log));

  const report = {
    format: 'bn-suite-bench',
    formatVersion: 1,
    date: started.toISOString(),
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
    tfjs: tfjsVersions(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      totalMemBytes: os.totalmem(),
      // 1/5/15-minute load averages: other work on the machine makes the figures noisier.
      loadAverage: { before: loadBefore, after: os.loadavg() },
    },
    workload: {
      scenario: BENCH_SCENARIO.id,
      invariant: BENCH_SCENARIO.invariant,
      description: 'frozen-BN fit on a small MLP: dense -> batchNormalization (trainable=false) -> dense softmax, rank 2, not nested, batch 8..32, 1..2 epochs',
      constraints: BENCH_SCENARIO.vary,
      seed: options.seed,
      cases: specs.length,
      rounds: options.rounds,
      warmupCases: Math.min(WARMUP_CASES, specs.length),
      harness: 'checkCase(frozenMovingStats, spec, context) for each sampled case (the per-case path of runProperty)',
      bare: 'plain tfjs per case: build with tfl, bn.trainable=false, compile sgd, weights dataSync before/after, fit, compare moving stats, dispose',
      interleaving: 'each round runs every case on both sides back to back, alternating which side goes first',
      statistic: 'per-round total per side; harnessMs/bareMs are the medians over rounds; overhead = harnessMs / bareMs (the goal); pairedOverhead = median over (case, round) of harness/bare, steadier under load',
    },
    targets: DEFAULT_TARGETS,
    backends,
    unavailable: unavailable.map((s) => ({ name: s.name, kind: s.kind, reason: s.reason })),
  };

  const out = path.resolve(__dirname, '..', '..', '..', 'reports', 'bench.json');
  writeFileAtomic(out, `${JSON.stringify(report, null, 2)}\n`);

  const lines = [
    '',
    `bn-suite bench: ${report.workload.description}`,
    `${specs.length} cases per pass, median of ${options.rounds} interleaved rounds; targets: overhead <= ${DEFAULT_TARGETS.maxOverhead.toFixed(2)}x, >= ${DEFAULT_TARGETS.minCasesPerSecond} cases/s on ${DEFAULT_TARGETS.throughputBackends.join(', ')}`,
    '',
    formatTable(backends),
    '',
    ...backends.flatMap((b) => [
      `${b.backend}: runScenario (shrink off, ${options.runs} runs): ${b.runScenario.status} after ${b.runScenario.casesRun} case(s) in ${b.runScenario.wallMs.toFixed(1)} ms`,
      `  overhead per round ${Math.min(...b.roundOverheads).toFixed(3)}..${Math.max(...b.roundOverheads).toFixed(3)}x` +
        (b.pairedOverhead !== null ? `; per-case paired median ${b.pairedOverhead.toFixed(3)}x` : ''),
      `  moving stats moved: harness ${b.movedCases.harness}/${b.cases}, bare ${b.movedCases.bare}/${b.cases}; tensor delta ${b.tensorDelta}` +
        (Object.keys(b.otherVerdicts).length > 0 ? `; other verdicts ${JSON.stringify(b.otherVerdicts)}` : ''),
    ]),
    ...unavailable.map((s) => `${s.name}: unavailable (${s.kind}): ${s.reason}`),
    ...(loadBefore[0] > 0.5 * os.cpus().length
      ? [`note: the 1-minute load average was ${loadBefore[0].toFixed(2)} on ${os.cpus().length} cpus when the bench started; other work skews the timings`]
      : []),
    '',
    `wrote ${path.relative(process.cwd(), out) || out}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 3;
});
