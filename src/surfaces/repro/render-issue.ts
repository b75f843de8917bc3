import { BACKEND_PACKAGES, type BackendName } from '../../engine/backends';
import type { InvariantId } from '../../engine/invariants/types';
import type { CaseSpec } from '../../engine/run/case-spec';
import type { TfjsVersions } from '../../engine/tfjs';
import type { MinimizeResult } from './minimize';
import { describeEntryPoint, scriptBackends, scriptSpec, type CaseCapture, type FrozenStatsObservation, type ModeSwitchObservation, type RoundTripObservation, type LeakObservation, type BookkeepingObservation, type OracleObservation, type ScenarioMeta, type ThrowObservation } from './render-script';
import type { Verification } from './verify';

/** Where the repro ran. */
export interface SystemInfo {
  /** e.g. "Linux 6.8.0 (linux/x64)". */
  os: string;
  node: string;
  tfjs: TfjsVersions;
}

/**
 * The repro the issue shows inline: `repro.mjs` with its package.json (Node backends), or the
 * `index.html` page (browser backends).
 */
export type IssueRepro = { kind: 'script'; script: string; packageJson: string } | { kind: 'page'; html: string };

/** Everything {@link renderIssue} needs. */
export interface IssueInput {
  scenario: ScenarioMeta;
  /** The invariant's contract (the rule tfjs is held to). */
  contract: string;
  backend: BackendName;
  spec: CaseSpec;
  /**
   * The case as bn-suite captured it. For a script repro its observation is the backend's and the
   * issue tabulates it; for a page repro it was taken in Node on cpu, so the issue quotes the
   * page's own output instead.
   */
  capture: CaseCapture;
  repro: IssueRepro;
  /** What bn-suite's run reported on the backend (the failing result's summary), quoted for page repros. */
  runSummary?: string;
  system: SystemInfo;
  bnSuiteVersion: string;
  replayToken?: string;
  minimize?: MinimizeResult;
  /** The matching known-issue entry, if bn-suite lists one. */
  knownIssue?: { issue: string; reason: string } | null;
  verification?: Verification | null;
}

/** The rule each invariant holds tfjs to, in the issue's words; a Record, so a new invariant needs one. */
const EXPECTED: Record<InvariantId, string> = {
  'frozen-moving-stats':
    'tf.keras (TF 2.x) and Keras 3 run a frozen BatchNormalization layer in inference mode: `trainable = false` must stop moving-statistic updates and make `training = true` behave like inference. After training, `moving_mean` and `moving_variance` must be exactly what they were before.',
  'mode-switch':
    'tf.keras (TF 2.x) and Keras 3 run a frozen BatchNormalization layer in inference mode: `trainable = false` must make `training = true` behave like inference (normalize with the moving statistics, update nothing). `model.apply(x, {training: true})` must give the same output as `model.predict(x)`.',
  'round-trip':
    'A saved and reloaded model is the model that was saved: the same weights (moving statistics included), the same `trainable` flags (Keras saves `trainable` for every layer and nested model, so a frozen base stays frozen), hence the same trainable weights, and the same predictions.',
  'oracle-agreement':
    'BatchNormalization computes the textbook formulas within float32 rounding: in inference mode `y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta`; in training mode the same with the batch mean and biased variance; each training call updates `moving = moving * momentum + batch * (1 - momentum)`.',
  'trainable-bookkeeping':
    'Keras freezes every layer inside a frozen container (`base.trainable = false` sets the own `trainable` of each layer in it to false), and a container lists a weight in `trainableWeights` exactly when it is not a moving statistic and nothing on the way from the model down to its layer is frozen.',
  'no-leaked-tensors':
    'After `model.dispose()` (and the dispose of every other model sharing its layers) and the optimizer\'s, `tf.memory().numTensors` is back where it was before the model was built, and `dispose()` throws nothing.',
  'frozen-gamma-beta':
    'A layer with `trainable = false` contributes no trainable weights: no optimizer step after the next `compile` (or, in a custom loop, taking the trainable weights then) may change its `gamma` or `beta`.',
  'inference-purity': '`predict`, `evaluate`, `execute` and `apply(x, {training: false})` are pure: they change no weight, moving statistics included.',
  determinism: 'The same model with the same weights, trained the same way on the same data, ends with byte-identical weights every time, whatever the process ran before.',
  'backend-parity':
    'BatchNormalization semantics are the framework\'s, not the backend\'s: the same model trained the same way on every backend ends with the same weights (moving statistics included) and predictions, within float32 rounding that grows with the number of SGD steps.',
  'gradient-agreement':
    'The gradients through BatchNormalization are the derivatives of what it computes: in inference mode `dL/dx = gamma dy / sqrt(moving_variance + epsilon)`; in training mode `dL/dx = gamma / sqrt(var + epsilon) (dy - mean(dy) - x_hat mean(dy x_hat))` per channel (the batch statistics depend on x); `dL/dgamma = sum(dy x_hat)`, `dL/dbeta = sum(dy)`; within float32 rounding.',
  'training-agreement':
    'Each `trainOnBatch` step backpropagates through the batch statistics and updates every trainable weight by `-lr dL/dtheta`, and the moving statistics by `moving * momentum + batch * (1 - momentum)`: a few steps end with the weights a float64 computation of the same steps gives, within float32 rounding accumulated over the steps.',
};

