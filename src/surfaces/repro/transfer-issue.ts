/**
 * ISSUE.md for a transfer repro, on the tfjs bug template like every bn-suite issue
 * (render-issue.ts): system information, the current behaviour with what the script (or page)
 * printed, the expected behaviour (Keras 3 / TF2 run a frozen BN in inference mode), the code, and
 * other info. The code is listed without its inlined data: with the base's weights and the digits
 * a script is hundreds of kilobytes, more than a GitHub issue holds (65,536 characters), so the
 * issue asks for the files to be attached.
 *
 * @packageDocumentation
 */
import type { BackendName } from '../../engine/backends';
import type { TransferCapture } from '../../engine/kinds/transfer/capture-transfer';
import type { TransferEvidence } from '../../engine/kinds/transfer/evidence';
import { fenced, inlineCode, seconds, systemInformation, type SystemInfo } from './render-issue';
import { formatVerification, printedLines, type Verification } from './verify';

/** The repro the issue lists: the script with its package.json, or the page; `listing` leaves the data out. */
export type TransferIssueRepro = { kind: 'script'; listing: string; packageJson: string; bytes: number } | { kind: 'page'; listing: string; bytes: number };

/** Everything {@link renderTransferIssue} needs. */
export interface TransferIssueInput {
  scenario: { id: string; description: string; provenance: string; invariant: string };
  /** The invariant's contract, the rule bn-suite holds tfjs to. */
  contract: string;
  backend: BackendName;
  capture: TransferCapture;
  repro: TransferIssueRepro;
  system: SystemInfo;
  bnSuiteVersion: string;
  /** bn-suite's result on the backend: its summary, token and evidence (null evidence: the run recorded none). */
  run: { summary: string; replayToken: string; evidence: TransferEvidence | null; durationMs: number };
  knownIssue?: { issue: string; reason: string } | null;
  verification: Verification | null;
}

const pct = (fraction: number | null | undefined): string => (typeof fraction === 'number' ? `${(fraction * 100).toFixed(1)}%` : '?');

/** One variant's final figures from bn-suite's evidence, e.g. `70.0% in training mode vs 50.4% in inference mode (gap 19.6 points), 2 of 2 BN layers drifted`. */
function variantFigures(evidence: TransferEvidence, variant: 'frozen' | 'control'): string {
  const a = evidence.variants[variant];
  const drift = Object.values(evidence.drift[variant]);
  const drifted = drift.filter((d) => [...d.mean, ...d.variance].some((v) => v !== 0)).length;
  const gap = a.gapPoints.at(-1);
  return `${pct(a.trainingModeAccuracy.at(-1))} in training mode vs ${pct(a.inferenceModeAccuracy.at(-1))} in inference mode (gap ${typeof gap === 'number' ? gap.toFixed(1) : '?'} points), ${drifted} of ${drift.length} BN layers drifted`;
}

function baseWords(capture: TransferCapture): string {
  if (capture.architecture === 'mobilenet_v2') {
    const p = capture.pretrained;
    return `nsfwjs's MobileNetV2 (Keras-converted, ${capture.bnLayers.length} BatchNormalization layers), cut at \`${p?.cutAt ?? '?'}\`, input ${p?.inputSize ?? '?'}x${p?.inputSize ?? '?'}x3`;
  }
  return `an MLP (${capture.baseUnits.map((u) => `Dense(${u}) -> BatchNormalization -> relu`).join(' -> ')}) pre-trained on MNIST digits 0-4`;
}

function title(input: TransferIssueInput): string {
  const base = input.capture.architecture === 'mobilenet_v2' ? 'a frozen MobileNetV2 base' : 'a frozen base';
  return `Fine-tuning on ${base}: BatchNormalization with trainable = false normalizes with batch statistics and updates its moving statistics in fit, so accuracy depends on the mode (${input.backend} backend, tfjs ${input.system.tfjs['@tensorflow/tfjs-core']})`;
}

