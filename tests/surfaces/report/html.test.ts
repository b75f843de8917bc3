import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { escapeHtml, htmlPage, renderHtmlReport, textWidth, type ChartFigure } from '../../../src/surfaces/report/html';
import type { ResultRecord, SuiteResult } from '../../../src/results/schema';
import { resultRecord, transferEvidence, type ResultOverrides } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';
import { reportFigures, resultTableScenarios, svgTexts } from '../../helpers/report-html';

/**
 * index.html renders its charts with vega, which is ESM with top-level await: jest's CommonJS
 * transform cannot load it, so the real rendering is tested through the compiled CLI in a child
 * process (`npm test` builds dist first). The page builder itself is pure and tested in-process.
 */

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');

const ISSUE = 'https://github.com/tensorflow/tfjs/issues/1106';
const HOSTILE_ID = 'hostile/<script>alert("id")</script>&\'q\'';
const HOSTILE_SUMMARY = 'boom <img src=x onerror=alert(1)> & "quoted" \'single\' \u0001\u001b[31m <a href="https://evil.example/">x</a>';

let tmp: string;
beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-html-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp, env: { ...process.env, CI: '1' }, timeout: 110_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/**
 * Everything in the page's markup that would load a resource (text is escaped, so only tags and
 * the <style> block can): must be empty for a self-contained page. Plain <a href="http..."> links
 * and in-page references (#id) are allowed.
 */
