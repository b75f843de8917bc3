/**
 * `npm run bench:pretrained`: the cost of the shipped MobileNetV2 transfer scenario
 * (scenarios/mnist/mobilenet-v2-frozen-base.yaml) against a bare tfjs script doing the same work,
 * measured in the same process, rounds interleaved. Prints a table and writes
 * reports/bench-pretrained.json.
 *
 * Flags: `--rounds K` (default 3), `--backend NAME` (default wasm, the backend the main job runs it
 * on), `--profile quick|full` (default quick).
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../engine/errors';
import { INVARIANTS } from '../../engine/invariants';
import { runScenario, type ScenarioResult } from '../../engine/run/run-scenario';
import type { TransferScenario } from '../../engine/scenarios/types';
import { silenceTfjsBanner } from '../../engine/tfjs';
import { transferEvidenceOf } from '../../results/evidence';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { nodeInvariantContext } from '../../hosts/node/services';
import { bindNodeTfjs, tf, tfjsVersions } from '../../hosts/node/tfjs';
import { integerAtLeast, parseScriptArgs, type ScriptArgs } from '../../surfaces/cli/script-args';
import { loadScenarios } from '../../surfaces/inputs/load-scenarios';
import { SHIPPED_SCENARIOS } from '../../surfaces/paths';
import { NODE_BACKENDS, type BackendName } from '../../engine/backends';
import { runBarePretrainedTransfer, type BareTransferResult } from './bare-pretrained';
import { median, ratio, sideOrder, type Side } from './measure';

const SCENARIO_ID = 'mnist/mobilenet-v2-frozen-base';
const DEFAULT_ROUNDS = 3;
/** The goal for the quick profile on wasm. */
const GOAL_SECONDS = 30;

interface PretrainedBenchOptions {
  rounds: number;
  backend: BackendName;
  profile: 'quick' | 'full';
}

function parseArgs(argv: readonly string[]): ScriptArgs<PretrainedBenchOptions> {
  const program = new Command('npm run bench:pretrained --')
    .description('The MobileNetV2 transfer scenario against a bare tfjs script doing the same work; writes reports/bench-pretrained.json')
    .usage('[--rounds K] [--backend NAME] [--profile quick|full]')
    .option('--rounds <K>', 'interleaved rounds', integerAtLeast(1), DEFAULT_ROUNDS)
    .addOption(new Option('--backend <NAME>', 'tfjs backend').choices([...NODE_BACKENDS]).default('wasm'))
    .addOption(new Option('--profile <P>', 'scenario profile').choices(['quick', 'full']).default('quick'));
  return parseScriptArgs<PretrainedBenchOptions>(program, 'bench:pretrained', argv);
}

/** What one side measured in one round. */
interface SideRun {
  ms: number;
  accuracy: BareTransferResult['accuracy'];
  driftedLayers: number;
}