function currentBehavior(input: TransferIssueInput): string[] {
  const { capture, backend } = input;
  const shift = capture.domainShift === null ? '' : ` washed out as \`x' = clip(${capture.domainShift.contrast} x + ${capture.domainShift.brightness}, 0, 1)\``;
  const r = capture.recipe;
  const lines = [
    `A pre-trained base with BatchNormalization layers, ${baseWords(capture)}, frozen the documented way (\`base.trainable = false\`) under a new softmax head, which \`model.fit\` trains on MNIST digits ${capture.train.digits.join(', ')}${shift} (${capture.train.n} digits, adam ${r.learningRate}, batch ${r.batchSize}, ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}), on the ${backend} backend${input.repro.kind === 'page' ? ' in a browser page' : ''}. The fine-tuned model is then measured on ${capture.test.n} held-out digits with a training-mode pass (\`model.apply(x, {training: true})\`) and with \`model.predict(x)\`, and every BatchNormalization layer's moving statistics are read after each step.`,
    '',
  ];
  const v = input.verification;
  if (v !== null && v.setupError === undefined && v.stdout.trim() !== '') {
    if (input.repro.kind === 'page') lines.push(`The standalone page below printed, in headless Chromium${v.browser !== undefined ? ` ${v.browser}` : ''} on ${backend}:`, '', fenced('text', v.stdout.trimEnd()));
    else lines.push(...printedLines(v));
  } else {
    lines.push(`The ${input.repro.kind === 'page' ? 'page' : 'script'} was not run here${v?.setupError !== undefined ? ` (${v.setupError})` : ''}.`);
  }
  lines.push('', `bn-suite's run on ${backend} reported: ${inlineCode(input.run.summary)}`);
  if (input.repro.kind === 'page') {
    lines.push(
      '',
      `The page's base is the one bn-suite pre-trained in Node on the cpu backend (its weights are inlined); bn-suite's run on ${backend} pre-trained its own there, so the page's figures can differ a little from the run's.`,
    );
  }
  lines.push(
    '',
    'tfjs ignores `trainable = false` in BatchNormalization: during `fit` the frozen layers keep normalizing with each batch\'s statistics and keep updating their moving mean and variance. The new head learns on features that inference (`predict`, moving statistics) never produces, so the fine-tuned model looks fine while it trains and loses accuracy at inference on the same data, and the pre-trained statistics are overwritten.',
  );
  return lines;
}

function expectedBehavior(input: TransferIssueInput): string[] {
  const evidence = input.run.evidence;
  const scriptRunsControl = input.capture.architecture === 'mlp' || input.capture.asserted === 'control';
  const control =
    evidence === null
      ? ''
      : scriptRunsControl
        ? ` The ${input.repro.kind}'s control shows it: the same base called with \`training: false\` (through a layer that wraps it) gives a head whose accuracy is the same in both modes and leaves every moving statistic where it was (bn-suite's run: ${variantFigures(evidence, 'control')}).`
        : ` bn-suite's run shows it with a control, the same base called with \`training: false\` (through a layer that wraps it; add 'control' to \`VARIANTS\` in the script to run it there too): ${variantFigures(evidence, 'control')}.`;
  return [
    `Keras 3 and TF2's tf.keras run a BatchNormalization layer with \`trainable = false\` in inference mode, whatever \`training\` says (tf.keras since TF 2.0; keras PR #9965 had proposed it for Keras 2): it normalizes with its moving statistics and updates nothing. The head then trains on the features it sees at inference, training-mode and inference-mode accuracy agree, and the moving statistics keep their pre-trained values.${control}`,
    '',
    `bn-suite's contract (\`${input.scenario.invariant}\`): ${input.contract} bn-suite allows a gap of ${input.capture.maxGapPoints} points.`,
  ];
}

