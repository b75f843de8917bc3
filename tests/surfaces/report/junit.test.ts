import type { BackendName, BackendStatus } from '../../../src/engine/backends';
import type { Outcome } from '../../../src/engine/expectations/classify';
import type { KnownIssue } from '../../../src/engine/expectations/known-issues';
import { escapeXml, junitXml } from '../../../src/surfaces/report/junit';
import type { ResultRecord, SuiteResult } from '../../../src/results/schema';
import type { VerdictStatus } from '../../../src/engine/run/verdict';
import { resultRecord } from '../../helpers/fixtures';
import { suiteResult } from '../../helpers/suite-result';

function record(scenario: string, backend: BackendName, status: VerdictStatus, outcome: Outcome, extra: Partial<ResultRecord> = {}): ResultRecord {
  return resultRecord({
    scenario,
    backend,
    status,
    summary: status === 'pass' ? '' : `${scenario} went ${status}`,
    casesRun: 3,
    seed: 5,
    durationMs: 1500,
    expected: outcome === 'expected-fail' || outcome === 'unexpected-pass',
    outcome,
    ...extra,
  });
}

const CPU: BackendStatus = { name: 'cpu', available: true, packageName: '@tensorflow/tfjs-backend-cpu', version: '4.22.0' };
const WASM: BackendStatus = { name: 'wasm', available: true, packageName: '@tensorflow/tfjs-backend-wasm', version: '4.22.0' };
const NODE_MISSING: BackendStatus = {
  name: 'tensorflow',
  available: false,
  packageName: '@tensorflow/tfjs-node',
  version: undefined,
  kind: 'module-missing',
  reason: '@tensorflow/tfjs-node is not installed (npm i @tensorflow/tfjs-node)',
};

function suite(results: ResultRecord[], backends: BackendStatus[] = [CPU, WASM, NODE_MISSING], stale: KnownIssue[] = []): SuiteResult {
  return suiteResult(results, { seed: 5, runs: 3, startedAt: '2026-01-01T00:00:00.123Z', durationMs: 12_345, backends, stale });
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function unescapeXml(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    if (entity[0] === '#') return String.fromCodePoint(entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity] as string;
  });
}

/**
 * A tiny XML sanity parser: every tag balanced, attributes well quoted and unique, no raw '<' or
 * stray '&' in text or attribute values, no character XML 1.0 forbids. Throws on any violation.
 */
function parseXml(xml: string): XmlElement {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) throw new Error('character illegal in XML 1.0');
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const checkText = (text: string) => {
    if (/&(?!(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);)/i.test(text)) throw new Error(`stray '&' in ${JSON.stringify(text)}`);
    // '>' is legal in text, but junit.ts escapes it: a raw one means something slipped through.
    if (text.includes('>')) throw new Error(`raw '>' in ${JSON.stringify(text)}`);
  };
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt === -1 ? body.length : lt);
    checkText(text);
    stack[stack.length - 1].text += unescapeXml(text);
    if (lt === -1) break;
    const gt = body.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    const tag = body.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const open = stack.pop();
      if (open === undefined || open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const match = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*\/?$/.exec(tag);
    if (match === null) throw new Error(`malformed tag <${tag}>`);
    const attrs: Record<string, string> = {};
    for (const [, name, value] of match[2].matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (name in attrs) throw new Error(`duplicate attribute ${name}`);
      checkText(value);
      attrs[name] = unescapeXml(value);
    }
    const element: XmlElement = { name: match[1], attrs, children: [], text: '' };
    stack[stack.length - 1].children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (root.children.length !== 1) throw new Error('expected exactly one root element');
  return root.children[0];
}

const mixed = suite([
  record('a', 'cpu', 'pass', 'pass', { durationMs: 250 }),
  record('b', 'cpu', 'fail', 'expected-fail', { issue: 'https://github.com/tensorflow/tfjs/issues/1106' }),
  record('c', 'cpu', 'unsupported', 'expected-fail', { issue: 'https://github.com/tensorflow/tfjs/issues/8474' }),
  record('d', 'cpu', 'error', 'unexpected-fail'),
  record('e', 'wasm', 'pass', 'unexpected-pass', { issue: 'unreported' }),
  record('a', 'wasm', 'pass', 'pass'),
]);

