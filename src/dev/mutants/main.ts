/**
 * `npm run mutants`: proves that the gate notices changes in tfjs's BN behaviour.
 *
 * For the unpatched tfjs-layers and for each fault of {@link FAULTS}, a throwaway copy of the
 * package (package.json + the bundle its "main" names) is written to a temp folder and patched;
 * child processes then load it through the preload module dist/dev/mutants/redirect.js:
 * 1. a small probe (this file, `--probe`) prints BN numbers in both modes, with a frozen layer,
 *    through fit and through save/load; a fault whose probe output equals the unpatched one is
 *    "not observable" and left out of the score;
 * 2. the gate, `bn-suite run --out <tmp> --runs R`; a non-zero exit (1, or 3 for a harness
 *    failure) catches the mutant; the unexpected results come from <tmp>/results.json.
 * The unpatched copy must give exit 0, otherwise nothing can be concluded (exit 3).
 *
 * Flags: `--runs R` (cases per property scenario, default 10), `--jobs J` (mutants run at a time,
 * default 1: on the 2-core machine two at a time was not faster), `--keep` (keep the temp folder).
 * Prints a table and the mutation score, writes reports/mutants.json. Exit 0 when every observable
 * mutant is caught, 1 otherwise, 2 on bad flags, 3 when the harness itself failed.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { Command } from 'commander';
import { integerAtLeast, parseScriptArgs, type ScriptArgs } from '../../surfaces/cli/script-args';
import { writeFileAtomic } from '../../hosts/node/atomic-write';
import { BN_SUITE_VERSION } from '../../engine/version';
import { applyFault, FAULT_KINDS, FAULTS, LAYERS_BUNDLE, type Fault, type FaultKind } from './faults';

const SUITE_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(SUITE_ROOT, 'dist', 'cli.js');
const REDIRECT = path.join(__dirname, 'redirect.js');
const REPORT = path.join(SUITE_ROOT, 'reports', 'mutants.json');
const LAYERS_PACKAGE = '@tensorflow/tfjs-layers';
/** Read by redirect.ts (not imported from there: loading it would install the hook in this process). */
const MUTANT_LAYERS_ENV = 'BN_MUTANT_LAYERS_DIR';

const EXIT_OK = 0;
const EXIT_MISSED = 1;
const EXIT_USAGE = 2;
const EXIT_HARNESS = 3;

class HarnessError extends Error {}

interface Options {
  runs: number;
  jobs: number;
  keep: boolean;
}

/** Parses `--runs R`, `--jobs J`, `--keep` (also `--flag=value`); `--help` prints the flags. */
export function parseArgs(argv: readonly string[]): ScriptArgs<Options> {
  const program = new Command('npm run mutants --')
    .description("Proves that the gate notices faults patched into tfjs-layers' BN; writes reports/mutants.json")
    .usage('[--runs R] [--jobs J] [--keep]')
    .option('--runs <R>', 'cases per property scenario', integerAtLeast(1), 10)
    .option('--jobs <J>', 'mutants run at a time', integerAtLeast(1), 1)
    .option('--keep', 'keep the temp folder', false);
  return parseScriptArgs<Options>(program, 'mutants', argv);
}

// ---------------------------------------------------------------------------------------------
// The probe (runs in a child process, under the redirect)

