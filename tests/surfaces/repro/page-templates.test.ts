import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_BACKENDS } from '../../../src/engine/backends';
import { DEFAULT_SEED } from '../../../src/engine/defaults';
import { INVARIANT_IDS, type InvariantId } from '../../../src/engine/invariants/types';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import { bundlesFor } from '../../../src/hosts/browser/tfjs-bundles';
import { resolveTfjsFile } from '../../../src/hosts/node/tfjs';
import { renderPageRepro } from '../../../src/surfaces/repro/render-page';
import { captureCase } from '../../../src/surfaces/repro/render-script';
import { replayFailure } from '../../../src/surfaces/repro/replay';
import { formatVerification } from '../../../src/surfaces/repro/verify';
import { createRepro, type ReproReport } from '../../../src/surfaces/repro/write-repro';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { caseSpec } from '../../helpers/fixtures';
import { pageSkipReason } from './page-skip';

const tempDir = useCpuAndTempDir('bn-suite-page-templates-');

/** A page repro of `spec`, verified in Chromium on `backend`; fails with what the page printed when it gave no result. */
async function pageRepro(backend: (typeof BROWSER_BACKENDS)[number], id: string, invariant: InvariantId, spec: CaseSpec): Promise<ReproReport> {
  const report = await createRepro({ scenario: { id, description: id, invariant }, backend, counterexample: spec, outDir: path.join(tempDir(), `${id.replace(/\W+/g, '-')}-${backend}`) });
  const v = report.verification;
  if (v === null || v.exitCode === null || v.exitCode === 2) throw new Error(`the page gave no verdict: ${v === null ? 'not run' : `${formatVerification(v)}\n${v.stdout}\n${v.stderr}`}`);
  return report;
}

/** The main job's shrunk counterexample of an error scenario on cpu (the same case bn-suite's page shrinks to). */
async function thrownCase(scenario: string): Promise<CaseSpec> {
  const replay = await replayFailure({ scenario, backend: 'cpu', seed: DEFAULT_SEED });
  if (replay.verdict.status !== 'error') throw new Error(`${scenario} did not throw on cpu: ${replay.verdict.summary}`);
  return replay.counterexample;
}

/** Dense -> BN (no head), batch 8, as the training check wants it. */
const TRAINING: CaseSpec = (() => {
  const spec = caseSpec({ freeze: 'none', entryPoint: 'trainOnBatch', steps: 2 });
  return { ...spec, model: { ...spec.model, classes: 0 } };
})();

/** A case each invariant's capture accepts (the training check wants dense -> BN without a head; a frozen case elsewhere). */
const CASES: Record<InvariantId, CaseSpec> = {
  'frozen-moving-stats': caseSpec({ freeze: 'bn' }),
  'frozen-gamma-beta': caseSpec({ freeze: 'bn' }),
  'inference-purity': caseSpec({ freeze: 'bn' }),
  'mode-switch': caseSpec({ freeze: 'bn' }),
  'oracle-agreement': caseSpec(),
  determinism: caseSpec(),
  'round-trip': caseSpec({ nested: true, freeze: 'base' }),
  'backend-parity': caseSpec(),
  'no-leaked-tensors': caseSpec(),
  'trainable-bookkeeping': caseSpec({ nested: true, freeze: 'base' }),
  'gradient-agreement': caseSpec({ entryPoint: 'layerApply' }),
  'training-agreement': TRAINING,
};