function harnessSide(result: ScenarioResult): Omit<SideRun, 'ms'> {
  const evidence = transferEvidenceOf(result);
  if (evidence === null) throw new Error(`the scenario gave no transfer evidence: ${result.status} ${result.summary}`);
  const final = (v: 'frozen' | 'control') => ({ training: evidence.variants[v].trainingModeAccuracy.at(-1) ?? null, inference: evidence.variants[v].inferenceModeAccuracy.at(-1) ?? null });
  const drifted = Object.values(evidence.drift.frozen).filter((d) => [...d.mean, ...d.variance].some((v) => v !== 0)).length;
  return { accuracy: { frozen: final('frozen'), control: final('control') }, driftedLayers: drifted };
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

  const status = await probeBackend(options.backend);
  if (!status.available) throw new UsageError(`--backend ${options.backend}: unavailable (${status.kind}): ${status.reason}`);
  const loaded = loadScenarios(SHIPPED_SCENARIOS).find((s) => s.scenario.id === SCENARIO_ID);
  if (loaded === undefined || loaded.scenario.kind !== 'transfer') throw new Error(`shipped scenario ${SCENARIO_ID} not found`);
  const scenario: TransferScenario = loaded.scenario;
  const spec = { ...scenario, profile: options.profile };

  await activateBackend(options.backend);
  const context = nodeInvariantContext(options.backend, []);
  const tensorsBefore = tf.memory().numTensors;
  const loadBefore = os.loadavg();
  const samples: Record<Side, SideRun[]> = { harness: [], bare: [] };
  log(`bench:pretrained: ${SCENARIO_ID} (${options.profile}) on ${options.backend}, ${options.rounds} interleaved round(s) per side`);
  for (let round = 0; round < options.rounds; round++) {
    for (const side of sideOrder(round)) {
      const started = performance.now();
      let run: Omit<SideRun, 'ms'>;
      if (side === 'harness') {
        run = harnessSide(await runScenario(spec, INVARIANTS[spec.invariant], context, { seed: spec.seed, runs: 1, profile: options.profile }));
      } else {
        run = await runBarePretrainedTransfer({ profile: options.profile, seed: spec.seed, epochs: spec.epochs });
      }
      const ms = performance.now() - started;
      samples[side].push({ ms, ...run });
      log(`  round ${round + 1}/${options.rounds} ${side.padEnd(7)} ${(ms / 1000).toFixed(1).padStart(6)} s  frozen ${JSON.stringify(run.accuracy.frozen)} control ${JSON.stringify(run.accuracy.control)}; ${run.driftedLayers} BN layers drifted`);
    }
  }
  const tensorDelta = tf.memory().numTensors - tensorsBefore;

  const harnessMs = median(samples.harness.map((s) => s.ms));
  const bareMs = median(samples.bare.map((s) => s.ms));
  const last = (side: Side) => samples[side][samples[side].length - 1];
  // Same work: the two sides must report the same accuracies and the same drifted layers.
  const sameWork = JSON.stringify([last('harness').accuracy, last('harness').driftedLayers]) === JSON.stringify([last('bare').accuracy, last('bare').driftedLayers]);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const report = {
    format: 'bn-suite-bench-pretrained',
    formatVersion: 1,
    date: new Date().toISOString(),
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
    tfjs: tfjsVersions(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, totalMemBytes: os.totalmem(), loadAverage: { before: loadBefore, after: os.loadavg() } },
    workload: {
      scenario: SCENARIO_ID,
      profile: options.profile,
      backend: options.backend,
      rounds: options.rounds,
      harness: 'runScenario on the shipped scenario (reads nsfwjs MobileNetV2, cuts it, fine-tunes the frozen and control variants, records drift per step, both modes at the end)',
      bare: 'plain tfjs: the same artifacts, images, seeded head, adam, fit with the same seeded shuffle, drift read after every batch, both modes on the held-out digits at the end',
      statistic: 'median wall time over rounds per side; overhead = harness / bare',
    },
    harnessMs,
    bareMs,
    overhead: ratio(harnessMs, bareMs),
    goalSeconds: options.profile === 'quick' && options.backend === 'wasm' ? GOAL_SECONDS : null,
    sameWork,
    maxRssBytes,
    tensorDelta,
    rounds: samples,
  };
  const out = path.resolve(__dirname, '..', '..', '..', 'reports', 'bench-pretrained.json');
  writeFileAtomic(out, `${JSON.stringify(report, null, 2)}\n`);
  const goal = report.goalSeconds === null ? '' : ` (goal <= ${report.goalSeconds} s: ${harnessMs / 1000 <= report.goalSeconds ? 'met' : 'NOT met'})`;
  process.stdout.write(
    [
      '',
      `bn-suite bench:pretrained: ${SCENARIO_ID}, ${options.profile} profile, ${options.backend}, median of ${options.rounds} round(s)`,
      `  harness ${(harnessMs / 1000).toFixed(1)} s${goal}`,
      `  bare tfjs ${(bareMs / 1000).toFixed(1)} s`,
      `  overhead ${report.overhead.toFixed(3)}x`,
      `  same work (accuracies and drifted layers agree): ${sameWork ? 'yes' : 'NO'}`,
      `  peak RSS ${(maxRssBytes / 2 ** 30).toFixed(2)} GiB; tensor delta ${tensorDelta}`,
      '',
      `wrote ${path.relative(process.cwd(), out) || out}`,
      '',
    ].join('\n'),
  );
  if (!sameWork) process.exitCode = 3;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`bench:pretrained: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench:pretrained failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 3;
});
