import { matchKnownIssue } from '../../engine/expectations/classify';
import * as path from 'node:path';
import { UsageError } from '../../engine/errors';
import { loadKnownIssues } from '../inputs/known-issues-file';
import { knownIssuesForTfjs } from '../../engine/expectations/known-issues';
import { findReplayScenario, replayFailure, runJobInPage } from '../repro/replay';
import { parseReplayToken } from '../../engine/run/replay-token';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import { writeStepsRepro } from '../repro/steps-script';
import { transferReproCommand } from './transfer-repro-command';
import type { StepsScenario } from '../../engine/scenarios/types';
import type { KnownIssue } from '../../engine/expectations/known-issues';
import { INVARIANTS } from '../../engine/invariants';
import { runScenario } from '../../engine/run/run-scenario';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { nodeInvariantContext } from '../../hosts/node/services';
import { seconds } from '../repro/render-issue';
import { hasReproTemplate, REPRO_TEMPLATES } from '../repro/render-script';
import { formatVerification, type Verification } from '../repro/verify';
import { createRepro, reproDirFor, type ReproFileName, type ReproReport } from '../repro/write-repro';
import { isBrowserBackend, type BackendName } from '../../engine/backends';
import { tf, tfjsVersions } from '../../hosts/node/tfjs';
import { EXIT, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { defaultExpectationsFile, SHIPPED_SCENARIOS } from '../paths';

/** Flags of `bn-suite repro`, as commander hands them over. */
export interface ReproFlags {
  scenario?: string;
  backend?: string;
  seed?: string;
  path?: string;
  scenarios?: string;
  expectations?: string;
  out?: string;
  verifyInstall?: boolean;
}

/** The known-issue entry covering (scenario, invariant, backend), as `bn-suite run` matches them. */
function parseSeedFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seed = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(seed)) throw new UsageError(`--seed '${raw}': expected an integer`);
  return seed;
}

const VERIFIED_HOW: Record<Verification['mode'], string> = {
  linked: "node repro.mjs with bn-suite's tfjs packages",
  installed: 'node repro.mjs after npm install',
  page: 'index.html in headless Chromium, local tfjs bundles',
};