describe('every template renders a page script', () => {
  test.each(INVARIANT_IDS.map((id) => [id]))('%s: it compiles, in both modes (values, and a throw), awaits every read and never reads synchronously', async (invariant) => {
    const set = bundlesFor('webgpu', resolveTfjsFile);
    if (!set.ok) throw new Error(set.reason);
    const capture = await captureCase(invariant, CASES[invariant], { comparedBackends: ['cpu'] });
    expect(capture.observed.kind).toBe(invariant);
    const threw = { kind: 'threw' as const, errorName: 'TypeError', message: 'a message', at: null };
    for (const observed of [capture.observed, threw]) {
      const html = renderPageRepro({ scenario: { id: invariant, description: 'd', invariant }, backend: 'webgpu', spec: CASES[invariant], capture: { ...capture, observed }, bnSuiteVersion: 'test', bundles: set.bundles });
      const script = html.slice(html.lastIndexOf('<script>\n') + '<script>\n'.length, html.lastIndexOf('\n</script>'));
      expect(script).not.toMatch(/dataSync|arraySync|bufferSync/);
      // Calls of the `read` helper (not `variable.read()`), outside comments.
      const code = script.replace(/(^|\s)\/\/ .*$/gm, '$1');
      const calls = [...code.matchAll(/(?<![.\w])read\(/g)].map((m) => code.slice(Math.max(0, (m.index ?? 0) - 6), m.index));
      for (const before of calls) expect(before).toBe('await ');
      expect(() => new Function(script)).not.toThrow();
    }
  }, 60_000);
});

for (const backend of BROWSER_BACKENDS) {
  const reason = pageSkipReason(backend);
  (reason === null ? describe : describe.skip)(`page repros of the new templates in Chromium [${backend}]${reason !== null ? `: ${reason}` : ''}`, () => {
    test.each([
      ['gradient/no-center', 'gradient-agreement', /^tf\.grad\(.*\) threw TypeError: Cannot read properties of undefined \(reading '\w+'\)$/m],
      ['oracle/no-scale', 'oracle-agreement', /^bn\.apply\(bnInput, \{training: true\}\) threw TypeError: Cannot read properties of undefined \(reading 'read'\)$/m],
      ['inference-purity/shared-layer', 'inference-purity', /^model\.execute\(x, model\.outputs\[0\]\.name\) threw Error: Layer bn has multiple inbound nodes/m],
      ['training/non-last-axis', 'frozen-gamma-beta', /threw Error: Size\(\d+\) must match the product of shape [\d,]+$/m],
    ] as const)('%s: the page reproduces the throw (exit 1) and ISSUE.md quotes it', async (scenario, invariant, threw) => {
      const report = await pageRepro(backend, scenario, invariant, await thrownCase(scenario));
      const v = report.verification!;
      expect(v).toMatchObject({ mode: 'page', exitCode: 1, reproduces: true });
      expect(v.stdout).toMatch(threw);
      // The innermost frame is in a tfjs bundle the page loaded.
      expect(v.stdout).toMatch(/^ {2}at .*\/tfjs\/tf-(core|layers|backend-\w+)\.min\.js:\d+:\d+\)?$/m);
      expect(v.stdout).toContain('actual:   tfjs throws the error bn-suite saw');
      const issue = fs.readFileSync(path.join(report.dir, 'ISSUE.md'), 'utf8');
      expect(issue).toMatch(/^# .* throws (TypeError|Error): /);
      expect(issue).toContain(v.stdout.trimEnd());
    }, 120_000);

    test.each([
      ['frozen-gamma-beta', caseSpec({ freeze: 'bn', steps: 1 }), /^actual: {3}gamma and beta did not change$/m],
      ['inference-purity', caseSpec({ freeze: 'bn' }), /^actual: {3}no weight changed$/m],
      ['determinism', caseSpec({ steps: 1 }), /^actual: {3}every run is byte-identical$/m],
      ['backend-parity', caseSpec({ steps: 1 }), /^cpu predictions: cpu \[.+\]; \w+ \[.+\]; max abs diff \S+ \(allowed .*\)$/m],
      ['gradient-agreement', caseSpec({ entryPoint: 'layerApply' }), /^training features\/kernel: tfjs \[.+\]; float64 \[.+\]; max abs diff \S+ \(allowed .*\)$/m],
      ['training-agreement', TRAINING, /^bn\/moving_variance: tfjs \[.+\]; float64 \[.+\]; max abs diff \S+ \(allowed .*\)$/m],
    ] as const)('%s holds here: the page prints its numbers and exits 0', async (invariant, spec, printed) => {
      const report = await pageRepro(backend, invariant, invariant, spec);
      const v = report.verification!;
      if (v.exitCode !== 0) throw new Error(`the page did not exit 0:\n${v.stdout}\n${v.stderr}`);
      expect(v).toMatchObject({ mode: 'page', exitCode: 0, reproduces: false });
      expect(v.stdout).toMatch(printed);
      expect(v.stdout).toMatch(/^RESULT: not reproduced$/m);
    }, 180_000);
  });
}
