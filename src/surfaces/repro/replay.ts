import { nodeInvariantContext } from '../../hosts/node/services';
import * as path from 'node:path';
import { DEFAULT_CONSTRAINTS } from '../../engine/arbitraries/case';
import { activateBackend, probeBackend } from '../../hosts/node/backends';
import { BACKEND_NAMES, type BackendName } from '../../engine/backends';
import { UsageError } from '../../engine/errors';
import { INVARIANTS } from '../../engine/invariants';
import type { Invariant, InvariantContext } from '../../engine/invariants/types';
import type { CaseSpec } from '../../engine/run/case-spec';
import { runProperty } from '../../engine/run/property';
import { formatReplayToken, parseReplayToken } from '../../engine/run/replay-token';
import type { CaseVerdict } from '../../engine/run/verdict';
import { loadScenarios } from '../inputs/load-scenarios';
import type { PropertyScenario } from '../../engine/scenarios/types';
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
  /** Backends a cross-backend invariant may compare with (default: none; only backend-parity uses them). */
  otherBackends?: readonly BackendName[];
}

/** A failing case replayed on this machine. */
export interface ReplayOutcome {
  scenario: PropertyScenario;
  /** The scenario file the case came from. */
  scenarioFile: string;
  invariant: Invariant;
  backend: BackendName;
  context: InvariantContext;
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
 * Replays a failing property case exactly: loads the scenario, activates the backend, reruns
 * fast-check at the seed (and path) with shrinking on, and returns the shrunk counterexample with
 * its verdict. Throws a UsageError when the scenario is unknown or not a property scenario, the
 * backend cannot be used here, or the case passes now; a plain Error when the property machinery
 * itself fails. Never prints.
 */
export async function replayFailure(request: ReplayRequest): Promise<ReplayOutcome> {
  const started = performance.now();
  const wanted = normalizeRequest(request);
  const dir = request.scenariosDir ?? SHIPPED_SCENARIO_DIR;
  const loaded = loadScenarios(dir);
  const found = loaded.find((l) => l.scenario.id === wanted.scenario);
  if (found === undefined) {
    throw new UsageError(`unknown scenario '${wanted.scenario}' in ${dir}; known: ${loaded.map((l) => l.scenario.id).join(', ')}`);
  }
  const scenario = found.scenario;
  if (scenario.kind !== 'property') {
    throw new UsageError(`scenario '${scenario.id}' is a steps scenario (a fixed program, no generated case); repro works on property scenarios`);
  }
  if (scenario.backends !== undefined && !scenario.backends.includes(wanted.backend)) {
    throw new UsageError(`scenario '${scenario.id}' does not apply to backend '${wanted.backend}' (its backends: ${scenario.backends.join(', ')})`);
  }
  const status = await probeBackend(wanted.backend);
  if (!status.available) throw new UsageError(`backend '${wanted.backend}' is not available here (${status.kind}): ${status.reason}`);
  await activateBackend(wanted.backend);

  const invariant = INVARIANTS[scenario.invariant];
  const context: InvariantContext = nodeInvariantContext(wanted.backend, request.otherBackends ?? []);
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