/** Prints, as one JSON line, BN numbers that every fault should move. Loads tfjs only here. */
async function runProbe(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const tfl = require('@tensorflow/tfjs-layers') as typeof import('@tensorflow/tfjs-layers');
  /* eslint-enable @typescript-eslint/no-require-imports */
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');

  const values = (t: Tensor) => Array.from(t.dataSync());
  const weightsOf = (layer: Layer) => Object.fromEntries(layer.weights.map((w) => [w.originalName, values(w.read())]));
  const x = tf.tensor2d([[1, 2, 3], [4, -1, 0.5], [2, 2, 7], [-3, 0.25, 1]]);
  const y = tf.tensor2d([[1], [0], [2], [-1]]);
  const bnApply = (layer: Layer, input: Tensor, training: boolean) => values(layer.apply(input, { training }) as Tensor);

  const sections: Record<string, unknown> = {};
  const section = async (name: string, body: () => unknown) => {
    try {
      sections[name] = await body();
    } catch (error) {
      sections[name] = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };

  await section('train-then-infer', () => {
    const bn = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 0.01 });
    const inferBefore = bnApply(bn, x, false);
    const train = bnApply(bn, x, true);
    const afterOne = weightsOf(bn);
    const inferAfter = bnApply(bn, x, false);
    const x2 = tf.add(tf.mul(x, 2), 1);
    for (let i = 0; i < 3; i++) bnApply(bn, x2, true);
    return { inferBefore, train, afterOne, inferAfter, afterFour: weightsOf(bn), inferFinal: bnApply(bn, x, false) };
  });
  await section('frozen-layer-apply', () => {
    const bn = tfl.layers.batchNormalization({ momentum: 0.5 });
    bn.trainable = false;
    return { train: bnApply(bn, x, true), weights: weightsOf(bn), infer: bnApply(bn, x, false) };
  });
  for (const [name, args] of [
    ['no-center', { center: false }],
    ['no-scale', { scale: false }],
  ] as const) {
    await section(name, () => {
      const bn = tfl.layers.batchNormalization({ ...args, momentum: 0.5 });
      return { train: bnApply(bn, x, true), weights: weightsOf(bn) };
    });
  }
  await section('fit-frozen', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.batchNormalization({ inputShape: [3], momentum: 0.5, name: 'bn' }),
        tfl.layers.dense({ units: 1, kernelInitializer: 'ones', biasInitializer: 'zeros', name: 'head' }),
      ],
    });
    model.getLayer('bn').trainable = false;
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    const history = await model.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    return { loss: history.history.loss, bn: weightsOf(model.getLayer('bn')), head: weightsOf(model.getLayer('head')), predict: values(model.predict(x) as Tensor) };
  });
  await section('bookkeeping', () => {
    // Which containers list which BN weights, with BN frozen directly and through a frozen base.
    const names = (weights: { originalName: string }[]) => weights.map((w) => w.originalName).sort();
    const listing = (layer: Layer) => ({ trainable: layer.trainable, trainableWeights: names(layer.trainableWeights), nonTrainableWeights: names(layer.nonTrainableWeights) });
    const build = () => {
      const input = tfl.input({ shape: [3] });
      const bn = tfl.layers.batchNormalization({ name: 'bn' });
      const base = tfl.model({ inputs: input, outputs: bn.apply(input) as ReturnType<typeof tfl.input>, name: 'base' });
      return { bn, base };
    };
    const direct = build();
    direct.bn.trainable = false;
    const viaBase = build();
    viaBase.base.trainable = false;
    return { direct: { bn: listing(direct.bn), base: listing(direct.base) }, viaBase: { bn: listing(viaBase.bn), base: listing(viaBase.base) } };
  });
  await section('freeze-timing', async () => {
    // A wrapper frozen after a first compile, then recompiled: only the recompile keeps fit off
    // gamma and beta, because freezing a model two levels above BN leaves its variables trainable.
    const input = tfl.input({ shape: [3] });
    const bn = tfl.layers.batchNormalization({ momentum: 0.5, name: 'bn', gammaInitializer: 'ones', betaInitializer: 'zeros' });
    const base = tfl.model({ inputs: input, outputs: bn.apply(input) as ReturnType<typeof tfl.input>, name: 'base' });
    const wrapperInput = tfl.input({ shape: [3] });
    const wrapper = tfl.model({ inputs: wrapperInput, outputs: base.apply(wrapperInput) as ReturnType<typeof tfl.input>, name: 'wrapper' });
    const outerInput = tfl.input({ shape: [3] });
    const head = tfl.layers.dense({ units: 1, kernelInitializer: 'ones', biasInitializer: 'zeros', name: 'head' });
    const model = tfl.model({ inputs: outerInput, outputs: head.apply(wrapper.apply(outerInput)) as ReturnType<typeof tfl.input> });
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    wrapper.trainable = false;
    model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    return { bn: weightsOf(bn) };
  });
  await section('containers', () => {
    // A base two levels down (model -> wrapper -> base -> BN) with the wrapper frozen, and what
    // disposing a functional model with a nested base frees.
    const names = (weights: { originalName: string }[]) => weights.map((w) => w.originalName).sort();
    const nest = () => {
      const input = tfl.input({ shape: [3] });
      const base = tfl.model({ inputs: input, outputs: tfl.layers.batchNormalization({ name: 'bn' }).apply(input) as ReturnType<typeof tfl.input>, name: 'base' });
      const wrapperInput = tfl.input({ shape: [3] });
      const wrapper = tfl.model({ inputs: wrapperInput, outputs: base.apply(wrapperInput) as ReturnType<typeof tfl.input>, name: 'wrapper' });
      const outerInput = tfl.input({ shape: [3] });
      const head = tfl.layers.dense({ units: 1, name: 'head' });
      const model = tfl.model({ inputs: outerInput, outputs: head.apply(wrapper.apply(outerInput)) as ReturnType<typeof tfl.input> });
      return { model, wrapper };
    };
    const frozen = nest();
    frozen.wrapper.trainable = false;
    const listed = names(frozen.model.trainableWeights);
    const before = tf.memory().numTensors;
    const disposed = nest();
    const { numDisposedVariables } = disposed.model.dispose();
    return { depth2Trainable: listed, disposedVariables: numDisposedVariables, tensorsLeft: tf.memory().numTensors - before };
  });
  await section('gradients', () => {
    // dL/dx through BN in both modes, for L = Σ y·w with a fixed w: what a backward-pass fault moves.
    const bn = tfl.layers.batchNormalization({ momentum: 0.5, epsilon: 0.01 });
    bnApply(bn, x, false);
    const w = tf.tensor2d([[0.5, -1, 2], [1, 0.25, -0.5], [-2, 1, 1], [0.75, -0.25, 0.1]]);
    const grad = (training: boolean) => values(tf.grad((input: Tensor) => tf.sum(tf.mul(bn.apply(input, { training }) as Tensor, w)))(x));
    return { inference: grad(false), training: grad(true) };
  });
  await section('round-trip', async () => {
    const input = tfl.input({ shape: [3] });
    const bn = tfl.layers.batchNormalization({ momentum: 0.5, epsilon: 0.02, name: 'bn' });
    const model = tfl.model({ inputs: input, outputs: bn.apply(input) as ReturnType<typeof tfl.input> });
    bnApply(bn, x, true);
    let saved: Parameters<typeof tf.io.fromMemory>[0] | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as Parameters<typeof tf.io.fromMemory>[0]));
    const config = reloaded.getLayer('bn').getConfig();
    const fields = ['axis', 'momentum', 'epsilon', 'center', 'scale', 'trainable'] as const;
    return { config: Object.fromEntries(fields.map((f) => [f, config[f] ?? null])), weights: weightsOf(reloaded.getLayer('bn')), predict: values(reloaded.predict(x) as Tensor) };
  });

  process.stdout.write(`${JSON.stringify({ layers: require.resolve(LAYERS_PACKAGE), sections })}\n`);
}

