import type { BackendStatus } from '../../engine/backends';
import type { ResultRecord, SuiteResult } from '../../results/schema';

/**
 * `junit.xml`: the run as JUnit XML for CI systems. One <testsuite> per backend, one <testcase> per
 * result; what the expectations allow (pass, expected failure) passes, anything unexpected is a
 * <failure>, an expected `unsupported` is <skipped>. Unavailable backends and stale known-issue
 * entries appear too, so the XML fails exactly when `bn-suite run` exits 1.
 */

/** Characters XML 1.0 does not allow anywhere (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for XML element content or attribute values, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(ILLEGAL_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Escapes an attribute value; tabs and line breaks are kept as character references (parsers would normalize them to spaces). */
function attr(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

interface TestCase {
  name: string;
  classname: string;
  timeMs: number;
  /** XML inside the <testcase>, already escaped. */
  body: string;
  failed: boolean;
  skipped: boolean;
}

function resultCase(r: ResultRecord): TestCase {
  const name = `${r.scenario} [${r.invariant}]`;
  const classname = `bn-suite.${r.backend}`;
  const base = { name, classname, timeMs: r.durationMs, failed: false, skipped: false };
  const issue = r.issue ?? 'no known issue';
  const replay = `replay: ${r.replay}`;
  switch (r.outcome) {
    case 'pass':
      return { ...base, body: '' };
    case 'expected-fail':
      if (r.status === 'unsupported') {
        return { ...base, skipped: true, body: `<skipped message="${attr(`expected unsupported (${issue}): ${r.summary}`)}"/>` };
      }
      return { ...base, body: `<system-out>${escapeXml(`expected failure: ${issue} ${r.status}: ${r.summary}\n${replay}`)}</system-out>` };
    case 'unexpected-fail': {
      const message = `unexpected ${r.status}: ${r.summary}`;
      const detail = [message, r.issue !== null ? `known issue ${r.issue} does not list the outcome '${r.status}'` : 'no known issue covers this result', replay];
      return { ...base, failed: true, body: `<failure message="${attr(`${message} (${replay})`)}" type="${attr(r.status)}">${escapeXml(detail.join('\n'))}</failure>` };
    }
    case 'not-observable':
      return { ...base, skipped: true, body: `<skipped message="${attr(`not observable in this run: ${r.summary}`)}"/>` };
    case 'unexpected-pass': {
      const message = `unexpected pass: known issue ${issue} no longer reproduces; update expectations/known-issues.yaml`;
      return { ...base, failed: true, body: `<failure message="${attr(`${message} (${replay})`)}" type="unexpected-pass">${escapeXml(`${message}\n${replay}`)}</failure>` };
    }
  }
}

function unavailableCase(b: Extract<BackendStatus, { available: false }>): TestCase {
  return {
    name: `${b.name} backend unavailable`,
    classname: `bn-suite.${b.name}`,
    timeMs: 0,
    failed: false,
    skipped: true,
    body: `<skipped message="${attr(`${b.name} unavailable (${b.kind}): ${b.reason}`)}"/>`,
  };
}

function testSuiteXml(name: string, cases: readonly TestCase[], timestamp: string): string {
  const failures = cases.filter((c) => c.failed).length;
  const skipped = cases.filter((c) => c.skipped).length;
  const time = cases.reduce((sum, c) => sum + c.timeMs, 0);
  const lines = [`  <testsuite name="${attr(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}" timestamp="${attr(timestamp)}">`];
  for (const c of cases) {
    const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}" time="${seconds(c.timeMs)}"`;
    lines.push(c.body === '' ? `${open}/>` : `${open}>${c.body}</testcase>`);
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

/** The whole run as a JUnit XML document. */
export function junitXml(suite: SuiteResult): string {
  const timestamp = suite.startedAt.replace(/\.\d+Z$/, 'Z');
  const suites: Array<{ name: string; cases: TestCase[] }> = [];
  const backends = [...suite.backends.map((b) => b.name), ...suite.results.map((r) => r.backend)].filter((b, i, all) => all.indexOf(b) === i);
  for (const backend of backends) {
    const status = suite.backends.find((b) => b.name === backend);
    const results = suite.results.filter((r) => r.backend === backend);
    if (status !== undefined && !status.available) suites.push({ name: `bn-suite.${backend}`, cases: [unavailableCase(status), ...results.map(resultCase)] });
    else if (results.length > 0) suites.push({ name: `bn-suite.${backend}`, cases: results.map(resultCase) });
    // An available backend that was not selected ran nothing: no suite.
  }
  if (suite.stale.length > 0) {
    suites.push({
      name: 'bn-suite.expectations',
      cases: suite.stale.map((e) => {
        const message = `stale known issue: ${e.scenario} / ${e.invariant}${e.backend ? ` [${e.backend.join(', ')}]` : ''} (${e.issue}) matched no result although its scenario ran; remove or update the entry`;
        return { name: `stale: ${e.scenario} [${e.invariant}]`, classname: 'bn-suite.expectations', timeMs: 0, failed: true, skipped: false, body: `<failure message="${attr(message)}" type="stale">${escapeXml(message)}</failure>` };
      }),
    });
  }
  const all = suites.flatMap((s) => s.cases);
  const totals = `tests="${all.length}" failures="${all.filter((c) => c.failed).length}" errors="0" skipped="${all.filter((c) => c.skipped).length}" time="${seconds(suite.durationMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bn-suite" ${totals} timestamp="${attr(timestamp)}">`,
    ...suites.map((s) => testSuiteXml(s.name, s.cases, timestamp)),
    '</testsuites>',
    '',
  ].join('\n');
}