function standaloneCode(input: TransferIssueInput): string[] {
  const kb = `${Math.round(input.repro.bytes / 1024)} KB`;
  if (input.repro.kind === 'page') {
    return [
      `\`index.html\` (${kb}: the pre-trained base's weights and the digits are inlined as base64), attached: open it in a browser. It loads the pinned tfjs bundles from jsDelivr, prints on the page and in the console, and sets \`window.BN_SUITE_REPRO.exitCode\` to 1 while the behaviour reproduces (0 when it does not, 2 when the script itself fails). Below without its data (a GitHub issue holds at most 65,536 characters):`,
      '',
      fenced('html', input.repro.listing),
    ];
  }
  const mlp = input.capture.architecture === 'mlp';
  const data = mlp ? "the pre-trained base's weights and the digits are" : "the digits and the head's initial weights are";
  // nsfwjs asks for Node 22.13.0 exactly (engines); npm only warns, and the script runs none of its code.
  const nsfwjs = mlp ? '' : ' The base comes from the model files of the nsfwjs package (its code is not run; npm may warn that nsfwjs wants another Node version).';
  return [
    `\`repro.mjs\` (${kb}: ${data} inlined as base64) and this \`package.json\`, attached.${nsfwjs} Then:`,
    '',
    fenced('sh', 'npm install\nnode repro.mjs   # exits 1 when the behaviour reproduces, 0 when it does not'),
    '',
    fenced('json', input.repro.packageJson),
    '',
    'The script without its data (a GitHub issue holds at most 65,536 characters):',
    '',
    fenced('js', input.repro.listing),
  ];
}

function otherInfo(input: TransferIssueInput): string[] {
  const lines = [
    `- Found by bn-suite ${input.bnSuiteVersion}, scenario ${inlineCode(input.scenario.id)} (a transfer scenario, invariant \`${input.scenario.invariant}\`).`,
    `- Scenario: ${input.scenario.description.replace(/\s*(\r?\n|\r|\u2028|\u2029)\s*/g, ' ')}`,
    `- Upstream claim: ${input.scenario.provenance.replace(/\s*(\r?\n|\r|\u2028|\u2029)\s*/g, ' ')}`,
    `- Replay token: ${inlineCode(input.run.replayToken)} (\`npx bn-suite repro '<token>'\`).`,
  ];
  if (input.knownIssue) {
    const where = input.knownIssue.issue === 'unreported' ? 'Listed by bn-suite as a known issue, not yet reported upstream' : `Known issue: ${input.knownIssue.issue}`;
    lines.push(`- ${where}. Reason recorded: ${input.knownIssue.reason}`);
  }
  const evidence = input.run.evidence;
  if (evidence !== null) lines.push(`- bn-suite's run on ${input.backend} (${seconds(input.run.durationMs)}): frozen base ${variantFigures(evidence, 'frozen')}; control ${variantFigures(evidence, 'control')}.`);
  const v = input.verification;
  if (v !== null) {
    const how = v.mode === 'page' ? `the page in headless Chromium${v.browser !== undefined ? ` ${v.browser}` : ''} on ${input.backend}, the tfjs bundles served from 127.0.0.1 in place of jsDelivr` : v.mode === 'installed' ? '`node repro.mjs` after a fresh npm install of the pinned versions' : "`node repro.mjs` with bn-suite's installed tfjs packages";
    lines.push(`- Verified: ${how}: ${formatVerification(v)} (${seconds(v.durationMs)}).`);
    if (v.mode === 'page' && v.stderr.trim() !== '') lines.push('  Console errors and warnings:', '', fenced('text', v.stderr.trimEnd()).replace(/^/gm, '  '));
  }
  return lines;
}

/** Renders ISSUE.md for a transfer repro (see the module notes). Never prints. */
export function renderTransferIssue(input: TransferIssueInput): string {
  const v = input.verification;
  const what = input.repro.kind === 'page' ? 'page' : 'script';
  const warning =
    v === null || v.reproduces ? '' : `> **Not verified**: ${v.setupError !== undefined ? `${v.setupError.replace(/\s+/g, ' ')}; run` : 'the generated ' + what + ' did not reproduce the behaviour on this machine; check'} the ${what} yourself before filing.\n\n`;
  const sections: Array<[string, string[]]> = [
    ['**Describe the current behavior**', currentBehavior(input)],
    ['**Describe the expected behavior**', expectedBehavior(input)],
    ['**Standalone code to reproduce the issue**', standaloneCode(input)],
    ['**Other info / logs**', otherInfo(input)],
  ];
  return [
    `# ${title(input)}`,
    '',
    `${warning}**System information**`,
    ...systemInformation(input.system, [input.backend], input.repro.kind, v?.browser),
    '',
    ...sections.flatMap(([heading, body]) => [heading, '', ...body, '']),
  ].join('\n');
}