// ---------------------------------------------------------------------------------------------
// The driver

interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function runChild(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: SUITE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function tail(text: string, lines = 5): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The installed tfjs-layers package folder and its manifest; checks that "main" is the bundle the faults patch. */
function locateLayers(): { dir: string; manifest: string; version: string } {
  const manifestPath = require.resolve(`${LAYERS_PACKAGE}/package.json`, { paths: [SUITE_ROOT] });
  const manifest = fs.readFileSync(manifestPath, 'utf8');
  const parsed = JSON.parse(manifest) as { main?: string; version?: string };
  if (path.posix.normalize(parsed.main ?? 'index.js') !== LAYERS_BUNDLE) {
    throw new HarnessError(`${manifestPath}: "main" is ${JSON.stringify(parsed.main)}, but the faults patch ${LAYERS_BUNDLE}; a copy of package.json + that file would not be what Node loads`);
  }
  return { dir: path.dirname(manifestPath), manifest, version: parsed.version ?? 'unknown' };
}

/** Writes `<variantRoot>/node_modules/@tensorflow/tfjs-layers/{package.json, bundle}`; returns the package folder. */
function writeCopy(variantRoot: string, manifest: string, bundle: string): string {
  const dir = path.join(variantRoot, 'node_modules', '@tensorflow', 'tfjs-layers');
  fs.mkdirSync(path.join(dir, path.dirname(LAYERS_BUNDLE)), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), manifest);
  fs.writeFileSync(path.join(dir, LAYERS_BUNDLE), bundle);
  return dir;
}

