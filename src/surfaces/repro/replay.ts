import { nodeInvariantContext } from '../../hosts/node/services';
import * as path from 'node:path';
import { DEFAULT_CONSTRAINTS } from '../../engine/arbitraries/case';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { BACKEND_NAMES, comparedBackends, isBrowserBackend, NODE_BACKENDS, type BackendName, type BrowserBackendName } from '../../engine/backends';
import { HarnessError, UsageError } from '../../engine/errors';
import { INVARIANTS } from '../../engine/invariants';
import type { Invariant, InvariantContext } from '../../engine/invariants/types';
import type { CaseSpec } from '../../engine/run/case-spec';
import type { Job } from '../../engine/run/job';
import { runProperty } from '../../engine/run/property';
import type { ScenarioResult } from '../../engine/run/run-scenario';
import { formatReplayToken, parseReplayToken } from '../../engine/run/replay-token';
import type { CaseVerdict } from '../../engine/run/verdict';
import { loadScenarios } from '../inputs/load-scenarios';
import type { LoadedScenario, PropertyScenario } from '../../engine/scenarios/types';
import { openHosts, type OpenHostsOptions } from '../../hosts/open-hosts';
import { tf } from '../../hosts/node/tfjs';

/** The scenarios bn-suite ships (package root / scenarios), the default scenario folder. */
export const SHIPPED_SCENARIO_DIR = path.resolve(__dirname, '..', '..', '..', 'scenarios');

/** Cases generated when replaying without a fast-check path (the `bn-suite run` default). */
const DEFAULT_REPLAY_RUNS = 10;

/** What to replay: a replay token, or a scenario id + backend + seed (and optionally a path). */
export interface ReplayRequest {
  /** A replay token, `bn-suite:<scenario>@<backend>?seed=..&path=..&tfjs=..`. */
  token?: string;
  scenario?: string;
  backend?: string;
  seed?: number;
  /** fast-check path; without it the property runs `runs` cases from the seed and shrinks the first failure. */
  path?: string;
  /** Scenario folder (default: the shipped one). */
  scenariosDir?: string;
  /** Cases to generate when no path is given (default 10, as `bn-suite run`). */
  runs?: number;
  /**
   * Backends a cross-backend invariant may compare with (only backend-parity uses them; default: for
   * backend-parity the Node backends available here, or cpu in a page, as `bn-suite run` compares).
   */
  otherBackends?: readonly BackendName[];
  /** Browser host settings for a webgl/webgpu replay (a Chromium, a job timeout); injected by tests. */
  browser?: OpenHostsOptions['browser'];
}

/** A failing case replayed on this machine. */
export interface ReplayOutcome {
  scenario: PropertyScenario;
  /** The scenario file the case came from. */
  scenarioFile: string;
  invariant: Invariant;
  backend: BackendName;
  /**
   * The context the case was checked in, for re-checks (minimization); null for a browser backend,
   * whose cases are checked in a page, not in this process.
   */
  context: InvariantContext | null;
  seed: number;
  /** fast-check path of the (re-)shrunk counterexample. */
  path: string | undefined;
  /** A token for this replay (tfjs version of this process). */
  token: string;
  /** tfjs version the request's token was made with, when one was given. */
  tokenTfjs: string | undefined;
  /** The shrunk failing case and its verdict (never a pass). */
  counterexample: CaseSpec;
  verdict: Exclude<CaseVerdict, { status: 'pass' }>;
  shrinks: number;
  durationMs: number;
}

function normalizeRequest(request: ReplayRequest): { scenario: string; backend: BackendName; seed: number; path: string | undefined; tokenTfjs: string | undefined } {
  if (request.token !== undefined) {
    if (request.scenario !== undefined || request.backend !== undefined || request.seed !== undefined) {
      throw new UsageError('give either a replay token or --scenario/--backend/--seed, not both');
    }
    const token = parseReplayToken(request.token);
    return { scenario: token.scenario, backend: token.backend, seed: token.seed, path: request.path ?? token.path, tokenTfjs: token.tfjs };
  }
  const missing = (['scenario', 'backend', 'seed'] as const).filter((key) => request[key] === undefined);
  if (missing.length > 0) throw new UsageError(`a replay needs a token or all of --scenario, --backend and --seed (missing: ${missing.map((m) => `--${m}`).join(', ')})`);
  const backend = request.backend as string;
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) throw new UsageError(`unknown backend '${backend}'; allowed: ${BACKEND_NAMES.join(', ')}`);
  if (!Number.isSafeInteger(request.seed)) throw new UsageError(`seed ${String(request.seed)}: expected an integer`);
  return { scenario: request.scenario as string, backend: backend as BackendName, seed: request.seed as number, path: request.path, tokenTfjs: undefined };
}

