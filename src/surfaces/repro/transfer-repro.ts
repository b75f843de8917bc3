/**
 * A transfer scenario's repro folder: bn-suite's run of the scenario (given, from `bn-suite run`, or
 * run here), the capture of what the script needs, `repro.mjs` + package.json (Node backends) or
 * `index.html` (webgl, webgpu; MLP bases), verified by running it, and ISSUE.md. Never prints.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { isBrowserBackend, type BackendName } from '../../engine/backends';
import { UsageError } from '../../engine/errors';
import type { HostServices } from '../../engine/host-services';
import { INVARIANTS } from '../../engine/invariants';
import { captureTransfer, hasTransferReproTemplate, TRANSFER_REPRO_ARCHITECTURES, type TransferCapture } from '../../engine/kinds/transfer/capture-transfer';
import type { TransferEvidence } from '../../engine/kinds/transfer/evidence';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import type { TransferScenario } from '../../engine/scenarios/types';
import type { TfjsVersions } from '../../engine/tfjs';
import { BN_SUITE_VERSION } from '../../engine/version';
import { bundlesFor } from '../../hosts/browser/tfjs-bundles';
import { openHosts, type OpenHostsOptions } from '../../hosts/open-hosts';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { nodeHostServices } from '../../hosts/node/services';
import { resolveTfjsFile, tfjsVersions } from '../../hosts/node/tfjs';
import { transferEvidenceOf } from '../../results/evidence';
import { transferPackageJson, renderTransferScript, type TransferScriptInput } from './transfer-script';
import { renderTransferPage } from './transfer-page';
import { renderTransferIssue, type TransferIssueRepro } from './transfer-issue';
import { verifyReproFiles, type Verification } from './verify';
import { verifyPageRepro, type PageVerifyOptions } from './verify-page';
import { reproDirFor, systemInfo, writeReproFolder } from './write-repro';
import { matchKnownIssue } from '../../engine/expectations/classify';
import { knownIssuesForTfjs, type KnownIssue } from '../../engine/expectations/known-issues';
import type { SuiteResult } from '../../results/schema';

/** Time a transfer script or page gets to run when verified: a MobileNetV2 fine-tune takes about 30 s on wasm, more on a busy machine. */
export const TRANSFER_VERIFY_TIMEOUT_MS = 600_000;

/**
 * Throws the UsageError the CLI shows for a transfer scenario that cannot get a repro on `backend`:
 * one that does not apply there, a base without a template (the conv base), MobileNetV2 on a
 * browser backend. Said before anything runs.
 */
export function assertTransferRepro(scenario: TransferScenario, backend: BackendName): void {
  if (scenario.backends !== undefined && !scenario.backends.includes(backend)) {
    throw new UsageError(`scenario '${scenario.id}' does not apply to backend '${backend}' (its backends: ${scenario.backends.join(', ')})`);
  }
  if (!hasTransferReproTemplate(scenario.architecture)) {
    throw new UsageError(`scenario '${scenario.id}': no repro template for a transfer scenario on the ${scenario.architecture} base yet (templates exist for: ${TRANSFER_REPRO_ARCHITECTURES.join(', ')})`);
  }
  if (isBrowserBackend(backend) && scenario.architecture !== 'mlp') {
    throw new UsageError(`scenario '${scenario.id}': a ${scenario.architecture} transfer repro runs on Node backends only (its base is read from the nsfwjs package)`);
  }
}

/**
 * Runs a transfer scenario once on `backend` as `bn-suite run` does (a webgl / webgpu one in a
 * headless Chromium page) and returns its result. Throws a UsageError when the backend is not
 * available here. The browser, if one was started, is closed before this returns.
 */
export async function runTransferOnce(scenario: TransferScenario, backend: BackendName, browser?: OpenHostsOptions['browser']): Promise<ScenarioResult> {
  const hosts = await openHosts({ backends: [backend], ...(browser !== undefined ? { browser } : {}) });
  try {
    const status = hosts.statuses.find((s) => s.name === backend);
    if (status === undefined || !status.available) {
      throw new UsageError(`backend '${backend}' is not available here${status !== undefined && !status.available ? ` (${status.kind}): ${status.reason}` : ''}`);
    }
    const [result] = await hosts.host.run([{ scenario, backend, otherBackends: [], seed: scenario.seed, runs: 1 }]);
    return result;
  } finally {
    await hosts.close();
  }
}

/** What {@link writeTransferRepro} works from. */
export interface TransferReproOptions {
  scenario: TransferScenario;
  backend: BackendName;
  /** bn-suite's result of the scenario on `backend`: its summary, token, time and evidence (`transferEvidenceOf`) go into ISSUE.md. */
  result: { summary: string; replay: string; durationMs: number; evidence: TransferEvidence | null };
  dir: string;
  knownIssue?: { issue: string; reason: string } | null;
  /** Verify a Node repro after `npm install` of the pinned versions instead of with bn-suite's packages. */
  install?: boolean;
  /** The services the capture reads the pre-trained base from (default: the Node host's, with its file cache). */
  host?: HostServices;
  /** How a page is verified (Chromium, timeout); for tests. */
  page?: PageVerifyOptions;
}

/** What {@link writeTransferRepro} wrote and found. */
export interface TransferReproResult {
  dir: string;
  capture: TransferCapture;
  /** The repro's output when run (null: not run). */
  verification: Verification | null;
  /** Byte size of each written file, the main one first. */
  sizes: Record<string, number>;
}

/**
 * Captures the scenario (on `backend`, or on Node's cpu for a page: the base bn-suite pre-trains
 * there, see ISSUE.md), renders the script or page, verifies it (a page in headless Chromium on the
 * real backend), renders ISSUE.md and writes the folder atomically. The folder is written even when
 * the repro does not reproduce (ISSUE.md says so). Throws a UsageError for a scenario that cannot
 * get a repro on the backend ({@link assertTransferRepro}).
 */