interface ProbeOutput {
  ok: boolean;
  /** Section name -> printed numbers (or the error each section threw); a crash gives one 'crash' section. */
  sections: Record<string, unknown>;
}

async function probe(copyDir: string): Promise<ProbeOutput> {
  const child = await runChild(['-r', REDIRECT, __filename, '--probe'], { ...process.env, [MUTANT_LAYERS_ENV]: copyDir });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  let parsed: { layers?: string; sections?: Record<string, unknown> } | undefined;
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (child.code !== 0 || parsed?.sections === undefined) {
    return { ok: false, sections: { crash: `exit ${child.code ?? child.signal}: ${tail(child.stderr || child.stdout)}` } };
  }
  const realCopy = fs.realpathSync(copyDir);
  if (typeof parsed.layers !== 'string' || !parsed.layers.startsWith(realCopy + path.sep)) {
    throw new HarnessError(`the probe loaded tfjs-layers from ${String(parsed.layers)}, not from the copy in ${realCopy}: the redirect does not work`);
  }
  return { ok: true, sections: parsed.sections };
}

/** Names of the probe sections whose output differs (a section present on one side only counts). */
function differingSections(baseline: ProbeOutput, mutant: ProbeOutput): string[] {
  const names = new Set([...Object.keys(baseline.sections), ...Object.keys(mutant.sections)]);
  return [...names].filter((n) => JSON.stringify(baseline.sections[n]) !== JSON.stringify(mutant.sections[n]));
}

interface GateOutcome {
  exitCode: number | null;
  /** `scenario @ backend: outcome`, in the order bn-suite reports them. */
  unexpected: string[];
  stale: string[];
  summary: string;
  /** Why the gate is not readable, when it is not (no results.json, a crash). */
  note?: string;
}

interface ResultsFile {
  results?: { scenario: string; backend: string; outcome: string; status: string }[];
  stale?: { scenario: string; invariant: string }[];
  summary?: { results: number; byOutcome: Record<string, number>; stale: number };
}

async function gate(copyDir: string, outDir: string, runs: number): Promise<GateOutcome> {
  // Node backends only: the fault is patched into the Node bundle of tfjs-layers, while a browser
  // page loads the UMD bundle, unpatched (and would cost minutes per mutant).
  const child = await runChild(['-r', REDIRECT, CLI, 'run', '--backend', 'cpu,wasm', '--out', outDir, '--runs', String(runs)], { ...process.env, [MUTANT_LAYERS_ENV]: copyDir });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'gate.stdout.txt'), child.stdout);
  fs.writeFileSync(path.join(outDir, 'gate.stderr.txt'), child.stderr);
  const outcome: GateOutcome = { exitCode: child.code, unexpected: [], stale: [], summary: '' };
  const resultsPath = path.join(outDir, 'results.json');
  if (!fs.existsSync(resultsPath)) {
    outcome.note = `no results.json (exit ${child.code ?? child.signal}): ${tail(child.stderr || child.stdout, 3)}`;
    return outcome;
  }
  const results = JSON.parse(fs.readFileSync(resultsPath, 'utf8')) as ResultsFile;
  for (const r of results.results ?? []) {
    if (r.outcome === 'unexpected-fail' || r.outcome === 'unexpected-pass') outcome.unexpected.push(`${r.scenario} @ ${r.backend}: ${r.outcome === 'unexpected-pass' ? 'unexpected pass' : r.status}`);
  }
  for (const e of results.stale ?? []) outcome.stale.push(`${e.scenario} / ${e.invariant}`);
  const s = results.summary;
  if (s !== undefined) {
    outcome.summary = `${s.results} results: ${s.byOutcome.pass ?? 0} pass, ${s.byOutcome['expected-fail'] ?? 0} expected, ${s.byOutcome['unexpected-fail'] ?? 0} unexpected fail, ${s.byOutcome['unexpected-pass'] ?? 0} unexpected pass, ${s.stale} stale`;
  }
  return outcome;
}

