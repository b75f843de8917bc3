import { BACKEND_PACKAGES, type BackendName } from '../../engine/backends';
import type { CaseSpec } from '../../engine/run/case-spec';
import type { TfjsVersions } from '../../engine/tfjs';
import type { MinimizeResult } from './minimize';
import { describeEntryPoint, type CaseCapture, type FrozenStatsObservation, type ModeSwitchObservation, type ScenarioMeta } from './render-script';
import type { Verification } from './verify';

/** Where the repro ran. */
export interface SystemInfo {
  /** e.g. "Linux 6.8.0 (linux/x64)". */
  os: string;
  node: string;
  tfjs: TfjsVersions;
}

/** Everything {@link renderIssue} needs. */
export interface IssueInput {
  scenario: ScenarioMeta;
  /** The invariant's contract (the rule tfjs is held to). */
  contract: string;
  backend: BackendName;
  spec: CaseSpec;
  capture: CaseCapture;
  /** repro.mjs and package.json, shown inline. */
  script: string;
  packageJson: string;
  system: SystemInfo;
  bnSuiteVersion: string;
  replayToken?: string;
  minimize?: MinimizeResult;
  /** The matching known-issue entry, if bn-suite lists one. */
  knownIssue?: { issue: string; reason: string } | null;
  verification?: Verification | null;
}

/** The rule each templated invariant holds tfjs to, in the issue's words. */
const EXPECTED: Record<ScenarioMeta['invariant'], string> = {
  'frozen-moving-stats':
    'tf.keras (TF 2.x) and Keras 3 run a frozen BatchNormalization layer in inference mode: `trainable = false` must stop moving-statistic updates and make `training = true` behave like inference. After training, `moving_mean` and `moving_variance` must be exactly what they were before.',
  'mode-switch':
    'tf.keras (TF 2.x) and Keras 3 run a frozen BatchNormalization layer in inference mode: `trainable = false` must make `training = true` behave like inference (normalize with the moving statistics, update nothing). `model.apply(x, {training: true})` must give the same output as `model.predict(x)`.',
  'frozen-gamma-beta': '',
  'inference-purity': '',
  'oracle-agreement': '',
  determinism: '',
  'round-trip': '',
  'backend-parity': '',
  'no-leaked-tensors': '',
  'trainable-bookkeeping': '',
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
function fenced(language: string, text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}`;
}

function title(input: IssueInput): string {
  const where = `${input.backend} backend, tfjs ${input.system.tfjs['@tensorflow/tfjs-core']}`;
  if (input.scenario.invariant === 'mode-switch') {
    return `BatchNormalization with trainable = false still normalizes with batch statistics when called with training = true (${where})`;
  }
  return `BatchNormalization with trainable = false still updates moving_mean / moving_variance during ${input.spec.entryPoint} (${where})`;
}

function frozenFreezeWords(spec: CaseSpec): string {
  if (spec.freeze === 'base') return 'with the nested base model that holds the BatchNormalization layer frozen (`base.trainable = false`)';
  if (spec.freeze === 'bn') return 'with its BatchNormalization layer frozen (`bn.trainable = false`)';
  return 'with nothing frozen';
}

function currentBehavior(input: IssueInput): string {
  const spec = input.spec;
  const modelWords = `${spec.model.architecture === 'bn-only' ? 'BatchNormalization' : `${spec.model.architecture === 'dense' ? 'Dense' : 'Conv2D'} -> BatchNormalization`}${spec.model.classes > 0 ? ` -> Dense(${spec.model.classes})` : ''}`;
  const shape = `[${[spec.data.batch, ...spec.model.inputShape].join(', ')}]`;
  const intro = `A model (${modelWords}${spec.model.nested ? ', everything up to BN nested as a base model' : ''}, BN momentum ${spec.model.bn.momentum}, epsilon ${spec.model.bn.epsilon}) ${frozenFreezeWords(spec)}, input x of shape ${shape}`;
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
      'The frozen layer behaves as if it were trainable: it normalizes with the batch statistics and updates its moving mean and variance. A model fine-tuned with a frozen BN therefore drifts away from the statistics it was trained with, and its inference-mode output changes.',
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
    `Max abs difference ${fmt(o.maxAbsDiff)} (float32 allowance: ${fmt(o.tolerance.atol)} + ${fmt(o.tolerance.rtol)} x |expected|). The frozen layer normalizes with the batch statistics in training mode (and updates its moving statistics), so the output depends on the mode.${accuracy}`,
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
  }
  const shuffle = input.scenario.invariant === 'frozen-moving-stats' && input.spec.entryPoint === 'fit' ? '; `fit` runs with `shuffle: false`' : '';
  lines.push(`- The script sets every weight explicitly, so the numbers do not depend on initializers${shuffle}.`);
  const v = input.verification;
  if (v) {
    if (v.installError !== undefined) lines.push(`- Verification with a fresh npm install failed: ${v.installError}`);
    else {
      lines.push(`- Verified: \`node repro.mjs\` exited ${v.exitCode ?? v.signal} (${v.mode === 'installed' ? 'fresh npm install of the pinned versions' : "bn-suite's installed tfjs packages"}). Output:`);
      lines.push('');
      lines.push(fenced('text', v.stdout.trimEnd()).replace(/^/gm, '  '));
    }
  }
  return lines.join('\n');
}

/**
 * Renders ISSUE.md following the tfjs bug template: system information, current behaviour with the
 * numbers bn-suite measured, the expected behaviour (the contract), the standalone script inline,
 * and other info (replay token, bn-suite version, reduction steps, known-issue link, the script's
 * own output when verified). Never prints.
 */
export function renderIssue(input: IssueInput): string {
  const relevant = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', BACKEND_PACKAGES[input.backend]];
  const versions = Object.entries(input.system.tfjs)
    .filter(([name, version]) => version !== undefined && relevant.includes(name))
    .map(([name, version]) => `${name}@${version}`)
    .join(', ');
  const warning =
    input.verification && !input.verification.reproduces
      ? '> **Not verified**: the generated script did not reproduce the behaviour on this machine; check it before filing.\n\n'
      : '';
  const expected = EXPECTED[input.scenario.invariant] || input.contract;
  return [
    `# ${title(input)}`,
    '',
    warning + '**System information**',
    '- Have I written custom code (as opposed to using a stock example script provided in TensorFlow.js): yes, the standalone script below',
    `- OS Platform and Distribution: ${input.system.os}`,
    '- Mobile device: n/a',
    '- TensorFlow.js installed from (npm or script link): npm',
    `- TensorFlow.js version: ${versions}`,
    `- Backend: ${input.backend}`,
    `- Node.js version: ${input.system.node}`,
    '- Browser version: n/a (Node.js)',
    '- Tensorflow.js Converter Version: n/a',
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
    'Save as `repro.mjs` next to this `package.json`, then:',
    '',
    fenced('sh', 'npm install\nnode repro.mjs   # exits 1 when the behaviour reproduces, 0 when it does not'),
    '',
    fenced('json', input.packageJson),
    '',
    fenced('js', input.script),
    '',
    '**Other info / logs**',
    '',
    otherInfo(input),
    '',
  ].join('\n');
}
