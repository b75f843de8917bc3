import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../../src/engine/errors';
import { bundlesFor, type TfjsBundle } from '../../../src/hosts/browser/tfjs-bundles';
import { activateBackend, probeBackend } from '../../../src/hosts/node/backends';
import { resolveTfjsFile, tfjsVersions } from '../../../src/hosts/node/tfjs';
import { cdnUrl, renderPageRepro, type PageInput } from '../../../src/surfaces/repro/render-page';
import { captureCase, renderScript, stringLiteral, type CaseCapture, type ScenarioMeta } from '../../../src/surfaces/repro/render-script';
import { formatVerification } from '../../../src/surfaces/repro/verify';
import { localizePage, verifyPageRepro } from '../../../src/surfaces/repro/verify-page';
import { createRepro } from '../../../src/surfaces/repro/write-repro';
import { DENSE_FROZEN_CASE as MODE_SWITCH, FROZEN_FIT_COUNTEREXAMPLE as FROZEN_FIT } from '../../helpers/fixtures';

const HOSTILE_ID = 'evil/</script><script>window.BN_SUITE_REPRO={exitCode:0}</script><!-- `${x}` \u2028';
const HOSTILE_DESCRIPTION = '</SCRIPT >< /script> <!-- --> <Script src=x> "quotes" \'single\' \\ back';

