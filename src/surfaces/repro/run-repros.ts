import { matchKnownIssue } from '../../engine/expectations/classify';
import { UsageError } from '../../engine/errors';
import { knownIssuesForTfjs, type KnownIssue } from '../../engine/expectations/known-issues';
import type { LoadedScenario } from '../../engine/scenarios/types';
import { activateBackend } from '../../hosts/node/backends';
import { comparedBackends, isBrowserBackend } from '../../engine/backends';
import type { SuiteResult } from '../../results/schema';
import { hasReproTemplate } from './render-script';
import type { Verification } from './verify';
import { createRepro, reproDirFor, thrownVerdict } from './write-repro';
import { writeStepsRepro } from './steps-script';
import { transferRunRepro } from './transfer-repro';
import type { StepsScenario } from '../../engine/scenarios/types';

/** What became of one failing result's repro. */
export type RunRepro =
  | { label: string; written: true; dir: string; verification: Verification | null }
  | { label: string; written: false; reason: string };

/**
 * Writes a verified repro for every failing or error result of a run whose invariant has a template
 * (an error's repro reproduces the throw), and for every failing or throwing steps scenario on a
 * Node backend (repro.mjs made from its program), into
 * `root/<scenario>-<backend>/`: repro.mjs for a Node backend, index.html verified in headless
 * Chromium for webgl and webgpu (from the result's own counterexample, not minimized). A result
 * that cannot be turned into a repro (a transfer scenario on a base without a template, a harness problem) is reported in the
 * returned list and skipped: never fatal. Never prints.
 */
export async function writeRunRepros(suite: SuiteResult, root: string, scenarios: readonly LoadedScenario[], knownIssues: readonly KnownIssue[]): Promise<RunRepro[]> {
  const repros: RunRepro[] = [];
  for (const result of suite.results) {
    if (result.status !== 'fail' && result.status !== 'error') continue;
    const scenario = scenarios.find((s) => s.scenario.id === result.scenario)?.scenario;
    const label = `${result.scenario} (${result.invariant}) @ ${result.backend}`;
    if (scenario?.kind === 'steps') {
      repros.push(await stepsRunRepro(scenario, result, root, suite, knownIssues, label));
      continue;
    }
    if (scenario?.kind === 'transfer') {
      repros.push({ label, ...(await transferRunRepro(scenario, result, root, suite, knownIssues)) });
      continue;
    }
    if (!hasReproTemplate(result.invariant)) continue;
    try {
      if (result.counterexample === null) throw new UsageError(`a ${scenario?.kind ?? 'fixed'} scenario has no generated case; repro works on property scenarios`);
      // A browser backend has no Node backend to activate: its repro runs in a page.
      if (!isBrowserBackend(result.backend)) await activateBackend(result.backend);
      const report = await createRepro({
        scenario: { id: result.scenario, description: scenario?.description ?? '', invariant: result.invariant },
        backend: result.backend,
        counterexample: result.counterexample,
        // An error's verdict says what was thrown (a page repro reproduces its page's throw).
        ...thrownVerdict(result),
        otherBackends: comparedBackends(result.backend, suite.backends.filter((b) => b.available).map((b) => b.name)),
        outDir: reproDirFor(root, result.scenario, result.backend),
        replayToken: result.replay,
        runSummary: result.summary,
        knownIssue: matchKnownIssue(result, knownIssuesForTfjs(knownIssues, suite.tfjs['@tensorflow/tfjs-core'])),
      });
      repros.push({ label, written: true, dir: report.dir, verification: report.verification });
    } catch (error) {
      repros.push({ label, written: false, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return repros;
}

/** A failing or throwing steps result's repro: repro.mjs on a Node backend, index.html on webgl / webgpu. */
async function stepsRunRepro(scenario: StepsScenario, result: SuiteResult['results'][number], root: string, suite: SuiteResult, knownIssues: readonly KnownIssue[], label: string): Promise<RunRepro> {
  try {
    // A page repro captures on Node's cpu itself; a Node repro runs on the result's backend.
    if (!isBrowserBackend(result.backend)) await activateBackend(result.backend);
    const report = await writeStepsRepro({
      scenario,
      backend: result.backend,
      dir: reproDirFor(root, result.scenario, result.backend),
      versions: suite.tfjs,
      runSummary: result.summary,
      replayToken: result.replay,
      knownIssue: matchKnownIssue(result, knownIssuesForTfjs(knownIssues, suite.tfjs['@tensorflow/tfjs-core'])),
    });
    return { label, written: true, dir: report.dir, verification: report.verification };
  } catch (error) {
    return { label, written: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
