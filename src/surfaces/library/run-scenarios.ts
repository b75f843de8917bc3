import type { BackendName } from '../../engine/backends';
import { DEFAULT_RUNS, DEFAULT_SEED } from '../../engine/defaults';
import { UsageError } from '../../engine/errors';
import type { KnownIssue } from '../../engine/expectations/known-issues';
import { bindTfjs, type TfjsBinding } from '../../engine/tfjs';
import { backendsToProbe, selectBackends } from '../../hosts/node/backends';
import { openHosts } from '../../hosts/open-hosts';
import { runSuite } from '../../hosts/node/run-suite';
import type { SuiteResult } from '../../results/schema';
import { loadKnownIssues } from '../inputs/known-issues-file';
import { loadScenarios, selectScenarios } from '../inputs/load-scenarios';
import { defaultExpectationsFile, SHIPPED_SCENARIOS } from '../paths';

/** Options of {@link runScenarios}; every field has a default. */
export interface RunScenariosOptions {
  /** Scenario folder (default: the scenarios bn-suite ships). */
  scenarios?: string;
  /** Scenario ids, globs (`oracle/*`) or tags, comma-separated (default: all). */
  select?: string;
  /** Backends (default: every available one). Naming an unavailable backend throws with its reason. */
  backends?: readonly BackendName[];
  /** fast-check seed (default: bn-suite's fixed seed). */
  seed?: number;
  /** Generated cases per property scenario and backend (default 10). */
  runs?: number;
  /**
   * Known issues: a known-issues YAML file, the entries themselves, or `false` for none. Default:
   * the shipped file when running the shipped scenarios, none otherwise.
   */
  knownIssues?: string | readonly KnownIssue[] | false;
  /** Data profile of transfer scenarios. */
  profile?: 'quick' | 'full';
  /** Folder of the pre-trained-base cache (default `.bn-suite-cache` in the working directory). */
  cacheDir?: string;
  /**
   * The tfjs to run on (`{ tf, tfl }` namespaces). Default: the `@tensorflow/tfjs-core` and
   * `-layers` that Node resolves from bn-suite (the host project's). Backends are still loaded by
   * package name, so they must register into this tfjs-core.
   */
  tfjs?: TfjsBinding;
}

/** The known issues of a scenario folder when none are given (see defaultExpectationsFile). */
function loadDefaultKnownIssues(scenarioDir: string): KnownIssue[] {
  const file = defaultExpectationsFile(scenarioDir);
  return file === null ? [] : loadKnownIssues(file);
}

/**
 * Runs scenarios on the host project's tfjs and returns the results document (the same as
 * `bn-suite run` writes to results.json). Prints nothing and writes nothing except the base cache.
 *
 * @example
 * const suite = await runScenarios({ select: 'oracle/affine', backends: ['cpu'], runs: 3 });
 * suite.summary.asExpected; // true when every verdict is as the known issues expect
 * @throws UsageError for an invalid scenario folder, selector or known-issues file, or an unavailable backend
 */
export async function runScenarios(options: RunScenariosOptions = {}): Promise<SuiteResult> {
  // Without an explicit tfjs, the Node host binds the host project's on first use.
  if (options.tfjs !== undefined) bindTfjs(options.tfjs);
  const dir = options.scenarios ?? SHIPPED_SCENARIOS;
  const scenarios = selectScenarios(loadScenarios(dir), options.select);
  const knownIssues =
    options.knownIssues === false
      ? []
      : typeof options.knownIssues === 'string'
        ? loadKnownIssues(options.knownIssues)
        : (options.knownIssues ?? loadDefaultKnownIssues(dir));
  const request = options.backends?.join(',');
  // webgl and webgpu start a headless Chromium (when one is found) for the run, closed after it.
  const hosts = await openHosts({ backends: backendsToProbe(request), ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}) });
  try {
    const statuses = hosts.statuses;
    const { selected } = selectBackends(request, statuses);
    if (selected.length === 0) throw new UsageError('no tfjs backend is available to run on');
    return await runSuite({
      scenarios,
      backends: selected,
      backendStatuses: statuses,
      knownIssues,
      seed: options.seed ?? DEFAULT_SEED,
      runs: options.runs ?? DEFAULT_RUNS,
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
      host: hosts.host,
    });
  } finally {
    await hosts.close();
  }
}