export async function writeTransferRepro(options: TransferReproOptions): Promise<TransferReproResult> {
  const { scenario, backend } = options;
  assertTransferRepro(scenario, backend);
  const evidence = options.result.evidence;
  const spec = { ...scenario, profile: evidence?.profile ?? scenario.profile };
  // The page's base is pre-trained on cpu: the browser's own base never leaves the page.
  const captureBackend: BackendName = isBrowserBackend(backend) ? 'cpu' : backend;
  const status = await probeBackend(captureBackend);
  if (!status.available) throw new UsageError(`cannot capture ${scenario.id} on ${captureBackend}: the backend is unavailable (${status.reason})`);
  await activateBackend(captureBackend);
  const capture = await captureTransfer(spec, options.host ?? nodeHostServices());

  const input = (elideData: boolean): TransferScriptInput => ({ scenario, backend, capture, bnSuiteVersion: BN_SUITE_VERSION, elideData });
  let files: Record<string, string>;
  let repro: TransferIssueRepro;
  let verification: Verification | null;
  let versions: TfjsVersions;
  if (isBrowserBackend(backend)) {
    const set = bundlesFor(backend, resolveTfjsFile);
    if (!set.ok) throw new UsageError(`cannot write a ${backend} page repro: ${set.reason}`);
    versions = set.tfjs;
    const html = renderTransferPage({ ...input(false), backend, bundles: set.bundles });
    verification = await verifyPageRepro(html, backend, { timeoutMs: TRANSFER_VERIFY_TIMEOUT_MS, ...options.page });
    files = { 'index.html': html };
    repro = { kind: 'page', listing: renderTransferPage({ ...input(true), backend, bundles: set.bundles }), bytes: Buffer.byteLength(html) };
  } else {
    versions = tfjsVersions();
    const script = renderTransferScript(input(false));
    const packageJson = transferPackageJson(backend, versions, capture.architecture);
    verification = await verifyReproFiles(script, packageJson, { install: options.install === true, timeoutMs: TRANSFER_VERIFY_TIMEOUT_MS });
    files = { 'repro.mjs': script, 'package.json': packageJson };
    repro = { kind: 'script', listing: renderTransferScript(input(true)), packageJson, bytes: Buffer.byteLength(script) };
  }
  const issue = renderTransferIssue({
    scenario,
    contract: INVARIANTS[scenario.invariant].contract,
    backend,
    capture,
    repro,
    system: systemInfo(versions),
    bnSuiteVersion: BN_SUITE_VERSION,
    run: { summary: options.result.summary, replayToken: options.result.replay, evidence, durationMs: options.result.durationMs },
    knownIssue: options.knownIssue ?? null,
    verification,
  });
  files['ISSUE.md'] = issue;
  writeReproFolder(options.dir, files as Parameters<typeof writeReproFolder>[1]);
  return { dir: path.resolve(options.dir), capture, verification, sizes: Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.byteLength(text)])) };
}

/**
 * The repro of a transfer scenario that `bn-suite repro` names: runs it once on the backend, which
 * must fail there (a pass is a UsageError: nothing to reproduce; an error or unsupported verdict is
 * said as such), then {@link writeTransferRepro}. Returns the run's result too.
 */
export async function reproduceTransfer(
  options: Omit<TransferReproOptions, 'result'> & { browser?: OpenHostsOptions['browser'] },
): Promise<{ result: ScenarioResult; repro: TransferReproResult }> {
  const { scenario, backend } = options;
  assertTransferRepro(scenario, backend);
  const result = await runTransferOnce(scenario, backend, options.browser);
  const where = `${scenario.id} @ ${backend}`;
  if (result.status === 'pass') throw new UsageError(`${where} does not reproduce: bn-suite's run passes (${describeGap(transferEvidenceOf(result))})`);
  if (result.status === 'unsupported') throw new UsageError(`${where} is unsupported here: ${result.summary}`);
  if (result.status === 'error') throw new UsageError(`${where}: tfjs throws in this scenario (${result.summary.split('\n')[0]}); transfer repros show accuracies, not throws: the replay token reruns it (${result.replay})`);
  return { result, repro: await writeTransferRepro({ ...options, result: { ...result, evidence: transferEvidenceOf(result) } }) };
}

function describeGap(evidence: TransferEvidence | null): string {
  if (evidence === null) return 'no evidence';
  const gap = evidence.variants[evidence.variant].gapPoints.at(-1);
  return `the ${evidence.variant} variant's gap is ${typeof gap === 'number' ? gap.toFixed(1) : '?'} points, within ${evidence.maxGapPoints}`;
}

/**
 * The repro of a failing transfer result of `bn-suite run` (`run --repro`), into
 * `root/<scenario>-<backend>/`, from the result itself (nothing is run again but the capture and the
 * repro). What cannot be written is returned with the reason, never thrown.
 */
export async function transferRunRepro(
  scenario: TransferScenario,
  result: SuiteResult['results'][number],
  root: string,
  suite: SuiteResult,
  knownIssues: readonly KnownIssue[],
): Promise<{ written: true; dir: string; verification: Verification | null } | { written: false; reason: string }> {
  try {
    const repro = await writeTransferRepro({
      scenario,
      backend: result.backend,
      result: { ...result, evidence: transferEvidenceOf(result) },
      dir: reproDirFor(root, result.scenario, result.backend),
      knownIssue: matchKnownIssue(result, knownIssuesForTfjs(knownIssues, suite.tfjs['@tensorflow/tfjs-core'])),
    });
    return { written: true, dir: repro.dir, verification: repro.verification };
  } catch (error) {
    return { written: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