const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v));
const list = (values: readonly number[]) => `[${values.slice(0, 8).map(fmt).join(', ')}${values.length > 8 ? `, ... (${values.length} values)` : ''}]`;

function maxDrift(before: readonly number[], after: readonly number[]): number {
  return before.reduce((max, v, i) => Math.max(max, Object.is(v, after[i]) ? 0 : Number.isNaN(v) || Number.isNaN(after[i]) ? Infinity : Math.abs(after[i] - v)), 0);
}

/** Milliseconds as seconds, with two decimals under a second. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 1000 ? 2 : 1)} s`;
}

/** Markdown inline code that survives any backticks and newlines in the text. */
export function inlineCode(text: string): string {
  const flat = text.replace(/\r?\n|\r|\u2028|\u2029/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run inside. */
export function fenced(language: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}`;
}

/** The issue's title per template, without the "(backend, tfjs version)" tail; a Record so a new template needs one. */
const TITLES: Record<InvariantId, (spec: CaseSpec) => string> = {
  'frozen-moving-stats': (spec) => `BatchNormalization with trainable = false still updates moving_mean / moving_variance during ${spec.entryPoint}`,
  'mode-switch': () => 'BatchNormalization with trainable = false still normalizes with batch statistics when called with training = true',
  'round-trip': () => 'A model saved and loaded again does not keep what it was saved with',
  'no-leaked-tensors': () => 'Disposing a model leaves tensors alive',
  'trainable-bookkeeping': () => 'Layers inside a frozen model still report trainable = true and list frozen weights as trainable',
  'oracle-agreement': (spec) => `BatchNormalization (axis ${spec.model.bn.axis}) disagrees with the float64 formulas`,
  'frozen-gamma-beta': (spec) => `BatchNormalization with trainable = false still has gamma / beta changed by ${spec.entryPoint}`,
  'inference-purity': () => 'Inference (predict / evaluate / execute / apply with training = false) changes weights of a model with BatchNormalization',
  determinism: () => 'Training the same model with BatchNormalization twice from the same weights gives different weights',
  'backend-parity': () => 'A model with BatchNormalization trained the same way ends with different weights or predictions on different backends',
  'gradient-agreement': (spec) => `BatchNormalization gradients (${bnOptions(spec)}) disagree with the float64 backward pass`,
  'training-agreement': () => 'A few trainOnBatch steps of Dense -> BatchNormalization end with other weights than the same steps computed in float64',
};

/** BN's options that matter to a throw or a formula: the axis, and center / scale when off. */
function bnOptions(spec: CaseSpec): string {
  const { axis, center, scale } = spec.model.bn;
  return [`axis ${axis}`, ...(center ? [] : ['center: false']), ...(scale ? [] : ['scale: false'])].join(', ');
}

/** What a throw title says the case did (`<subject> throws <error>`), per template; a Record so a new template needs one. */
const THROW_SUBJECTS: Record<InvariantId, (spec: CaseSpec) => string> = {
  'frozen-moving-stats': (spec) => `Training a model with a frozen BatchNormalization (${bnOptions(spec)}) with ${spec.entryPoint}`,
  'frozen-gamma-beta': (spec) => `Training a model with a frozen BatchNormalization (${bnOptions(spec)}) with ${spec.entryPoint}`,
  'inference-purity': (spec) =>
    `Inference (predict / evaluate / apply / execute) on a model with BatchNormalization${spec.model.nested ? ' in a nested base model' : ''}${spec.model.shared === true ? ', its layers shared with a second model' : ''}`,
  'mode-switch': (spec) => `Calling a model with a frozen BatchNormalization (${bnOptions(spec)}) in inference and training mode`,
  'oracle-agreement': (spec) => `Calling BatchNormalization (${bnOptions(spec)})`,
  determinism: (spec) => `Training a model with BatchNormalization (${bnOptions(spec)}) with ${spec.entryPoint}`,
  'round-trip': () => 'Saving and loading a model with BatchNormalization',
  'backend-parity': (spec) => `Training a model with BatchNormalization (${bnOptions(spec)}) with ${spec.entryPoint}`,
  'no-leaked-tensors': () => 'Building, training and disposing a model with BatchNormalization',
  'trainable-bookkeeping': () => 'Freezing a model with BatchNormalization',
  'gradient-agreement': (spec) => `The gradient through BatchNormalization (${bnOptions(spec)})`,
  'training-agreement': (spec) => `Training Dense -> BatchNormalization (${bnOptions(spec)}) with trainOnBatch`,
};

/** An error's first line, shortened for a title. */
function shortMessage(threw: ThrowObservation): string {
  const line = `${threw.errorName}: ${threw.message}`;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** How the case is exercised, as the current-behaviour sentence of a page repro continues. */
const HOW: Record<InvariantId, (spec: CaseSpec) => string> = {
  'frozen-moving-stats': (spec) => `, trained with \`${describeEntryPoint(spec)}\``,
  'mode-switch': () => ', called in inference and in training mode',
  'round-trip': (spec) => `, trained with \`${describeEntryPoint(spec)}\`, then saved and loaded`,
  'no-leaked-tensors': (spec) => `, trained with \`${describeEntryPoint(spec)}\``,
  'trainable-bookkeeping': () => ', after the freeze',
  'oracle-agreement': () => ', its BN layer called directly in both modes',
  'frozen-gamma-beta': (spec) => `, trained with \`${describeEntryPoint(spec)}\``,
  'inference-purity': () => ', compiled, then called with `predict`, `evaluate`, `apply(x, {training: false})` and `execute`',
  determinism: (spec) => `, built, trained with \`${describeEntryPoint(spec)}\` and read twice, then again after another model`,
  'backend-parity': (spec) => `, trained with \`${describeEntryPoint(spec)}\` on each backend, then \`predict\``,
  'gradient-agreement': () => ', the gradients of sum(BN(z) * dy) for a seeded dy taken in inference and training mode',
  'training-agreement': (spec) => `, unfrozen, trained with \`model.trainOnBatch(x, targets)\` x ${spec.steps} (SGD, mean squared error)`,
};

function title(input: IssueInput): string {
  const invariant = input.scenario.invariant;
  const spec = scriptSpec(invariant, input.spec);
  const what = input.capture.observed.kind === 'threw' ? `${THROW_SUBJECTS[invariant](spec)} throws ${shortMessage(input.capture.observed)}` : TITLES[invariant](spec);
  return `${what} (${input.backend} backend, tfjs ${input.system.tfjs['@tensorflow/tfjs-core']})`;
}

function frozenFreezeWords(spec: CaseSpec): string {
  if (spec.freeze === 'base') return 'with the nested base model that holds the BatchNormalization layer frozen (`base.trainable = false`)';
  if (spec.freeze === 'bn') return 'with its BatchNormalization layer frozen (`bn.trainable = false`)';
  return 'with nothing frozen';
}

/** What the observed behaviour means, per templated invariant. */
const CONSEQUENCE: Record<InvariantId, string> = {
  'frozen-moving-stats':
    'The frozen layer behaves as if it were trainable: it normalizes with the batch statistics and updates its moving mean and variance. A model fine-tuned with a frozen BN therefore drifts away from the statistics it was trained with, and its inference-mode output changes.',
  'mode-switch': 'The frozen layer normalizes with the batch statistics in training mode (and updates its moving statistics), so the output depends on the mode.',
  'round-trip': 'A model frozen for fine-tuning, saved and loaded again, no longer trains what it trained before the save: fine-tuning the reloaded model silently updates layers that were frozen, BN included.',
  'oracle-agreement': 'The layer computes something else than BatchNormalization for this configuration: a model using it gives wrong outputs, in training or in inference mode or both.',
  'trainable-bookkeeping': 'Code that reads `trainable` or `trainableWeights` below the frozen container (a fine-tuning loop that checks `layer.trainable`, a custom training step taking `base.trainableWeights`) sees frozen weights as trainable and updates them.',
  'no-leaked-tensors': 'Code that builds and disposes models this way again and again (a fine-tuning loop, a hyper-parameter search) either grows until it runs out of memory or crashes in dispose().',
  'frozen-gamma-beta': 'Fine-tuning with a frozen BatchNormalization still trains its scale and offset: the frozen features change under the new head.',
  'inference-purity': 'Evaluating or serving the model changes it: every inference call moves the weights a later prediction uses.',
  determinism: 'The same seed does not give the same model: results cannot be reproduced, and a test comparing two runs fails at random.',
  'backend-parity': 'A model trained on one backend is not the model trained on another: results depend on where the code runs.',
  'gradient-agreement': 'Training through BatchNormalization follows wrong gradients: the layers before it, and gamma and beta, are updated in the wrong direction or by the wrong amount.',
  'training-agreement': 'Training a model with BatchNormalization moves its weights (or its moving statistics) differently from what the layer computes: fine-tuning converges to something else.',
};

/** What a throw means: the work fails instead of computing. */
const THROW_CONSEQUENCE = 'Code doing this fails with this error: such a model cannot be used (or trained) this way on tfjs.';

/** What the observed behaviour means for this capture: a throw, or the template's wrong values. */
function consequence(input: IssueInput): string {
  return input.capture.observed.kind === 'threw' ? THROW_CONSEQUENCE : CONSEQUENCE[input.scenario.invariant];
}

/** A page repro's verification that ran the page and printed something, if there is one. */
function pageRun(input: IssueInput): Verification | null {
  const v = input.verification;
  return input.repro.kind === 'page' && v && v.setupError === undefined && v.stdout.trim() !== '' ? v : null;
}

/**
 * A page repro's current behaviour: the page's own output on the real backend (the capture's
 * numbers are cpu's, taken in Node), else what bn-suite's run reported.
 */
function pageBehavior(input: IssueInput, intro: string): string {
  const invariant = input.scenario.invariant;
  const how = HOW[invariant](input.spec);
  const lines = [`${intro}${how}, on the ${input.backend} backend in a browser page.`, ''];
  const run = pageRun(input);
  if (run !== null) {
    lines.push(`The standalone page below printed, in headless Chromium${run.browser !== undefined ? ` ${run.browser}` : ''} on ${input.backend}:`, '', fenced('text', run.stdout.trimEnd()), '');
  } else {
    lines.push(`The page was not run here${input.verification?.setupError !== undefined ? ` (${input.verification.setupError})` : ''}.`, '');
  }
  if (input.runSummary !== undefined && input.runSummary.trim() !== '') {
    lines.push(`bn-suite's run on ${input.backend} reported: ${inlineCode(input.runSummary)}`, '');
  }
  lines.push(consequence(input));
  return lines.join('\n');
}

/**
 * The current behaviour of a script repro without a table of its own (a throw, and the templates
 * whose script prints the comparison itself): what tfjs threw, if it did, and what the script
 * printed when it ran here, else what bn-suite's run reported.
 */
function printedBehavior(input: IssueInput, intro: string): string {
  const invariant = input.scenario.invariant;
  const observed = input.capture.observed;
  const threw = observed.kind === 'threw' ? `: tfjs throws ${inlineCode(`${observed.errorName}: ${observed.message}`)}${observed.at !== null ? ` (at ${inlineCode(observed.at.replace(/[^\s(]*node_modules[\\/]/, ''))})` : ''}` : '';
  const lines = [`${intro}${HOW[invariant](input.spec)}, on the ${input.backend} backend${threw}.`, ''];
  const v = input.verification;
  if (v && v.setupError === undefined && v.stdout.trim() !== '') {
    lines.push('The script below printed:', '', fenced('text', v.stdout.trimEnd()), '');
  } else if (input.runSummary !== undefined && input.runSummary.trim() !== '') {
    lines.push(`bn-suite's run reported: ${inlineCode(input.runSummary)}`, '');
  }
  lines.push(consequence(input));
  return lines.join('\n');
}

function currentBehavior(input: IssueInput): string {
  // The case as the script rebuilds it (the oracle's is unfrozen and calls BN directly).
  const spec = scriptSpec(input.scenario.invariant, input.spec);
  const modelWords = `${spec.model.architecture === 'bn-only' ? 'BatchNormalization' : `${spec.model.architecture === 'dense' ? 'Dense' : 'Conv2D'} -> BatchNormalization`}${spec.model.classes > 0 ? ` -> Dense(${spec.model.classes})` : ''}`;
  const shape = `[${[spec.data.batch, ...spec.model.inputShape].join(', ')}]`;
  const intro = `A model (${modelWords}${spec.model.nested ? ', everything up to BN nested as a base model' : ''}, BN momentum ${spec.model.bn.momentum}, epsilon ${spec.model.bn.epsilon}) ${frozenFreezeWords(spec)}, input x of shape ${shape}`;
  if (input.repro.kind === 'page') return pageBehavior(input, intro);
  const kind = input.capture.observed.kind;
  if (kind === 'threw' || kind === 'frozen-gamma-beta' || kind === 'inference-purity' || kind === 'determinism' || kind === 'backend-parity' || kind === 'gradient-agreement' || kind === 'training-agreement') {
    return printedBehavior(input, intro);
  }
  if (input.capture.observed.kind === 'frozen-moving-stats') {
    const o: FrozenStatsObservation = input.capture.observed;
    const meanDrift = maxDrift(o.movingMean.before, o.movingMean.after);
    const varianceDrift = maxDrift(o.movingVariance.before, o.movingVariance.after);
    return [
      `${intro}, trained with \`${describeEntryPoint(spec)}\` on the ${input.backend} backend:`,
      '',
      '| weight | before | after | max abs drift |',
      '| --- | --- | --- | --- |',
      `| moving_mean | ${list(o.movingMean.before)} | ${list(o.movingMean.after)} | ${fmt(meanDrift)} |`,
      `| moving_variance | ${list(o.movingVariance.before)} | ${list(o.movingVariance.after)} | ${fmt(varianceDrift)} |`,
      '',
      CONSEQUENCE['frozen-moving-stats'],
    ].join('\n');
  }
  if (input.capture.observed.kind === 'round-trip') {
    const o: RoundTripObservation = input.capture.observed;
    return [
      `${intro}, trained with \`${describeEntryPoint(spec)}\` on the ${input.backend} backend, saved with \`tf.io.withSaveHandler\` and loaded with \`tf.io.fromMemory\`:`,
      '',
      '| what | name | after save and load |',
      '| --- | --- | --- |',
      ...o.mismatches.map((m) => `| ${m.what} | ${inlineCode(m.name)} | ${m.detail.replace(/\|/g, '\\|')} |`),
      '',
      CONSEQUENCE['round-trip'],
    ].join('\n');
  }
  if (input.capture.observed.kind === 'oracle-agreement') {
    const o: OracleObservation = input.capture.observed;
    return [
      `${intro}: the BatchNormalization layer called directly on the tensor it sees, in inference mode and in training mode (${o.trainingCalls} call(s)), against the formulas in float64, on the ${input.backend} backend:`,
      '',
      '| part | agrees | comparison |',
      '| --- | --- | --- |',
      ...o.parts.map((p) => `| ${p.part} | ${p.ok ? 'yes' : '**no**'} | ${p.comparison.replace(/\|/g, '\\|')} |`),
      '',
      CONSEQUENCE['oracle-agreement'],
    ].join('\n');
  }
  if (input.capture.observed.kind === 'trainable-bookkeeping') {
    const o: BookkeepingObservation = input.capture.observed;
    return [`${intro}, on the ${input.backend} backend, after the freeze:`, '', ...o.problems.map((p) => `- ${p}`), '', CONSEQUENCE['trainable-bookkeeping']].join('\n');
  }
  if (input.capture.observed.kind === 'no-leaked-tensors') {
    const o: LeakObservation = input.capture.observed;
    return [
      `${intro}${spec.model.shared === true ? ', sharing its layers with a second model' : ''}, trained with \`${describeEntryPoint(spec)}\`, then \`predict\`, then every model and the optimizer disposed, on the ${input.backend} backend:`,
      '',
      '| tensors before the model | after dispose | weights dispose() left alive | dispose() threw |',
      '| --- | --- | --- | --- |',
      `| ${o.before} | ${o.after} | ${o.leftByDispose} | ${o.disposeThrew === null ? 'no' : inlineCode(o.disposeThrew)} |`,
      '',
      CONSEQUENCE['no-leaked-tensors'],
    ].join('\n');
  }
  const o: ModeSwitchObservation = input.capture.observed;
  const accuracy =
    o.inferenceAccuracy !== null && o.trainingAccuracy !== null
      ? `\n\nAccuracy on the same labelled batch: ${fmt(o.inferenceAccuracy)} in inference mode, ${fmt(o.trainingAccuracy)} in training mode.`
      : '';
  return [
    `${intro}, on the ${input.backend} backend:`,
    '',
    '| call | output |',
    '| --- | --- |',
    `| \`model.predict(x)\` | ${list(o.inference.values)} |`,
    `| \`model.apply(x, {training: true})\` | ${list(o.training.values)} |`,
    '',
    `Max abs difference ${fmt(o.maxAbsDiff)} (float32 allowance: ${fmt(o.tolerance.atol)} + ${fmt(o.tolerance.rtol)} x |expected|). ${CONSEQUENCE['mode-switch']}${accuracy}`,
  ].join('\n');
}

function otherInfo(input: IssueInput): string {
  const lines: string[] = [];
  lines.push(`- Found by bn-suite ${input.bnSuiteVersion}, scenario ${inlineCode(input.scenario.id)} (invariant \`${input.scenario.invariant}\`).`);
  if (input.scenario.description.trim() !== '') lines.push(`- Scenario: ${input.scenario.description.replace(/\s*(\r?\n|\r|\u2028|\u2029)\s*/g, ' ')}`);
  if (input.replayToken !== undefined) lines.push(`- Replay token: ${inlineCode(input.replayToken)} (\`npx bn-suite repro '<token>'\`).`);
  if (input.knownIssue) {
    const where = input.knownIssue.issue === 'unreported' ? 'Listed by bn-suite as a known issue, not yet reported upstream' : `Known issue: ${input.knownIssue.issue}`;
    lines.push(`- ${where}. Reason recorded: ${input.knownIssue.reason}`);
  }
  if (input.minimize !== undefined) {
    const m = input.minimize;
    const steps = m.reductions.length > 0 ? `: ${m.reductions.join('; ')}` : ' (the counterexample was already minimal)';
    lines.push(`- Reduced from fast-check's counterexample in ${m.attempts} attempts (${seconds(m.durationMs)})${steps}.`);
  } else if (input.repro.kind === 'page') {
    lines.push(`- Not minimised: bn-suite minimises in Node, and this result comes from the ${input.backend} backend in a browser page; the case is fast-check's shrunk counterexample from that run.`);
  }
  const shuffle = input.scenario.invariant === 'frozen-moving-stats' && input.spec.entryPoint === 'fit' ? '; `fit` runs with `shuffle: false`' : '';
  const what = input.repro.kind === 'page' ? 'page' : 'script';
  lines.push(`- The ${what} sets every weight explicitly, so the numbers do not depend on initializers${shuffle}.`);
  if (input.repro.kind === 'page') {
    lines.push("- The initial weights and data were captured from bn-suite's seeded build in Node (they do not depend on the backend); everything else runs in the page.");
  }
  const v = input.verification;
  if (v) lines.push(...(input.repro.kind === 'page' ? pageVerificationLines(v, input.backend) : scriptVerificationLines(v)));
  return lines.join('\n');
}

function scriptVerificationLines(v: Verification): string[] {
  if (v.setupError !== undefined) return [`- Verification with a fresh npm install failed: ${v.setupError}`];
  return [
    `- Verified: \`node repro.mjs\` exited ${v.exitCode ?? v.signal} (${v.mode === 'installed' ? 'fresh npm install of the pinned versions' : "bn-suite's installed tfjs packages"}). Output:`,
    '',
    fenced('text', v.stdout.trimEnd()).replace(/^/gm, '  '),
  ];
}

/** The page's output is quoted under the current behaviour; here only how it ran, and its console errors. */
function pageVerificationLines(v: Verification, backend: BackendName): string[] {
  if (v.setupError !== undefined) return [`- Not verified: ${v.setupError}`];
  const outcome = v.exitCode !== null ? `set \`BN_SUITE_REPRO.exitCode\` to ${v.exitCode}` : `gave no result (${v.failure ?? 'unknown reason'})`;
  const lines = [
    `- Verified: the page ${outcome} in headless Chromium${v.browser !== undefined ? ` ${v.browser}` : ''} on ${backend} (${seconds(v.durationMs)}), with the same tfjs bundles served from 127.0.0.1 in place of jsDelivr.`,
  ];
  if (v.stderr.trim() !== '') lines.push('  Console errors and warnings:', '', fenced('text', v.stderr.trimEnd()).replace(/^/gm, '  '));
  return lines;
}

function standaloneCode(repro: IssueRepro): string[] {
  if (repro.kind === 'page') {
    return [
      'Save as `index.html` and open it in a browser. It loads the pinned tfjs bundles from jsDelivr, prints expected vs actual on the page and in the console, and sets `window.BN_SUITE_REPRO.exitCode` to 1 while the behaviour reproduces (0 when it does not, 2 when the script itself fails).',
      '',
      fenced('html', repro.html),
    ];
  }
  return [
    'Save as `repro.mjs` next to this `package.json`, then:',
    '',
    fenced('sh', 'npm install\nnode repro.mjs   # exits 1 when the behaviour reproduces, 0 when it does not'),
    '',
    fenced('json', repro.packageJson),
    '',
    fenced('js', repro.script),
  ];
}

function notVerifiedWarning(input: IssueInput): string {
  const v = input.verification;
  if (!v || v.reproduces) return '';
  const what = input.repro.kind === 'page' ? 'page' : 'script';
  if (v.setupError !== undefined) return `> **Not verified** (${v.setupError.replace(/\s+/g, ' ')}): run the generated ${what} yourself before filing.\n\n`;
  return `> **Not verified**: the generated ${what} did not reproduce the behaviour on this machine; check it before filing.\n\n`;
}

/**
 * The bullets of the tfjs bug template's "System information" section (without its heading) for a
 * repro script (`script`) or page (`page`; `browser` is the Chromium version it ran in, if it ran).
 */
export function systemInformation(system: SystemInfo, backends: readonly BackendName[], kind: IssueRepro['kind'], browser: string | undefined): string[] {
  const page = kind === 'page';
  // A page loads tfjs-backend-cpu's bundle too (the UMD backends need its shared kernels).
  const relevant = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', ...(page ? ['@tensorflow/tfjs-backend-cpu'] : []), ...backends.map((b) => BACKEND_PACKAGES[b])];
  const versions = Object.entries(system.tfjs)
    .filter(([name, version]) => version !== undefined && relevant.includes(name))
    .map(([name, version]) => `${name}@${version}`)
    .join(', ');
  return [
    `- Have I written custom code (as opposed to using a stock example script provided in TensorFlow.js): yes, the standalone ${page ? 'page' : 'script'} below`,
    `- OS Platform and Distribution: ${system.os}`,
    '- Mobile device: n/a',
    `- TensorFlow.js installed from (npm or script link): ${page ? 'script link (jsDelivr, pinned versions)' : 'npm'}`,
    `- TensorFlow.js version: ${versions}`,
    `- Backend: ${backends.join(', ')}`,
    `- Node.js version: ${page ? 'n/a (browser)' : system.node}`,
    `- Browser version: ${page ? (browser !== undefined ? `Chromium ${browser} (headless)` : 'not run here') : 'n/a (Node.js)'}`,
    '- Tensorflow.js Converter Version: n/a',
  ];
}

/**
 * Renders ISSUE.md following the tfjs bug template: system information, current behaviour with the
 * numbers bn-suite measured (for a page repro: what the page printed on the real backend), the
 * expected behaviour (the contract), the standalone script or page inline, and other info (replay
 * token, bn-suite version, reduction steps, known-issue link, the script's own output when
 * verified). Never prints.
 */
export function renderIssue(input: IssueInput): string {
  const expected = `${input.capture.observed.kind === 'threw' ? 'The calls run without throwing. ' : ''}${EXPECTED[input.scenario.invariant]}`;
  return [
    `# ${title(input)}`,
    '',
    notVerifiedWarning(input) + '**System information**',
    ...systemInformation(input.system, scriptBackends(input), input.repro.kind, input.verification?.browser),
    '',
    '**Describe the current behavior**',
    '',
    currentBehavior(input),
    '',
    '**Describe the expected behavior**',
    '',
    expected,
    '',
    `bn-suite's contract: ${input.contract}`,
    '',
    '**Standalone code to reproduce the issue**',
    '',
    ...standaloneCode(input.repro),
    '',
    '**Other info / logs**',
    '',
    otherInfo(input),
    '',
  ].join('\n');
}
