import { Command, CommanderError } from 'commander';
import { collectDoctorReport } from '../doctor/doctor';
import { HarnessError, UsageError } from '../../engine/errors';
import { BN_SUITE_VERSION } from '../../engine/version';
import { EXIT, type ExitCode } from './exit-codes';
import { formatDoctor } from './format-doctor';
import { auditCommand, type AuditFlags } from './audit-command';
import { matrixCommand, type MatrixFlags } from './matrix-command';
import { mergeCommand } from './merge-command';
import { reproCommand, type ReproFlags } from './repro-command';
import { runCommand, type RunFlags } from './run-command';
import type { CliIo } from './io';

/**
 * Parses argv, runs one command and returns its exit code. The only code in bn-suite that talks to
 * the user; everything it calls returns data.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command('bn-suite')
    .description('Batch-normalization semantics checks for TensorFlow.js')
    .version(BN_SUITE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('doctor')
    .description('Report Node, tfjs versions and which backends load here (with reasons)')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await collectDoctorReport();
      io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      exitCode = EXIT.ok;
    });

  program
    .command('run')
    .description('Run the scenarios on every selected backend, classify against the known issues, write reports')
    .option('--backend <list>', 'backends: cpu,wasm,tensorflow,webgl,webgpu or all (default: all available; env BN_BACKENDS)')
    .option('--scenario <selector>', 'scenario ids, globs (frozen-moving-stats/*) or tags, comma-separated')
    .option('--scenarios <dir>', 'scenario folder (default: the shipped scenarios)')
    .option('--seed <n>', 'fast-check seed, or "random"')
    .option('--runs <n>', 'cases per scenario and backend')
    .option('--out <dir>', 'report folder (default: reports/<timestamp>/, linked from reports/latest)')
    .option('--expectations <file>', 'known-issues file (default: the shipped one)')
    .option('--baseline <results.json>', 'compare every verdict with an earlier run; any change exits 1')
    .option('--shard <k/n>', 'run only the k-th of n shards of the (scenario, backend) jobs')
    .option('--profile <quick|full>', 'data size of the real-data (MNIST) scenarios (default quick)')
    .option('--json', 'print results.json to stdout (progress goes to stderr)')
    .option('--tolerate-unexpected-pass', 'do not fail the run for known issues that now pass')
    .option('--update-expectations', 'rewrite the known-issues file from this run (exits 0)')
    .option('--repro', 'write a standalone repro for every failing result into <out>/repros/ (repro.mjs, package.json, ISSUE.md; index.html and ISSUE.md for webgl/webgpu)')
    .option('--webgl-shape-uniforms', 'run webgl with WEBGL_USE_SHAPES_UNIFORMS: one shader per op for every shape (about 2x faster on software GPUs; not tfjs\'s default shader path)')
    .option('--job-timeout <seconds>', 'time one job may take in a browser page (webgl, webgpu) before it is reported as hung (default 900)')
    .action(async (flags: RunFlags) => {
      exitCode = await runCommand(flags, io, process.env);
    });

  program
    .command('audit')
    .description("Audit your own model: list its BN layers, freeze it, fine-tune a few steps, and report per BN layer what moved, the training- vs inference-mode gap, purity, reload and oracle agreement")
    .argument('<model>', 'a tfjs LayersModel: model.json, or the folder holding it (weight shards next to it); or nsfwjs:mobilenet_v2 (a pre-trained MobileNetV2 from the nsfwjs package)')
    .option('--freeze <how>', 'base (default: the model as a frozen base under a new softmax head), all-bn, as-is (frozen as saved), or layer names/paths, comma-separated')
    .option('--data <file>', 'samples to fine-tune on: .npy or .json (nested arrays, or {shape, values}); default seeded N(0,1) data shaped like the input')
    .option('--labels <file>', 'class index per sample (.npy or .json); adds the accuracy of each mode')
    .option('--steps <n>', 'fine-tuning steps (default 5)')
    .option('--batch-size <n>', 'batch size (default 32)')
    .option('--samples <n>', 'synthetic samples when --data is not given (default 64)')
    .option('--seed <n>', 'seed of synthetic data, the new head and the batch order (default 1)')
    .option('--backend <list>', 'backends: cpu,wasm,tensorflow (default: those that load here)')
    .option('--remedy', 'freeze with freezeForFineTuning (frozen BN runs in inference mode, the Keras 3 rule) instead of the tfjs way')
    .option('--out <dir>', 'report folder (default: reports/audit-<timestamp>/)')
    .option('--json', 'print results.json to stdout')
    .option('--repro', 'write a standalone repro (repro.mjs loading your model from its path, package.json, ISSUE.md) of a frozen BN drift into <out>/repros/, verified by running it')
    .option('--max-model-json-bytes <n>', `refuse a larger model.json (default ${64 * 2 ** 20})`)
    .option('--max-shard-bytes <n>', `refuse a larger weight shard (default ${512 * 2 ** 20})`)
    .action(async (model: string, flags: AuditFlags) => {
      exitCode = await auditCommand(model, flags, io);
    });

  program
    .command('matrix')
    .description('Run the scenarios on several tfjs versions side by side (one child process each); --gate: exit 1 when a verdict differs from the first version')
    .option('--tfjs <list>', 'tfjs versions, comma-separated: exact versions (3.21.0) and/or installed (the project\'s own)')
    .option('--backend <list>', 'backends to ask each version for: cpu,wasm,tensorflow,webgl,webgpu (default all Node backends: cpu,wasm,tensorflow; the unavailable are reported)')
    .option('--scenario <selector>', 'scenario ids, globs (frozen-moving-stats/*) or tags, comma-separated')
    .option('--scenarios <dir>', 'scenario folder (default: the shipped scenarios)')
    .option('--expectations <file>', 'known-issues file (default: the shipped one; entries apply by their tfjs range)')
    .option('--seed <n>', 'fast-check seed, or "random"')
    .option('--runs <n>', 'cases per scenario and backend')
    .option('--out <dir>', 'report folder (default: reports/matrix-<timestamp>/)')
    .option('--parallel <n>', 'versions run at once (default: the number of cores)')
    .option('--tfjs-cache <dir>', 'folder of the per-version tfjs installs (default .bn-suite-cache/tfjs)')
    .option('--gate', 'compare every version with the first one; exit 1 when any behaviour verdict differs')
    .action(async (flags: MatrixFlags) => {
      exitCode = await matrixCommand(flags, io);
    });

  program
    .command('repro')
    .description('Turn a failing result into a minimal standalone script (repro.mjs; an index.html page for webgl/webgpu, replayed in Chromium) and a tfjs issue text (ISSUE.md), and verify it')
    .argument('[token]', 'replay token of a failing result: bn-suite:<scenario>@<backend>?seed=..&path=..&tfjs=..')
    .option('--scenario <id>', 'scenario id (instead of a token; with --backend and --seed)')
    .option('--backend <name>', 'backend: cpu, wasm, tensorflow, webgl or webgpu')
    .option('--seed <n>', 'fast-check seed of the failing run')
    .option('--path <p>', 'fast-check path of the counterexample (optional)')
    .option('--scenarios <dir>', 'scenario folder (default: the shipped scenarios)')
    .option('--expectations <file>', 'known-issues file, for the issue link (default: the shipped one)')
    .option('--out <dir>', 'repro folder (default: reports/repros/<scenario>-<backend>/)')
    .option('--verify-install', 'verify after a fresh npm install of the pinned packages (needs the registry)')
    .action(async (token: string | undefined, flags: ReproFlags) => {
      exitCode = await reproCommand(token, flags, io);
    });

  program
    .command('merge')
    .description('Combine the results.json of shards into one run (results.json + summary.md)')
    .argument('<results...>', 'results.json files of the shards')
    .requiredOption('--out <dir>', 'folder for the merged reports')
    .action(async (files: string[], flags: { out: string }) => {
      exitCode = await mergeCommand(files, flags.out, io);
    });

  try {
    await program.parseAsync(argv as string[], { from: 'node' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`bn-suite: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof HarnessError) {
      io.stderr(`bn-suite: ${error.message}\n`);
      return EXIT.harness;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`bn-suite: internal error (please report): ${detail}\n`);
    return EXIT.harness;
  }
}