/**
 * The scenario and backend a replay request names (a token, or --scenario/--backend/--seed),
 * loaded from its folder. Throws a UsageError for a malformed request or an unknown scenario.
 */
export function findReplayScenario(request: ReplayRequest): { wanted: ReturnType<typeof normalizeRequest>; found: LoadedScenario } {
  const wanted = normalizeRequest(request);
  const dir = request.scenariosDir ?? SHIPPED_SCENARIO_DIR;
  const loaded = loadScenarios(dir);
  const found = loaded.find((l) => l.scenario.id === wanted.scenario);
  if (found === undefined) {
    throw new UsageError(`unknown scenario '${wanted.scenario}' in ${dir}; known: ${loaded.map((l) => l.scenario.id).join(', ')}`);
  }
  return { wanted, found };
}

/**
 * Replays a failing property case exactly: loads the scenario, activates the backend, reruns
 * fast-check at the seed (and path) with shrinking on, and returns the shrunk counterexample with
 * its verdict. Throws a UsageError when the scenario is unknown or not a property scenario, the
 * backend cannot be used here, or the case passes now; a plain Error when the property machinery
 * itself fails. Never prints.
 */
export async function replayFailure(request: ReplayRequest): Promise<ReplayOutcome> {
  const started = performance.now();
  const { wanted, found } = findReplayScenario(request);
  const scenario = found.scenario;
  if (scenario.kind !== 'property') {
    throw new UsageError(`scenario '${scenario.id}' is a steps scenario (a fixed program, no generated case); repro works on property scenarios`);
  }
  if (scenario.backends !== undefined && !scenario.backends.includes(wanted.backend)) {
    throw new UsageError(`scenario '${scenario.id}' does not apply to backend '${wanted.backend}' (its backends: ${scenario.backends.join(', ')})`);
  }
  const otherBackends = request.otherBackends ?? (scenario.invariant === 'backend-parity' ? await availableComparedBackends(wanted.backend) : []);
  if (isBrowserBackend(wanted.backend)) return replayInPage({ ...found, scenario }, { ...wanted, backend: wanted.backend }, { ...request, otherBackends }, started);
  const status = await probeBackend(wanted.backend);
  if (!status.available) throw new UsageError(`backend '${wanted.backend}' is not available here (${status.kind}): ${status.reason}`);
  await activateBackend(wanted.backend);

  const invariant = INVARIANTS[scenario.invariant];
  const context: InvariantContext = nodeInvariantContext(wanted.backend, otherBackends);
  const constraints = { ...DEFAULT_CONSTRAINTS, ...scenario.vary };
  const outcome = await runProperty(invariant, constraints, context, {
    seed: wanted.seed,
    runs: request.runs ?? DEFAULT_REPLAY_RUNS,
    ...(wanted.path !== undefined ? { path: wanted.path } : {}),
    shrink: true,
  });
  await activateBackend(wanted.backend);

  const where = `${scenario.id} @ ${wanted.backend} (seed ${wanted.seed}${wanted.path !== undefined ? `, path ${wanted.path}` : ''})`;
  const since = wanted.tokenTfjs !== undefined && wanted.tokenTfjs !== tf.version_core ? `; the token came from tfjs ${wanted.tokenTfjs}` : '';
  if (outcome.counterexample === null) {
    if (outcome.harnessError !== undefined) throw new Error(`replaying ${where} failed inside the property machinery: ${outcome.harnessError}`);
    throw new UsageError(`${where} does not reproduce on tfjs ${tf.version_core}: the case ${outcome.status === 'unsupported' ? 'is unsupported' : 'passes'} now${since}`);
  }
  const verdict = outcome.counterexample.verdict;
  if (verdict.status === 'pass') throw new UsageError(`${where} does not reproduce on tfjs ${tf.version_core}: the case passes now${since}`);
  return {
    scenario,
    scenarioFile: found.file,
    invariant,
    backend: wanted.backend,
    context,
    seed: wanted.seed,
    path: outcome.path,
    token: formatReplayToken({ scenario: scenario.id, backend: wanted.backend, seed: wanted.seed, ...(outcome.path !== undefined ? { path: outcome.path } : {}), tfjs: tf.version_core }),
    tokenTfjs: wanted.tokenTfjs,
    counterexample: outcome.counterexample.spec,
    verdict,
    shrinks: outcome.shrinks,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The backends `bn-suite run` compares `backend` with, among those available here: cpu for a page, the other Node backends otherwise. */
async function availableComparedBackends(backend: BackendName): Promise<BackendName[]> {
  if (isBrowserBackend(backend)) return comparedBackends(backend, []);
  const available: BackendName[] = [];
  for (const name of NODE_BACKENDS) if (name !== backend && (await probeBackend(name)).available) available.push(name);
  return comparedBackends(backend, available);
}

/**
 * How many cases a page replay generates. A page job takes a seed and a number of runs, not a
 * fast-check path; the path's first number is the index of the first failing case, and fast-check
 * draws cases from the seed in order, so generating at least that many reaches the same failure,
 * which is then shrunk again.
 */
export function runsToReach(path: string | undefined, runs: number): number {
  const first = path?.split(':')[0];
  const index = first !== undefined && /^\d+$/.test(first) ? Number(first) : -1;
  return Math.max(runs, index + 1);
}

/**
 * Runs one job in a headless Chromium page on its (browser) backend, as `bn-suite run` does, and
 * closes the browser. Throws a UsageError naming why when the backend cannot run here.
 */
export async function runJobInPage(job: Job & { backend: BrowserBackendName }, browser?: OpenHostsOptions['browser']): Promise<ScenarioResult> {
  const hosts = await openHosts({ backends: [job.backend], ...(browser !== undefined ? { browser } : {}) });
  try {
    const status = hosts.statuses.find((s) => s.name === job.backend);
    if (status === undefined || !status.available) {
      throw new UsageError(`backend '${job.backend}' is not available here${status !== undefined && !status.available ? ` (${status.kind}): ${status.reason}` : ''}`);
    }
    const [result] = await hosts.host.run([job]);
    return result;
  } finally {
    await hosts.close();
  }
}

/**
 * {@link replayFailure} for webgl and webgpu: runs the scenario as a job in a headless Chromium
 * page on that backend (the browser host), from the seed, with shrinking, as `bn-suite run` did,
 * and takes the page's shrunk counterexample. The browser is closed before this returns.
 */
async function replayInPage(
  found: { scenario: PropertyScenario; file: string },
  wanted: { scenario: string; backend: BrowserBackendName; seed: number; path: string | undefined; tokenTfjs: string | undefined },
  request: ReplayRequest,
  started: number,
): Promise<ReplayOutcome> {
  const { scenario } = found;
  const backend = wanted.backend;
  const result = await runJobInPage(
    { scenario, backend, otherBackends: [...(request.otherBackends ?? [])], seed: wanted.seed, runs: runsToReach(wanted.path, request.runs ?? DEFAULT_REPLAY_RUNS) },
    request.browser,
  );
  // The page's token names the tfjs its bundles are (the tfjs under test).
  const replayed = parseReplayToken(result.replay);
  const tfjsCore = replayed.tfjs;
  const where = `${scenario.id} @ ${backend} (seed ${wanted.seed}${wanted.path !== undefined ? `, path ${wanted.path}` : ''}, in a Chromium page)`;
  const since = wanted.tokenTfjs !== undefined && wanted.tokenTfjs !== tfjsCore ? `; the token came from tfjs ${wanted.tokenTfjs}` : '';
  if (result.status === 'pass' || result.status === 'unsupported') {
    throw new UsageError(`${where} does not reproduce on tfjs ${tfjsCore}: the case ${result.status === 'unsupported' ? 'is unsupported' : 'passes'} now${since}`);
  }
  // A failure without a case is the page's (a crash, a hang, the property machinery), not tfjs's.
  if (result.counterexample === null) throw new HarnessError(`replaying ${where} failed: ${result.summary}`);
  // The result's status, summary and evidence are the failing case's verdict, as the page computed it.
  const verdict = { status: result.status, summary: result.summary, evidence: result.evidence } as Exclude<CaseVerdict, { status: 'pass' }>;
  return {
    scenario,
    scenarioFile: found.file,
    invariant: INVARIANTS[scenario.invariant],
    backend,
    context: null,
    seed: wanted.seed,
    path: replayed.path,
    token: result.replay,
    tokenTfjs: wanted.tokenTfjs,
    counterexample: result.counterexample,
    verdict,
    shrinks: result.shrinks,
    durationMs: Math.round(performance.now() - started),
  };
}