let tmp: string;
let frozenCapture: CaseCapture;
let modeCapture: CaseCapture;
let bundles: TfjsBundle[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-render-page-'));
  const cpu = await probeBackend('cpu');
  if (!cpu.available) throw new Error(`cpu backend unavailable: ${cpu.reason}`);
  await activateBackend('cpu');
  frozenCapture = await captureCase('frozen-moving-stats', FROZEN_FIT);
  modeCapture = await captureCase('mode-switch', MODE_SWITCH);
  const set = bundlesFor('webgl', resolveTfjsFile);
  if (!set.ok) throw new Error(set.reason);
  bundles = set.bundles;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pageInput(scenario: ScenarioMeta, overrides: Partial<PageInput> = {}): PageInput {
  const capture = scenario.invariant === 'mode-switch' ? modeCapture : frozenCapture;
  const spec = scenario.invariant === 'mode-switch' ? MODE_SWITCH : FROZEN_FIT;
  return { scenario, backend: 'webgl', spec, capture, bnSuiteVersion: '0.0.0-test', bundles, ...overrides };
}

/** The inline script: everything between the last `<script>` and its `</script>`. */
function inlineScript(html: string): string {
  const start = html.lastIndexOf('<script>\n');
  const end = html.lastIndexOf('\n</script>');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return html.slice(start + '<script>\n'.length, end);
}

describe('renderPageRepro', () => {
  test('script tags load the pinned tfjs bundles from jsDelivr, in load order, then the inline script', () => {
    const html = renderPageRepro(pageInput({ id: 'frozen-moving-stats/fit', description: 'd', invariant: 'frozen-moving-stats' }));
    const versions = tfjsVersions();
    const sources = [...html.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]);
    expect(sources).toEqual([
      `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-core@${versions['@tensorflow/tfjs-core']}/dist/tf-core.min.js`,
      `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-cpu@${versions['@tensorflow/tfjs-backend-cpu']}/dist/tf-backend-cpu.min.js`,
      `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-webgl@${versions['@tensorflow/tfjs-backend-webgl']}/dist/tf-backend-webgl.min.js`,
      `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-layers@${versions['@tensorflow/tfjs-layers']}/dist/tf-layers.min.js`,
    ]);
    for (const version of Object.values(versions)) if (version !== undefined) expect(version).toMatch(/^\d+\.\d+\.\d+/);
    // The inline script comes after the bundles, and the page is a complete document.
    expect(html.indexOf('<script>\n')).toBeGreaterThan(html.lastIndexOf('<script src='));
    expect(html).toMatch(/^<!doctype html>\n/);
    expect(html.trimEnd()).toMatch(/<\/html>$/);
  });

  test.each(['frozen-moving-stats', 'mode-switch'] as const)('%s: reads are awaited, nothing reads synchronously, the backend is checked', (invariant) => {
    const script = inlineScript(renderPageRepro(pageInput({ id: invariant, description: 'd', invariant })));
    expect(script).not.toMatch(/dataSync|arraySync|bufferSync/);
    expect(script).toContain('const read = async (tensorOrVariable) => Array.from(await (tensorOrVariable.read ? tensorOrVariable.read() : tensorOrVariable).data());');
    // Every call of the `read` helper (not `variable.read()`, which returns the tensor) is awaited.
    const calls = [...script.matchAll(/(?<![.\w])read\(/g)].map((m) => script.slice(Math.max(0, (m.index ?? 0) - 6), m.index));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const before of calls) expect(before).toBe('await ');
    // No chained ops: the core bundle has none (tensor.add, tensor.mean, ...).
    expect(script).not.toMatch(/\b(x|y|inference|training|bnInput)\.(add|sub|mul|div|mean|sum|square)\(/);
    expect(script).toContain("const tfl = tf;");
    expect(script).toContain('if (tf.getBackend() !== BACKEND) throw');
    expect(script).toContain('const BACKEND = "webgl";');
    expect(script).toContain('window["BN_SUITE_REPRO"] = { exitCode, result: line };');
    expect(script).toContain('document.title = line;');
    // It compiles (without running: it needs a page).
    expect(() => new Function(script)).not.toThrow();
  });

  test('scenario text enters only as escaped literals that cannot end or derail the inline script', () => {
    const scenario: ScenarioMeta = { id: HOSTILE_ID, description: HOSTILE_DESCRIPTION, invariant: 'frozen-moving-stats' };
    const html = renderPageRepro(pageInput(scenario));
    const script = inlineScript(html);
    expect(script).not.toMatch(/<\/script|<script|<!--/i);
    // Exactly the four bundle tags and the inline one: the hostile text opened no element.
    expect(html.match(/<script/gi)).toHaveLength(5);
    expect(html.match(/<\/script/gi)).toHaveLength(5);
    expect(html).not.toContain('<!-- ');
    expect(script).toContain(`const SCENARIO = ${stringLiteral(HOSTILE_ID)};`);
    expect(script).toContain(`const DESCRIPTION = ${stringLiteral(HOSTILE_DESCRIPTION)};`);
    // The literals read back as the very text.
    const constant = (name: string) => new Function(`${/^const (SCENARIO|DESCRIPTION) = .*;$/m.exec(script.slice(script.indexOf(`const ${name} =`)))?.[0]} return ${name};`)();
    expect(constant('SCENARIO')).toBe(HOSTILE_ID);
    expect(constant('DESCRIPTION')).toBe(HOSTILE_DESCRIPTION);
    // Nothing of the text reached the markup outside the script.
    const markup = html.replace(script, '');
    expect(markup).not.toContain('evil');
    expect(markup).not.toContain('quotes');
  });

  test('a bundle whose manifest gives an odd version is refused, not put into a script tag', () => {
    const odd = [{ ...bundles[0], version: '4.22.0"><script>alert(1)</script>' }, ...bundles.slice(1)];
    expect(() => renderPageRepro(pageInput({ id: 'x', description: 'd', invariant: 'frozen-moving-stats' }, { bundles: odd }))).toThrow(/refusing to put bundle/);
  });

  test('a name that is no invariant is the usual usage error (every invariant has a template)', () => {
    expect(() => renderPageRepro(pageInput({ id: 'x', description: 'd', invariant: 'no-such-invariant' as never }))).toThrow(UsageError);
  });
});

describe('repro.mjs reads with await too', () => {
  test('the Node script has no synchronous read', () => {
    const script = renderScript({ scenario: { id: 'x', description: 'd', invariant: 'frozen-moving-stats' }, backend: 'cpu', spec: FROZEN_FIT, capture: frozenCapture, bnSuiteVersion: '0' });
    expect(script).not.toMatch(/dataSync|arraySync/);
    expect(script).toContain('mean: await read(movingMean)');
    expect(script).toContain('if (tf.getBackend() !== BACKEND) throw');
  });
});

describe('localizePage', () => {
  test('points the CDN tags at the local bundles', () => {
    const html = renderPageRepro(pageInput({ id: 'x', description: 'd', invariant: 'frozen-moving-stats' }));
    const local = localizePage(html, bundles);
    expect(local.ok).toBe(true);
    if (!local.ok) return;
    expect(local.html).not.toContain('cdn.jsdelivr.net');
    expect([...local.html.matchAll(/<script src="([^"]+)">/g)].map((m) => m[1])).toEqual(bundles.map((b) => `/tfjs/${b.name}`));
  });

  test('a page pinned to another tfjs version is not verified against this one', () => {
    const other = bundles.map((b) => ({ ...b, version: '4.21.0' }));
    const html = renderPageRepro(pageInput({ id: 'x', description: 'd', invariant: 'frozen-moving-stats' }, { bundles: other }));
    expect(html).toContain(cdnUrl(other[0]));
    const local = localizePage(html, bundles);
    expect(local).toEqual({ ok: false, reason: `the page pins @tensorflow/tfjs-core@4.21.0, the tfjs under test has @tensorflow/tfjs-core@${bundles[0].version}` });
  });
});

describe('without a Chromium', () => {
  const noChromium = { found: false as const, reason: 'no Chromium found (test)' };

  test('verification says why it did not run, and never throws', async () => {
    const html = renderPageRepro(pageInput({ id: 'x', description: 'd', invariant: 'frozen-moving-stats' }));
    const v = await verifyPageRepro(html, 'webgl', { chromium: noChromium });
    expect(v).toMatchObject({ mode: 'page', exitCode: null, reproduces: false, setupError: 'no Chromium found (test)' });
    expect(formatVerification(v)).toBe('not verified: no Chromium found (test)');
  });

  test('the repro folder is still written: index.html and ISSUE.md, saying it was not verified, without cpu numbers', async () => {
    const dir = path.join(tmp, 'unverified');
    const summary = 'bn/moving_variance moved after 1 fit step(s) with BN frozen';
    const report = await createRepro({
      scenario: { id: 'frozen-moving-stats/fit', description: 'a frozen BN trained with fit', invariant: 'frozen-moving-stats' },
      backend: 'webgl',
      counterexample: FROZEN_FIT,
      outDir: dir,
      replayToken: 'bn-suite:frozen-moving-stats/fit@webgl?seed=1&tfjs=4.22.0',
      runSummary: summary,
      page: { chromium: noChromium },
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['ISSUE.md', 'index.html']);
    expect(report.minimize).toBeNull();
    expect(report.verification?.setupError).toBe('no Chromium found (test)');
    expect(Object.keys(report.sizes)).toEqual(['index.html', 'ISSUE.md']);
    const issue = fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8');
    expect(issue).toMatch(/^> \*\*Not verified\*\* \(no Chromium found \(test\)\): run the generated page yourself/m);
    expect(issue).toContain('- Backend: webgl');
    expect(issue).toContain('- TensorFlow.js installed from (npm or script link): script link (jsDelivr, pinned versions)');
    expect(issue).toContain('The page was not run here (no Chromium found (test)).');
    expect(issue).toContain(`bn-suite's run on webgl reported: \`${summary}\``);
    expect(issue).toContain('- Not minimised: bn-suite minimises in Node');
    expect(issue).toContain('- Not verified: no Chromium found (test)');
    expect(issue).toContain(fs.readFileSync(path.join(dir, 'index.html'), 'utf8').trimEnd());
    // cpu's numbers (the capture's observation) are not presented as webgl's.
    expect(issue).not.toContain('| moving_mean |');
  });
});
