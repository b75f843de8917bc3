import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { DataFileError, formatProblem, parseYamlWithSchema, readYamlWithSchema } from '../../../src/surfaces/inputs/yaml-schema';
import { UsageError } from '../../../src/engine/errors';

const schema = z
  .object({
    name: z.string(),
    mode: z.enum(['fast', 'slow']),
    count: z.number().int(),
    inner: z.object({ x: z.number(), label: z.string().optional() }).strict(),
    list: z.array(z.number()),
  })
  .strict();

const GOOD = ['name: demo', 'mode: fast', 'count: 3', 'inner:', '  x: 1.5', 'list: [1, 2, 3]', ''].join('\n');

/** Runs the parser and returns the thrown DataFileError (fails the test when nothing is thrown). */
function problemsOf(text: string, file = 'cfg.yaml'): DataFileError {
  try {
    parseYamlWithSchema(text, file, schema);
  } catch (error) {
    expect(error).toBeInstanceOf(DataFileError);
    expect(error).toBeInstanceOf(UsageError);
    return error as DataFileError;
  }
  throw new Error('expected a DataFileError, but the text parsed');
}

describe('parseYamlWithSchema', () => {
  test('valid text parses into the typed value', () => {
    expect(parseYamlWithSchema(GOOD, 'cfg.yaml', schema)).toEqual({ name: 'demo', mode: 'fast', count: 3, inner: { x: 1.5 }, list: [1, 2, 3] });
  });

  test('malformed YAML is reported as file:line:col: (yaml): malformed YAML ...', () => {
    const error = problemsOf('name: demo\nlist: [1, 2\nmode: fast\n', 'broken.yaml');
    expect(error.problems.length).toBeGreaterThanOrEqual(1);
    expect(error.problems[0]).toMatchObject({ file: 'broken.yaml', path: '(yaml)' });
    expect(error.problems[0].line).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(/^broken\.yaml:\d+:\d+: \(yaml\): malformed YAML: \S/);
  });

  test('a duplicate key is malformed YAML located at the second occurrence', () => {
    const error = problemsOf('name: a\nmode: fast\nname: b\n');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 3, column: 1, path: '(yaml)' });
    expect(error.message).toContain('malformed YAML');
    expect(error.message).toMatch(/unique/i);
  });

  test('a schema error names line:col of the value, the dotted path and what was found', () => {
    const text = GOOD.replace('  x: 1.5', '  x: "wide"');
    const error = problemsOf(text);
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem).toMatchObject({ file: 'cfg.yaml', line: 5, column: 6, path: 'inner.x' });
    expect(problem.message).toContain('(found "wide")');
    expect(error.message).toBe(formatProblem(problem));
    expect(error.message.startsWith('cfg.yaml:5:6: inner.x: ')).toBe(true);
  });

  test('an array element is located at the element and its path includes the index', () => {
    const error = problemsOf(GOOD.replace('list: [1, 2, 3]', 'list: [1, two, 3]'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 6, column: 11, path: 'list.1' });
    expect(error.problems[0].message).toContain('(found "two")');
  });

  test('an unknown key is reported at the key itself, with the allowed keys', () => {
    const text = GOOD.replace('  x: 1.5', '  x: 1.5\n  colour: red');
    const error = problemsOf(text);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 6, column: 3, path: 'inner.colour' });
    expect(error.problems[0].message).toContain("unknown key 'colour'");
    expect(error.problems[0].message).toContain('allowed: x, label');
  });

  test('an unknown top-level key is reported at its own line', () => {
    const error = problemsOf(`${GOOD}speed: 9\n`);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 7, column: 1, path: 'speed' });
    expect(error.problems[0].message).toMatch(/^unknown key 'speed'; allowed: name, mode, count, inner, list$/);
  });

  test('enum errors list the allowed values and what was found', () => {
    const error = problemsOf(GOOD.replace('mode: fast', 'mode: medium'));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ line: 2, column: 7, path: 'mode' });
    expect(error.problems[0].message).toContain('"fast"');
    expect(error.problems[0].message).toContain('"slow"');
    expect(error.problems[0].message).toContain('(found "medium")');
  });

  test('several problems are all reported, one line each, in the message', () => {
    const text = ['name: 7', 'mode: medium', 'count: 2.5', 'inner:', '  x: 1', '  extra: 1', 'list: [a]', ''].join('\n');
    const error = problemsOf(text);
    const paths = error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['count', 'inner.extra', 'list.0', 'mode', 'name']);
    expect(error.message.split('\n')).toHaveLength(5);
    for (const p of error.problems) expect(error.message).toContain(`cfg.yaml:${p.line}:${p.column}: ${p.path}: `);
    expect(error.problems.find((p) => p.path === 'name')).toMatchObject({ line: 1, column: 7 });
    expect(error.problems.find((p) => p.path === 'count')).toMatchObject({ line: 3, column: 8 });
  });

  // KNOWN BUG (see report): zod reports every unknown key of one object in a single
  // `unrecognized_keys` issue and parseYamlWithSchema only reports `issue.keys[0]`.
  // Flip to `test` once src/config/yaml-schema.ts reports every key.
  test('two unknown keys in one object are both reported', () => {
    const error = problemsOf(`${GOOD}speed: 9\ncolour: red\n`);
    expect(error.problems.map((p) => p.path).sort()).toEqual(['colour', 'speed']);
  });

  test('a missing required key is reported at the enclosing map, without "(found ...)"', () => {
    const error = problemsOf(GOOD.replace('count: 3\n', ''));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ path: 'count', line: 1, column: 1 });
    expect(error.problems[0].message).not.toContain('(found');
  });

  test('a document of the wrong type is reported at (document)', () => {
    const error = problemsOf('- 1\n- 2\n');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ path: '(document)', line: 1, column: 1 });
    expect(error.problems[0].message).toContain('(found [1,2])');
  });

  test('long found values are abbreviated', () => {
    const long = 'y'.repeat(200);
    const error = problemsOf(GOOD.replace('name: demo', `name: [${long}]`));
    const message = error.problems.find((p) => p.path === 'name')?.message ?? '';
    expect(message).toContain('...)');
    expect(message.length).toBeLessThan(200);
  });
});

describe('readYamlWithSchema', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-yaml-schema-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads and validates a file, naming the file in problems', () => {
    const good = path.join(dir, 'good.yaml');
    fs.writeFileSync(good, GOOD);
    expect(readYamlWithSchema(good, schema).name).toBe('demo');
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, GOOD.replace('count: 3', 'count: many'));
    expect(() => readYamlWithSchema(bad, schema)).toThrow(`${bad}:3:8: count: `);
  });

  test('an unreadable file is a usage error with the errno code', () => {
    const missing = path.join(dir, 'missing.yaml');
    expect(() => readYamlWithSchema(missing, schema)).toThrow(UsageError);
    expect(() => readYamlWithSchema(missing, schema)).toThrow(`${missing}: cannot read (ENOENT)`);
  });
});