function resourceLoads(html: string): string[] {
  const found: string[] = [];
  for (const style of html.matchAll(/<style>([\s\S]*?)<\/style>/g)) {
    if (/@import|url\(\s*(?!['"]?#)/i.test(style[1])) found.push('<style> loads a resource');
  }
  for (const [tag] of html.matchAll(/<[A-Za-z][^>]*>/g)) {
    const name = /^<([A-Za-z][\w:-]*)/.exec(tag)?.[1].toLowerCase() ?? '';
    if (['script', 'link', 'iframe', 'object', 'embed', 'img', 'image', 'video', 'audio', 'source', 'base', 'use', 'frame', 'track'].includes(name)) found.push(tag);
    for (const [attr, key, value] of tag.matchAll(/\s([\w:-]+)="([^"]*)"/g)) {
      const k = key.toLowerCase();
      if (['src', 'srcset', 'data', 'poster', 'action', 'formaction', 'background', 'xlink:href'].includes(k)) found.push(attr.trim());
      if (k === 'href' && !(name === 'a' && /^https?:\/\//.test(value)) && !value.startsWith('#')) found.push(attr.trim());
      if (k === 'style' && /url\(\s*(?!['"]?#)/i.test(value)) found.push(attr.trim());
      if (/^on/.test(k)) found.push(attr.trim());
    }
  }
  return found;
}

describe('index.html from the compiled CLI', () => {
  let out: string;
  let run: { status: number | null; stdout: string; stderr: string };
  beforeAll(() => {
    // The two shipped scenarios in a folder of their own: "mode-switch" is also a tag, which the
    // growing shipped set (e.g. the MNIST scenarios) carries, and the run must stay small.
    const scenarios = path.join(tmp, 'scenarios');
    for (const file of ['tags.yaml', 'oracle/affine.yaml', 'mode-switch.yaml']) {
      fs.mkdirSync(path.dirname(path.join(scenarios, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'scenarios', file), path.join(scenarios, file));
    }
    const expectations = path.join(tmp, 'known-issues.yaml');
    fs.writeFileSync(
      expectations,
      `known-issues:\n  - scenario: mode-switch\n    invariant: mode-switch\n    issue: ${ISSUE}\n    reason: a frozen BN uses batch statistics in training mode\n    outcomes: [fail]\n`,
    );
    out = path.join(tmp, 'run');
    // All backends: the page must also show the ones that cannot load (only requested backends are probed).
    run = cli(['run', '--scenario', 'oracle/affine,mode-switch', '--runs', '1', '--backend', 'all', '--scenarios', scenarios, '--expectations', expectations, '--out', out]);
  });

  test('a run writes index.html and junit.xml next to results.json and summary.md, nothing else', () => {
    expect(run.stderr).not.toMatch(/WARN|vega/i);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['index.html', 'junit.xml', 'results.json', 'summary.md']);
  });

  test('the page has the charts as inline SVG, and loads nothing: no script, no external resource', () => {
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // No transfer scenario ran: the parity heatmap is the one chart, with a row per scenario;
    // drift and accuracy are notes saying why they are absent.
    const figures = reportFigures(html);
    expect(figures.map((f) => [f.id, f.svg !== null])).toEqual([
      ['chart-parity', true],
      ['chart-drift', false],
      ['chart-layer-drift', false],
      ['chart-accuracy', false],
    ]);
    const parityTexts = svgTexts(figures[0].svg ?? '');
    expect(parityTexts).toEqual(expect.arrayContaining(['Backend parity: verdict per scenario and backend', 'oracle/affine', 'mode-switch', 'cpu']));
    expect(figures[1].caption).toMatch(/^Moving-statistic drift: .*no drift chart/);
    expect(figures[2].caption).toMatch(/^Drift per BN layer: .*no per-layer drift chart/);
    expect(figures[3].caption).toMatch(/^Training-mode vs inference-mode accuracy: .*no accuracy chart/);
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    expect([...new Set(resultTableScenarios(html))]).toEqual(['mode-switch', 'oracle/affine']);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('Chart not rendered');
    expect(resourceLoads(html)).toEqual([]);
    // No absolute URL at all except in plain links (the SVGs' xmlns URLs are dropped when inlined).
    expect(html.replace(/<a href="https?:\/\/[^"]*">/g, '<a>')).not.toMatch(/https?:\/\//);
    // mode-switch is a listed known issue: its link is a plain <a href>.
    expect(html).toContain(`<a href="${ISSUE}">tfjs#1106</a>`);
    expect(html).toContain('Backend parity: verdict per scenario and backend');
    expect(html).toContain('no drift chart');
  });

  test('the page shows the header facts, the conformance matrix and every result with its replay token', () => {
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    const suite = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult;
    expect(html).toContain(`<dd>${suite.tfjs['@tensorflow/tfjs-core']}</dd>`);
    expect(html).toContain(`<dd>${suite.seed}</dd>`);
    expect(html).toContain('Conformance with frozen-BN contracts');
    expect(html).toContain('module-missing');
    for (const r of suite.results) expect(html).toContain(escapeHtml(r.replay));
  });

  test('tsc kept import("vega") a real dynamic import in the CommonJS output', () => {
    const compiled = fs.readFileSync(path.join(ROOT, 'dist/surfaces/report/html.js'), 'utf8');
    expect(compiled).toMatch(/\bimport\('vega'\)/);
    expect(compiled).toMatch(/\bimport\('vega-lite'\)/);
    expect(compiled).not.toMatch(/require\('vega(-lite)?'\)/);
  });

  test('hostile strings in results.json are escaped everywhere in the page (through bn-suite merge)', () => {
    const suite = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult;
    const first = suite.results[0];
    suite.results[0] = resultRecord({ ...first, scenario: HOSTILE_ID, status: 'fail', evidence: undefined, outcome: 'unexpected-fail', summary: HOSTILE_SUMMARY });
    const file = path.join(tmp, 'hostile', 'results.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(suite));
    const merged = path.join(tmp, 'hostile-report');
    const child = cli(['merge', file, '--out', merged]);
    expect(child.status).toBe(1);
    const html = fs.readFileSync(path.join(merged, 'index.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('evil.example/">');
    expect(html).not.toContain('\u0001');
    expect(resourceLoads(html)).toEqual([]);
    expect(html).toContain('hostile/&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;&amp;&#39;q&#39;');
    expect(html).toContain('boom &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;');
    // The heatmap's SVG names the hostile scenario too, escaped by vega.
    expect(html).toMatch(/<text[^>]*>hostile\/&lt;script&gt;/);
    expect(fs.readFileSync(path.join(merged, 'junit.xml'), 'utf8')).toContain('hostile/&lt;script&gt;');
  });
});

describe('resourceLoads (the self-containment check used above)', () => {
  test('flags scripts, external sources, non-link hrefs, CSS urls and handlers; allows links and #refs', () => {
    expect(resourceLoads('<p>src="x" https://a.b/ &lt;img&gt;</p><a href="https://x.y/1">x</a><a href="#results">r</a><rect clip-path="url(#clip1)"/>')).toEqual([]);
    expect(resourceLoads('<script src="a.js"></script>')).toEqual(['<script src="a.js">', 'src="a.js"']);
    expect(resourceLoads('<svg><image xlink:href="https://x/y.png"/></svg>')).toHaveLength(2);
    expect(resourceLoads('<link href="https://x/s.css">')).toHaveLength(2);
    expect(resourceLoads('<style>@import "x.css";</style>')).toHaveLength(1);
    expect(resourceLoads('<div style="background:url(https://x/y.png)" onclick="f()"></div>')).toHaveLength(2);
  });
});

describe('escapeHtml', () => {
  test('escapes the five specials and strips control characters', () => {
    expect(escapeHtml('<a href="x">\'&\'</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml('a\u0000b\u0007c\u001bd\u007fe\u0085f\tg\nh')).toBe('abcdef\tg\nh');
    expect(escapeHtml('lone \uD800 surrogate, astral 𝔅')).toBe('lone  surrogate, astral 𝔅');
    expect(escapeHtml(42)).toBe('42');
    expect(escapeHtml(null)).toBe('null');
  });
});

function record(scenario: string, extra: ResultOverrides<ResultRecord> = {}): ResultRecord {
  return resultRecord({ scenario, invariant: 'mode-switch', status: 'fail', summary: 'gap', durationMs: 5, expected: true, outcome: 'expected-fail', issue: ISSUE, ...extra });
}

function suite(results: ResultRecord[]): SuiteResult {
  return suiteResult(results, {
    backends: [{ name: 'tensorflow', available: false, packageName: '@tensorflow/tfjs-node', version: undefined, kind: 'native-addon-missing', reason: 'no <libtensorflow> & "binding"' }],
  });
}

describe('htmlPage (pure)', () => {
  const figures: ChartFigure[] = [{ id: 'chart-drift', title: 'Moving-statistic drift', svg: null, note: 'no <drift> here' }];

  test('escapes scenario ids, summaries, reasons and notes; links only http(s) issues', () => {
    const html = htmlPage(
      suite([record(HOSTILE_ID, { summary: HOSTILE_SUMMARY }), record('plain', { issue: 'javascript:alert(1)' }), record('unreported', { issue: 'unreported' })]),
      figures,
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<libtensorflow>');
    expect(html).not.toContain('<drift>');
    expect(html).toContain('no &lt;libtensorflow&gt; &amp; &quot;binding&quot;');
    expect(html).toContain('<a href="https://github.com/tensorflow/tfjs/issues/1106">tfjs#1106</a>');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('javascript:alert(1)');
    expect(resourceLoads(html)).toEqual([]);
  });

  test('shows the MNIST accuracy table only when results carry variants evidence', () => {
    expect(htmlPage(suite([record('plain')]), figures)).not.toContain('id="mnist"');
    const frozen = { trainingModeAccuracy: [0.6, 0.952], inferenceModeAccuracy: [0.3, 0.5], gapPoints: [30, 45.2] };
    const control = { trainingModeAccuracy: [0.9, 0.9], inferenceModeAccuracy: [0.9, 0.9], gapPoints: [0, 0] };
    const html = htmlPage(suite([record('mnist/transfer', { invariant: 'mode-switch', status: 'fail', evidence: transferEvidence({ variants: { frozen, control } }) })]), figures);
    expect(html).toContain('id="mnist"');
    expect(html).toMatch(/<td>mnist\/transfer<\/td><td>cpu<\/td><td>frozen <span class="small muted">\(asserted\)<\/span><\/td><td class="num">95\.2%<\/td><td class="num">50\.0%<\/td><td class="num">45\.2 pts<\/td>/);
  });

  test('renderHtmlReport never loses the page: without vega (as under jest) the charts become notes', async () => {
    const html = await renderHtmlReport(suite([record('plain')]));
    expect(html).toContain('<table class="results">');
    expect(html.includes('<svg') || html.includes('Chart not rendered')).toBe(true);
  });
});

describe('textWidth', () => {
  test('measures Helvetica widths, bold wider, capped by the label limit', () => {
    expect(textWidth({ fontSize: 10 }, 'iiii')).toBeLessThan(textWidth({ fontSize: 10 }, 'MMMM'));
    expect(textWidth({ fontSize: 10, fontWeight: 'bold' }, 'abc')).toBeGreaterThan(textWidth({ fontSize: 10 }, 'abc'));
    expect(textWidth({ fontSize: 10, limit: 20 }, 'a long label that is truncated')).toBe(20);
    expect(textWidth({}, '')).toBe(0);
  });
});