function describeReport(report: ReproReport, backend: BackendName): string {
  const lines: string[] = [];
  const m = report.minimize;
  if (m !== null) {
    lines.push(`minimised: ${m.attempts} attempts in ${seconds(m.durationMs)}, ${m.reductions.length} reduction(s)${m.reductions.length > 0 ? `: ${m.reductions.join('; ')}` : ''}`);
  } else if (isBrowserBackend(backend)) {
    lines.push(`not minimised: bn-suite minimises in Node; this is the page's shrunk counterexample on ${backend}`);
  }
  // The main file with its size (what a reader opens), then the rest.
  const [main, ...rest] = Object.keys(report.sizes) as ReproFileName[];
  lines.push(`wrote ${path.relative(process.cwd(), report.dir) || '.'}${path.sep} (${main} ${report.sizes[main]} bytes${rest.map((name) => `, ${name}`).join('')})`);
  if (report.verification !== null) lines.push(`verification (${VERIFIED_HOW[report.verification.mode]}): ${formatVerification(report.verification)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `bn-suite repro <token>` / `--scenario --backend --seed`: replay the failure, minimize it, write
 * repro.mjs + package.json + ISSUE.md, and verify the script in a fresh process. For webgl and
 * webgpu the replay runs in a headless Chromium page and the repro is index.html + ISSUE.md,
 * verified in a fresh page (not minimised). Exit 0 for a verified repro, 1 when it does not
 * reproduce, 2 usage errors (thrown), 3 harness failures (including a repro that could not be run).
 */
export async function reproCommand(token: string | undefined, flags: ReproFlags, io: CliIo): Promise<ExitCode> {
  const seed = parseSeedFlag(flags.seed);
  if (token === undefined && flags.scenario === undefined && flags.backend === undefined && seed === undefined) {
    throw new UsageError('repro needs a replay token (bn-suite:<scenario>@<backend>?seed=..&path=..&tfjs=..) or --scenario, --backend and --seed');
  }
  const expectationsFile = flags.expectations ?? defaultExpectationsFile(flags.scenarios ?? SHIPPED_SCENARIOS);
  const knownIssues = expectationsFile === null ? [] : loadKnownIssues(expectationsFile);
  const request = {
    ...(token !== undefined ? { token } : {}),
    ...(flags.scenario !== undefined ? { scenario: flags.scenario } : {}),
    ...(flags.backend !== undefined ? { backend: flags.backend } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(flags.path !== undefined ? { path: flags.path } : {}),
    scenariosDir: flags.scenarios ?? SHIPPED_SCENARIOS,
  };
  const { wanted, found } = findReplayScenario(request);
  if (found.scenario.kind === 'steps') return stepsRepro(found.scenario, wanted.backend, flags, knownIssues, io);
  if (found.scenario.kind === 'transfer') return transferReproCommand(found.scenario, { ...flags, ...wanted }, knownIssues, io);
  // Said before the replay: no point replaying what cannot become a script.
  if (!hasReproTemplate(found.scenario.invariant)) {
    throw new UsageError(`no repro template for invariant ${found.scenario.invariant} yet (scenario ${found.scenario.id}; templates exist for: ${REPRO_TEMPLATES.join(', ')})`);
  }
  const replay = await replayFailure(request);
  io.stderr(`replayed ${replay.scenario.id} @ ${replay.backend} in ${seconds(replay.durationMs)}: ${replay.verdict.status} ${replay.verdict.summary}\n`);
  if (replay.tokenTfjs !== undefined && replay.tokenTfjs !== tf.version_core) {
    io.stderr(`note: the token came from tfjs ${replay.tokenTfjs}; this is tfjs ${tf.version_core}\n`);
  }
  if (flags.verifyInstall && isBrowserBackend(replay.backend)) {
    io.stderr(`note: --verify-install applies to Node repros; the ${replay.backend} page is verified in headless Chromium with the local tfjs bundles\n`);
  }
  const known = matchKnownIssue({ scenario: replay.scenario.id, invariant: replay.scenario.invariant, backend: replay.backend }, knownIssuesForTfjs(knownIssues, tf.version_core));
  const outDir = flags.out !== undefined ? path.resolve(flags.out) : reproDirFor(path.resolve('reports', 'repros'), replay.scenario.id, replay.backend);
  const report = await createRepro({
    scenario: { id: replay.scenario.id, description: replay.scenario.description, invariant: replay.scenario.invariant },
    backend: replay.backend,
    counterexample: replay.counterexample,
    verdict: replay.verdict,
    ...(replay.context !== null ? { context: replay.context } : {}),
    runSummary: replay.verdict.summary,
    outDir,
    replayToken: replay.token,
    knownIssue: known,
    verify: flags.verifyInstall ? 'install' : 'link',
  });
  io.stdout(describeReport(report, replay.backend));
  const verification = report.verification;
  if (verification?.setupError !== undefined) return EXIT.harness;
  return verification?.reproduces ? EXIT.ok : EXIT.unexpected;
}


/**
 * A steps scenario's repro: runs the program once on the backend (it must fail here), then writes
 * repro.mjs made from the program and verifies it. Node backends only.
 */
async function stepsRepro(scenario: StepsScenario, backend: BackendName, flags: ReproFlags, knownIssues: readonly KnownIssue[], io: CliIo): Promise<ExitCode> {
  if (scenario.backends !== undefined && !scenario.backends.includes(backend)) {
    throw new UsageError(`scenario '${scenario.id}' does not apply to backend '${backend}' (its backends: ${scenario.backends.join(', ')})`);
  }
  let result: ScenarioResult;
  if (isBrowserBackend(backend)) {
    // The program runs in a page on the backend, as bn-suite run runs it.
    result = await runJobInPage({ scenario, backend, otherBackends: [], seed: scenario.seed, runs: 1 });
  } else {
    const status = await probeBackend(backend);
    if (!status.available) throw new UsageError(`backend '${backend}' is not available here (${status.kind}): ${status.reason}`);
    await activateBackend(backend);
    result = await runScenario(scenario, INVARIANTS[scenario.invariant], nodeInvariantContext(backend, []), { seed: scenario.seed, runs: 1 });
  }
  io.stderr(`ran ${scenario.id} @ ${backend}${isBrowserBackend(backend) ? ' (in a Chromium page)' : ''} in ${seconds(result.durationMs)}: ${result.status} ${result.summary}\n`);
  if (result.status === 'pass') throw new UsageError(`${scenario.id} @ ${backend} does not reproduce on tfjs ${parseReplayToken(result.replay).tfjs}: every expectation holds`);
  // A throw from tfjs is a verdict too: the script shows the step that throws.
  if (result.status !== 'fail' && result.status !== 'error') throw new UsageError(`${scenario.id} @ ${backend} is ${result.status} here (${result.summary}); there is no behaviour to reproduce`);
  const known = matchKnownIssue({ scenario: scenario.id, invariant: scenario.invariant, backend }, knownIssuesForTfjs(knownIssues, tf.version_core));
  const dir = flags.out !== undefined ? path.resolve(flags.out) : reproDirFor(path.resolve('reports', 'repros'), scenario.id, backend);
  if (flags.verifyInstall && isBrowserBackend(backend)) io.stderr(`note: --verify-install applies to Node repros; the ${backend} page is verified in headless Chromium with the local tfjs bundles\n`);
  const report = await writeStepsRepro({ scenario, backend, dir, versions: tfjsVersions(), runSummary: result.summary, replayToken: result.replay, knownIssue: known, install: flags.verifyInstall === true });
  const [main, ...rest] = Object.keys(report.sizes) as ReproFileName[];
  io.stdout(
    `wrote ${path.relative(process.cwd(), report.dir) || '.'}${path.sep} (${main} ${report.sizes[main]} bytes${rest.map((name) => `, ${name}`).join('')})\n` +
      `verification (${VERIFIED_HOW[report.verification.mode]}): ${formatVerification(report.verification)}\n`,
  );
  if (report.verification.setupError !== undefined) return EXIT.harness;
  return report.verification.reproduces ? EXIT.ok : EXIT.unexpected;
}
