import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROWSER_BACKENDS, type BrowserBackendName } from '../../../src/engine/backends';
import type { CaseSpec } from '../../../src/engine/run/case-spec';
import { bundlesFor } from '../../../src/hosts/browser/tfjs-bundles';
import { resolveTfjsFile } from '../../../src/hosts/node/tfjs';
import { renderPageRepro } from '../../../src/surfaces/repro/render-page';
import { captureCase, type ScenarioMeta } from '../../../src/surfaces/repro/render-script';
import { formatVerification } from '../../../src/surfaces/repro/verify';
import { verifyPageRepro } from '../../../src/surfaces/repro/verify-page';
import { createRepro } from '../../../src/surfaces/repro/write-repro';
import { pageSkipReason } from './page-skip';
import { FROZEN_FIT_COUNTEREXAMPLE as FROZEN_FIT } from '../../helpers/fixtures';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';

/** The same for mode-switch on webgl (the training-mode output differs by about 0.005). */
const MODE_SWITCH: CaseSpec = { ...FROZEN_FIT, data: { ...FROZEN_FIT.data, scale: 0.5 } };

const FROZEN_META: ScenarioMeta = { id: 'frozen-moving-stats/fit', description: 'A model with its BN frozen is trained with model.fit', invariant: 'frozen-moving-stats' };

const tempDir = useCpuAndTempDir('bn-suite-verify-page-');

/** A page for the frozen-fit case on `backend`, its script changed by `edit` (to make it fail in known ways). */
async function editedPage(backend: BrowserBackendName, edit: (html: string) => string): Promise<string> {
  const set = bundlesFor(backend, resolveTfjsFile);
  if (!set.ok) throw new Error(set.reason);
  const capture = await captureCase('frozen-moving-stats', FROZEN_FIT);
  const html = renderPageRepro({ scenario: FROZEN_META, backend, spec: FROZEN_FIT, capture, bnSuiteVersion: '0.0.0-test', bundles: set.bundles });
  const edited = edit(html);
  expect(edited).not.toBe(html);
  return edited;
}

