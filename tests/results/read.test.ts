import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../src/engine/errors';
import { readResultsFile } from '../../src/results/read';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-read-results-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const VALID = {
  format: 'bn-suite-results',
  formatVersion: 1,
  tool: { name: 'bn-suite', version: '0.1.0' },
  tfjs: { '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0' },
  seed: 1,
  runs: 2,
  backends: [{ name: 'cpu', available: true, packageName: '@tensorflow/tfjs-backend-cpu', version: '4.22.0' }],
  results: [{ scenario: 'oracle/affine', invariant: 'oracle-agreement', backend: 'cpu', status: 'pass', outcome: 'pass', casesRun: 2, replay: 'x' }],
  summary: { results: 1 },
};

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
  test('reads a results file, keeping fields it does not check', () => {
    const suite = readResultsFile(write('ok.json', JSON.stringify(VALID)));
    expect(suite.tool.version).toBe('0.1.0');
    expect(suite.results[0].replay).toBe('x');
    expect((suite as unknown as { summary: unknown }).summary).toEqual({ results: 1 });
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
  ])('foreign JSON (%s) is not a bn-suite results file, naming the first problem', (label, content, where) => {
    const message = usageMessage(write(`${label.replace(/\W+/g, '-')}.json`, JSON.stringify(content)));
    expect(message).toContain(': not a bn-suite results file: ');
    expect(message).toContain(`file: ${where}: `);
  });
});
