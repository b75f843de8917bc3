import * as path from 'node:path';
import { isBrowserBackend, type BackendName } from '../../engine/backends';
import { matchKnownIssue } from '../../engine/expectations/classify';
import { knownIssuesForTfjs, type KnownIssue } from '../../engine/expectations/known-issues';
import type { TransferScenario } from '../../engine/scenarios/types';
import { tf } from '../../hosts/node/tfjs';
import { seconds } from '../repro/render-issue';
import { reproduceTransfer } from '../repro/transfer-repro';
import { formatVerification, type Verification } from '../repro/verify';
import { reproDirFor } from '../repro/write-repro';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';

/** How the repro was run, as `bn-suite repro` says it. */
const VERIFIED_WITH: Record<Verification['mode'], string> = {
  linked: "node repro.mjs with bn-suite's tfjs packages",
  installed: 'node repro.mjs after npm install',
  page: 'index.html in headless Chromium, local tfjs bundles',
};

/**
 * `bn-suite repro` for a transfer scenario: runs it on the backend (it must fail there), writes
 * repro.mjs + package.json + ISSUE.md (index.html + ISSUE.md on webgl / webgpu) and verifies the
 * script or page. Exit 0 for a verified repro, 1 when it does not reproduce, 3 when it could not
 * be run; usage errors are thrown.
 */
export async function transferReproCommand(
  scenario: TransferScenario,
  request: { backend: BackendName; seed: number | undefined; out?: string; verifyInstall?: boolean },
  knownIssues: readonly KnownIssue[],
  io: CliIo,
): Promise<ExitCode> {
  const { backend } = request;
  // A transfer scenario has one seed, its own (the token carries it); another one changes nothing.
  if (request.seed !== undefined && request.seed !== scenario.seed) io.stderr(`note: ${scenario.id} runs with its own seed ${scenario.seed}, not ${request.seed}\n`);
  if (request.verifyInstall === true && isBrowserBackend(backend)) io.stderr(`note: --verify-install applies to Node repros; the ${backend} page is verified in headless Chromium with the local tfjs bundles\n`);
  const known = matchKnownIssue({ scenario: scenario.id, invariant: scenario.invariant, backend }, knownIssuesForTfjs(knownIssues, tf.version_core));
  const dir = request.out !== undefined ? path.resolve(request.out) : reproDirFor(path.resolve('reports', 'repros'), scenario.id, backend);
  const { result, repro } = await reproduceTransfer({ scenario, backend, dir, knownIssue: known, install: request.verifyInstall === true });
  io.stderr(`ran ${scenario.id} @ ${backend} in ${seconds(result.durationMs)}: ${result.status} ${result.summary}\n`);
  const [main, ...rest] = Object.keys(repro.sizes);
  io.stdout(`wrote ${path.relative(process.cwd(), repro.dir) || '.'}${path.sep} (${main} ${repro.sizes[main]} bytes${rest.map((name) => `, ${name}`).join('')})\n`);
  const v = repro.verification;
  if (v === null) return EXIT.harness;
  io.stdout(`verification (${VERIFIED_WITH[v.mode]}, ${seconds(v.durationMs)}): ${formatVerification(v)}\n`);
  if (v.setupError !== undefined) return EXIT.harness;
  return v.reproduces ? EXIT.ok : EXIT.unexpected;
}