for (const backend of BROWSER_BACKENDS) {
  const reason = pageSkipReason(backend);
  if (reason !== null) {
    describe.skip(`page repro in Chromium [${backend}]: ${reason}`, () => {
      test('skipped', () => undefined);
    });
    continue;
  }

  describe(`page repro in Chromium [${backend}]`, () => {
    test('frozen-moving-stats/fit: index.html reproduces (exit 1) and ISSUE.md quotes what the page printed', async () => {
      const dir = path.join(tempDir(), `frozen-fit-${backend}`);
      const report = await createRepro({
        scenario: FROZEN_META,
        backend,
        counterexample: FROZEN_FIT,
        outDir: dir,
        replayToken: `bn-suite:frozen-moving-stats/fit@${backend}?seed=20261127&tfjs=4.22.0`,
        runSummary: 'bn/moving_variance moved after 1 fit step(s) with BN frozen',
        knownIssue: { issue: 'unreported', reason: 'test reason' },
      });
      const v = report.verification;
      expect(v).not.toBeNull();
      if (v === null) return;
      // Printed when it fails, and the timing for the record.
      if (!v.reproduces) throw new Error(`did not reproduce: ${formatVerification(v)}\n${v.stdout}\n${v.stderr}`);
      expect(v).toMatchObject({ mode: 'page', exitCode: 1, reproduces: true });
      expect(v.setupError).toBeUndefined();
      expect(v.browser).toMatch(/^\d+\./);
      expect(v.durationMs).toBeLessThan(120_000);
      expect(v.stdout).toContain(`backend ${backend}, `);
      expect(v.stdout).toMatch(/^moving_variance before \[1\]  after \[0\]  drift 1$/m);
      expect(v.stdout).toMatch(/^RESULT: reproduced$/m);
      expect(v.stderr).not.toMatch(/\[blocked\]|\[pageerror\]/);
      expect(formatVerification(v)).toBe('reproduces: exit 1');

      expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'index.html']);
      const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
      expect(issue).not.toContain('**Not verified**');
      expect(issue).toContain(`- Backend: ${backend}`);
      expect(issue).toContain(`- Browser version: Chromium ${v.browser} (headless)`);
      expect(issue).toContain(`The standalone page below printed, in headless Chromium ${v.browser} on ${backend}:`);
      expect(issue).toContain(v.stdout.trimEnd());
      expect(issue).toContain('- Not minimised: bn-suite minimises in Node');
      expect(issue).toContain(`- Verified: the page set \`BN_SUITE_REPRO.exitCode\` to 1 in headless Chromium ${v.browser} on ${backend}`);
      expect(issue).toContain(fs.readFileSync(path.join(dir, 'index.html'), 'utf8').trimEnd());
    }, 120_000);

    if (backend !== 'webgl') return;

    test('mode-switch: the page reproduces on webgl', async () => {
      const report = await createRepro({
        scenario: { id: 'mode-switch', description: 'frozen BN in both modes', invariant: 'mode-switch' },
        backend,
        counterexample: MODE_SWITCH,
        outDir: path.join(tempDir(), 'mode-switch-webgl'),
      });
      const v = report.verification;
      if (v === null || !v.reproduces) throw new Error(`did not reproduce: ${v === null ? 'no verification' : `${formatVerification(v)}\n${v.stdout}\n${v.stderr}`}`);
      expect(v.stdout).toMatch(/^model\.apply\(x, \{training: true\}\) {4}\[/m);
      expect(v.stdout).toMatch(/^max abs diff \d/m);
    }, 120_000);

    test('hostile scenario text is printed verbatim by the page, not run', async () => {
      const id = 'evil/</script><script>window.BN_SUITE_REPRO={exitCode:0,result:"RESULT: not reproduced"}</script><!--';
      const description = "desc `${window.BN_SUITE_REPRO = 1}` \"); ('\\\\ \u2028 <!-- -->";
      const set = bundlesFor(backend, resolveTfjsFile);
      if (!set.ok) throw new Error(set.reason);
      const capture = await captureCase('frozen-moving-stats', FROZEN_FIT);
      const html = renderPageRepro({ scenario: { id, description, invariant: 'frozen-moving-stats' }, backend, spec: FROZEN_FIT, capture, bnSuiteVersion: '0.0.0-test', bundles: set.bundles });
      const v = await verifyPageRepro(html, backend);
      expect(v.exitCode).toBe(1);
      expect(v.stdout).toContain(`scenario: ${id}\n`);
      expect(v.stdout).toContain(`description: ${description}\n`);
    }, 120_000);

    test('a script that throws gives exit 2, its error on stderr; a request off 127.0.0.1 is blocked', async () => {
      const html = await editedPage(backend, (page) =>
        page
          .replace('  const x = tf.tensor(X_VALUES, X_SHAPE);', "  throw new Error('boom from the test');")
          .replace('<pre id="output"></pre>', '<pre id="output"></pre>\n<img src="https://example.invalid/pixel.png">'),
      );
      const v = await verifyPageRepro(html, backend);
      expect(v).toMatchObject({ mode: 'page', exitCode: 2, reproduces: false });
      expect(v.stdout).toMatch(/^RESULT: script error$/m);
      expect(v.stdout).toContain('boom from the test');
      expect(v.stderr).toContain('[console.error] Error: boom from the test');
      expect(v.stderr).toContain('[blocked] https://example.invalid/pixel.png');
      expect(formatVerification(v)).toBe('did not reproduce (exit 2, the script threw)');
    }, 120_000);

    test('a page that never finishes is a failure after the timeout, with what it printed so far', async () => {
      const html = await editedPage(backend, (page) => page.replace('  const x = tf.tensor(X_VALUES, X_SHAPE);', '  await new Promise(() => undefined);'));
      const v = await verifyPageRepro(html, backend, { timeoutMs: 5_000 });
      expect(v).toMatchObject({ mode: 'page', exitCode: null, reproduces: false, failure: 'no result within 5 s' });
      expect(v.stdout).toContain(`scenario: ${FROZEN_META.id}`);
      expect(formatVerification(v)).toBe('did not reproduce (no result within 5 s)');
    }, 60_000);
  });
}
