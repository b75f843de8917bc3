import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../src/engine/errors';
import { readResultsFile } from '../../src/results/read';
import { resultRecord } from '../helpers/fixtures';
import { suiteResult } from '../helpers/suite-result';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-read-results-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A complete results document, as bn-suite writes it.
const VALID = JSON.parse(JSON.stringify(suiteResult([resultRecord({ replay: 'bn-suite:oracle/affine@cpu?seed=1&tfjs=4.22.0' })]))) as Record<string, unknown> & { results: Array<Record<string, unknown>> };

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function usageMessage(file: string): string {
  try {
    readResultsFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('readResultsFile', () => {
  test('reads back exactly what bn-suite wrote', () => {
    expect(readResultsFile(write('ok.json', JSON.stringify(VALID)))).toEqual(VALID);
  });

  test('a missing file says it cannot be read', () => {
    const file = path.join(dir, 'missing.json');
    expect(usageMessage(file)).toBe(`${file}: cannot read results (ENOENT)`);
  });

  test('a folder is not a results file', () => {
    expect(usageMessage(dir)).toMatch(/cannot read results \(EISDIR\)/);
  });

  test('a file that is not JSON says so', () => {
    const file = write('text.json', 'hello: world\n');
    const message = usageMessage(file);
    expect(message.startsWith(`${file}: not JSON (`)).toBe(true);
    expect(message).toMatch(/\)$/);
  });

  test('an empty file is not JSON', () => {
    expect(usageMessage(write('empty.json', ''))).toContain('not JSON');
  });

  test.each<[string, unknown, string]>([
    ['another tool', { name: 'something-else', version: 3 }, 'format'],
    ['a JSON array', [1, 2], '(root)'],
    ['wrong format version', { ...VALID, formatVersion: 2 }, 'formatVersion'],
    ['another tool name', { ...VALID, tool: { name: 'other', version: '1' } }, 'tool.name'],
    ['a result with an unknown status', { ...VALID, results: [{ ...VALID.results[0], status: 'flaky' }] }, 'results.0.status'],
    ['no results', { ...VALID, results: undefined }, 'results'],
    ['a result without its replay token', { ...VALID, results: [{ ...VALID.results[0], replay: undefined }] }, 'results.0.replay'],
    ['an unknown backend', { ...VALID, results: [{ ...VALID.results[0], backend: 'tpu' }] }, 'results.0.backend'],
    ['a counterexample that is not a case', { ...VALID, results: [{ ...VALID.results[0], counterexample: { model: 1 } }] }, 'results.0.counterexample.model'],
    ['a summary without counts', { ...VALID, summary: { results: 1 } }, 'summary.casesRun'],
    ['a start time that is not a date', { ...VALID, startedAt: 'yesterday' }, 'startedAt'],
    ['no conformance', { ...VALID, conformance: undefined }, 'conformance'],
  ])('foreign JSON (%s) is not a bn-suite results file, naming the first problem', (label, content, where) => {
    const message = usageMessage(write(`${label.replace(/\W+/g, '-')}.json`, JSON.stringify(content)));
    expect(message).toContain(': not a bn-suite results file: ');
    expect(message).toContain(`file: ${where}: `);
  });
});