interface MutantRecord {
  id: string;
  kind: FaultKind;
  description: string;
  observable: boolean;
  /** Probe sections whose printed numbers differ from the unpatched probe. */
  probeDiff: string[];
  exitCode: number | null;
  caught: boolean;
  unexpected: string[];
  stale: string[];
  gateSummary: string;
  note?: string;
  durationMs: number;
}

/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The table printed at the end: one row per fault, after the unpatched baseline. */
export function formatTable(baselineExit: number | null, mutants: readonly MutantRecord[]): string {
  const rows: string[][] = [['fault', 'kind', 'observable', 'exit', 'caught', 'first unexpected results']];
  rows.push(['(unpatched baseline)', '-', '-', String(baselineExit), '-', '-']);
  for (const m of mutants) {
    const firsts = [...m.unexpected, ...m.stale.map((s) => `stale: ${s}`)];
    const shown = firsts.length > 0 ? firsts.slice(0, 2).join('; ') + (firsts.length > 2 ? `; (+${firsts.length - 2} more)` : '') : (m.note ?? '-');
    rows.push([m.id, m.kind, m.observable ? 'yes' : 'no', String(m.exitCode), m.caught ? 'yes' : 'NO', shown]);
  }
  const widths = rows[0].slice(0, -1).map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c < widths.length ? pad(cell, widths[c]) : cell)).join('  ')).join('\n');
}

/** `kind caught/observable` for every fault kind, e.g. "by kind: gradient 1/1, container 2/2, ...". */
export function scoreByKind(mutants: readonly Pick<MutantRecord, 'kind' | 'observable' | 'caught'>[]): string {
  const parts = (Object.keys(FAULT_KINDS) as FaultKind[]).map((kind) => {
    const observable = mutants.filter((m) => m.kind === kind && m.observable);
    return `${kind} ${observable.filter((m) => m.caught).length}/${observable.length}`;
  });
  return `by kind: ${parts.join(', ')}`;
}