describe('junitXml', () => {
  test('is well formed and counts tests, failures and skips per backend and overall', () => {
    const doc = parseXml(junitXml(mixed));
    expect(doc.name).toBe('testsuites');
    // 6 results + 1 unavailable backend; failures: d (unexpected error) and e (unexpected pass); skipped: c + tensorflow.
    expect(doc.attrs).toMatchObject({ name: 'bn-suite', tests: '7', failures: '2', errors: '0', skipped: '2', time: '12.345' });
    const suites = Object.fromEntries(doc.children.map((s) => [s.attrs.name, s]));
    expect(Object.keys(suites)).toEqual(['bn-suite.cpu', 'bn-suite.wasm', 'bn-suite.tensorflow']);
    expect(suites['bn-suite.cpu'].attrs).toMatchObject({ tests: '4', failures: '1', skipped: '1', time: '4.750' });
    expect(suites['bn-suite.wasm'].attrs).toMatchObject({ tests: '2', failures: '1', skipped: '0' });
    for (const s of doc.children) {
      expect(Number(s.attrs.tests)).toBe(s.children.length);
      expect(s.children.every((c) => c.name === 'testcase')).toBe(true);
    }
  });

  test('testcases are named "<scenario> [<invariant>]" with classname bn-suite.<backend> and time in seconds', () => {
    const doc = parseXml(junitXml(mixed));
    const first = doc.children[0].children[0];
    expect(first.attrs).toEqual({ name: 'a [oracle-agreement]', classname: 'bn-suite.cpu', time: '0.250' });
    expect(first.children).toEqual([]);
  });

  test('an expected failure passes with a system-out line naming the issue; an expected unsupported is skipped', () => {
    const cpu = parseXml(junitXml(mixed)).children[0].children;
    const b = cpu.find((c) => c.attrs.name.startsWith('b '));
    expect(b?.children.map((c) => c.name)).toEqual(['system-out']);
    expect(b?.children[0].text).toMatch(/^expected failure: https:\/\/github\.com\/tensorflow\/tfjs\/issues\/1106 fail: b went fail\nreplay: bn-suite:b@cpu\?seed=5&tfjs=4\.22\.0$/);
    const c = cpu.find((x) => x.attrs.name.startsWith('c '));
    expect(c?.children.map((x) => x.name)).toEqual(['skipped']);
    expect(c?.children[0].attrs.message).toContain('tfjs/issues/8474');
  });

  test('unexpected failures and passes are <failure> with the summary and the replay token', () => {
    const doc = parseXml(junitXml(mixed));
    const d = doc.children[0].children.find((x) => x.attrs.name.startsWith('d '));
    expect(d?.children[0].name).toBe('failure');
    expect(d?.children[0].attrs.message).toBe('unexpected error: d went error (replay: bn-suite:d@cpu?seed=5&tfjs=4.22.0)');
    expect(d?.children[0].attrs.type).toBe('error');
    expect(d?.children[0].text).toContain('no known issue covers this result');
    const e = doc.children[1].children.find((x) => x.attrs.name.startsWith('e '));
    expect(e?.children[0].name).toBe('failure');
    expect(e?.children[0].attrs.message).toContain('unexpected pass: known issue unreported no longer reproduces');
    expect(e?.children[0].attrs.message).toContain('replay: bn-suite:e@wasm?seed=5&tfjs=4.22.0');
  });

  test('an unavailable backend is a testsuite with one skipped testcase naming the reason', () => {
    const tf = parseXml(junitXml(mixed)).children.find((s) => s.attrs.name === 'bn-suite.tensorflow');
    expect(tf?.attrs).toMatchObject({ tests: '1', failures: '0', skipped: '1' });
    expect(tf?.children[0].attrs.name).toBe('tensorflow backend unavailable');
    expect(tf?.children[0].children[0]).toMatchObject({ name: 'skipped', attrs: { message: 'tensorflow unavailable (module-missing): @tensorflow/tfjs-node is not installed (npm i @tensorflow/tfjs-node)' } });
  });

  test('an available backend that ran nothing has no testsuite; a result on a backend missing from the statuses still has one', () => {
    const doc = parseXml(junitXml(suite([record('a', 'wasm', 'pass', 'pass')], [CPU])));
    expect(doc.children.map((s) => s.attrs.name)).toEqual(['bn-suite.wasm']);
  });

  test('hostile summaries and ids are escaped and characters illegal in XML 1.0 are stripped', () => {
    const hostile = 'a "quoted" & <b>bold</b> \'apos\' ]]> \u0000nul \u0001\u0007\u001b[31m ctrl \uFFFE\uFFFF \uD800 lone\ttab\nline';
    const r = record('evil/<x>&"\'', 'cpu', 'fail', 'unexpected-fail', { summary: hostile, replay: 'bn-suite:evil@cpu?seed=5&path=0%3A1&tfjs=4.22.0' });
    const xml = junitXml(suite([r], [CPU]));
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(xml).not.toContain('<b>');
    const doc = parseXml(xml);
    const testcase = doc.children[0].children[0];
    expect(testcase.attrs.name).toBe('evil/<x>&"\' [oracle-agreement]');
    const stripped = 'a "quoted" & <b>bold</b> \'apos\' ]]> nul [31m ctrl   lone\ttab\nline';
    // Tabs and newlines survive in attributes as character references.
    expect(testcase.children[0].attrs.message).toBe(`unexpected fail: ${stripped} (replay: bn-suite:evil@cpu?seed=5&path=0%3A1&tfjs=4.22.0)`);
    expect(testcase.children[0].text).toContain(stripped);
  });

  test('escapeXml keeps astral characters and escapes all five specials', () => {
    expect(escapeXml('𝔅𝔑 <&>"\'')).toBe('𝔅𝔑 &lt;&amp;&gt;&quot;&apos;');
  });

  test('stale known issues are failures, so the XML fails when the run exits 1', () => {
    const stale: KnownIssue = { scenario: 'a', invariant: 'oracle-agreement', issue: 'unreported', reason: 'old', outcomes: ['fail'] };
    const doc = parseXml(junitXml(suite([record('a', 'cpu', 'pass', 'pass')], [CPU], [stale])));
    expect(doc.attrs).toMatchObject({ tests: '2', failures: '1' });
    const expectations = doc.children.find((s) => s.attrs.name === 'bn-suite.expectations');
    expect(expectations?.children[0].children[0].name).toBe('failure');
    expect(expectations?.children[0].children[0].attrs.message).toContain('stale known issue: a / oracle-agreement');
  });

  test('the sanity parser itself rejects what it must', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/closes/);
    expect(() => parseXml('<a>x & y</a>')).toThrow(/stray/);
    expect(() => parseXml('<a t="<"/>')).toThrow(/malformed/);
    expect(() => parseXml('<a>\u0001</a>')).toThrow(/illegal/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
  });

  test('an empty run is still a valid document', () => {
    const doc = parseXml(junitXml(suite([], [CPU])));
    expect(doc.attrs).toMatchObject({ tests: '0', failures: '0', skipped: '0' });
    expect(doc.children).toEqual([]);
  });
});