async function drive(options: Options): Promise<number> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  for (const file of [CLI, REDIRECT]) if (!fs.existsSync(file)) throw new HarnessError(`${file} is missing; build first (npm run build)`);

  const layers = locateLayers();
  const bundle = fs.readFileSync(path.join(layers.dir, LAYERS_BUNDLE), 'utf8');
  const ids = new Set<string>();
  for (const fault of FAULTS) {
    if (ids.has(fault.id)) throw new HarnessError(`fault id ${fault.id} is used twice`);
    ids.add(fault.id);
  }
  // Patch everything up front: a snippet that is missing or ambiguous stops the run before any child.
  const patched = new Map<string, string>();
  const patchErrors: string[] = [];
  for (const fault of FAULTS) {
    try {
      patched.set(fault.id, applyFault(bundle, fault));
    } catch (error) {
      patchErrors.push((error as Error).message);
    }
  }
  if (patchErrors.length > 0) throw new HarnessError(`tfjs-layers ${layers.version} (${layers.dir}):\n  ${patchErrors.join('\n  ')}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-mutants-'));
  log(`mutants: tfjs-layers ${layers.version}, ${FAULTS.length} faults, --runs ${options.runs}, ${options.jobs} at a time; work folder ${tmp}`);
  let completed = false;
  try {
    // The unpatched copy, through the same redirect: its probe is the reference, its gate must pass.
    const baselineDir = writeCopy(path.join(tmp, 'baseline'), layers.manifest, bundle);
    const [baselineProbe, baselineProbeAgain] = [await probe(baselineDir), await probe(baselineDir)];
    if (!baselineProbe.ok) throw new HarnessError(`the probe failed on the unpatched copy: ${String(baselineProbe.sections.crash)}`);
    const unstable = differingSections(baselineProbe, baselineProbeAgain);
    if (unstable.length > 0) throw new HarnessError(`the probe is not deterministic on the unpatched copy (sections ${unstable.join(', ')} differ between two runs)`);
    const baselineGate = await gate(baselineDir, path.join(tmp, 'baseline', 'out'), options.runs);
    log(`  baseline: bn-suite run exit ${baselineGate.exitCode} (${baselineGate.summary || baselineGate.note})`);
    if (baselineGate.exitCode !== 0) {
      throw new HarnessError(
        `bn-suite run on the unpatched copy exited ${baselineGate.exitCode}, not 0 (${[...baselineGate.unexpected, ...baselineGate.stale, baselineGate.note ?? ''].filter(Boolean).join('; ')}); mutants cannot be judged. Outputs in ${path.join(tmp, 'baseline', 'out')}`,
      );
    }

    const mutants = await pool(FAULTS, options.jobs, async (fault: Fault): Promise<MutantRecord> => {
      const t0 = Date.now();
      const root = path.join(tmp, fault.id);
      const dir = writeCopy(root, layers.manifest, patched.get(fault.id) as string);
      const probed = await probe(dir);
      const probeDiff = differingSections(baselineProbe, probed);
      const result = await gate(dir, path.join(root, 'out'), options.runs);
      const caught = result.exitCode === 1 || result.exitCode === 3;
      const note = result.note ?? (result.exitCode === 3 ? 'harness failure (exit 3)' : undefined);
      const record: MutantRecord = {
        id: fault.id,
        kind: fault.kind,
        description: fault.description,
        observable: probeDiff.length > 0,
        probeDiff,
        exitCode: result.exitCode,
        caught,
        unexpected: result.unexpected,
        stale: result.stale,
        gateSummary: result.summary,
        ...(note !== undefined ? { note } : {}),
        durationMs: Date.now() - t0,
      };
      log(`  ${fault.id}: probe ${record.observable ? `differs in ${probeDiff.join(', ')}` : 'unchanged (not observable)'}; bn-suite run exit ${record.exitCode}, ${caught ? 'caught' : 'NOT caught'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return record;
    });

    const observable = mutants.filter((m) => m.observable);
    const caughtCount = observable.filter((m) => m.caught).length;
    const durationMs = Date.now() - started;
    const report = {
      format: 'bn-suite-mutants',
      formatVersion: 1,
      tool: { name: 'bn-suite', version: BN_SUITE_VERSION },
      tfjsLayers: layers.version,
      node: process.versions.node,
      startedAt,
      durationMs,
      runs: options.runs,
      jobs: options.jobs,
      baseline: { exitCode: baselineGate.exitCode, summary: baselineGate.summary, probe: baselineProbe.sections },
      mutants: mutants.map((m) => ({ ...m, fault: FAULTS.find((f) => f.id === m.id) })),
      score: { caught: caughtCount, observable: observable.length, total: mutants.length, notObservable: mutants.filter((m) => !m.observable).map((m) => m.id) },
    };
    writeFileAtomic(REPORT, `${JSON.stringify(report, null, 2)}\n`);

    process.stdout.write(`${formatTable(baselineGate.exitCode, mutants)}\n\n`);
    const missed = observable.filter((m) => !m.caught).map((m) => m.id);
    const hidden = mutants.filter((m) => !m.observable).map((m) => m.id);
    process.stdout.write(`mutation score: ${caughtCount}/${observable.length}${missed.length > 0 ? ` (missed: ${missed.join(', ')})` : ''}\n`);
    process.stdout.write(`${scoreByKind(mutants)}\n`);
    if (hidden.length > 0) process.stdout.write(`not observable (excluded from the score): ${hidden.join(', ')}\n`);
    process.stdout.write(`wall time: ${(durationMs / 1000).toFixed(1)} s; report: ${path.relative(process.cwd(), REPORT) || REPORT}\n`);
    completed = true;
    return missed.length === 0 ? EXIT_OK : EXIT_MISSED;
  } finally {
    // A failed run keeps its copies and gate outputs for diagnosis.
    if (options.keep || !completed) log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--probe') {
    await runProbe();
    return EXIT_OK;
  }
  const parsed = parseArgs(argv);
  if ('exitCode' in parsed) return parsed.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  try {
    return await drive(parsed.options);
  } catch (error) {
    process.stderr.write(`mutants: harness failure: ${error instanceof HarnessError ? error.message : ((error as Error).stack ?? String(error))}\n`);
    return EXIT_HARNESS;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT_HARNESS;
    },
  );
}
