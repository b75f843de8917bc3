/**
 * The package as a user gets it: `npm pack`, install the tarball into a fresh project next to
 * tfjs 4.22, and use it with `require` and with `import` to run one scenario.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { packedProject } from '../helpers/packed-project';

const run = promisify(execFile);
const TFJS = '4.22.0';

let project: string;

beforeAll(async () => {
  project = await packedProject('packed', [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-layers@${TFJS}`, `@tensorflow/tfjs-backend-cpu@${TFJS}`]);
}, 300_000);

afterAll(() => {
  if (project !== undefined) fs.rmSync(project, { recursive: true, force: true });
});

const SCRIPT_BODY = `
const suite = await runScenarios({ select: 'oracle/affine', backends: ['cpu'], runs: 2 });
const [result] = suite.results;
console.log(JSON.stringify({ n: suite.results.length, scenario: result.scenario, backend: result.backend, status: result.status, asExpected: suite.summary.asExpected, valid: parseSuiteResult(JSON.parse(JSON.stringify(suite))).results.length }));
`;

test.each([
  ['require', 'check.cjs', `const { runScenarios, parseSuiteResult } = require('bn-suite');\n(async () => {${SCRIPT_BODY}})();`],
  ['import', 'check.mjs', `import { runScenarios, parseSuiteResult } from 'bn-suite';\n${SCRIPT_BODY}`],
])('with %s, the installed package runs a shipped scenario on the project\'s tfjs', async (_how, file, source) => {
  fs.writeFileSync(path.join(project, file), source);
  const { stdout } = await run(process.execPath, [file], { cwd: project });
  expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({ n: 1, scenario: 'oracle/affine', backend: 'cpu', status: 'pass', asExpected: true, valid: 1 });
}, 120_000);

test('the tarball ships the library, the CLI, scenarios and known issues, and no dev tools', () => {
  const installed = path.join(project, 'node_modules', 'bn-suite');
  for (const part of ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'scenarios/tags.yaml', 'expectations/known-issues.yaml', 'README.md']) {
    expect(fs.existsSync(path.join(installed, part))).toBe(true);
  }
  expect(fs.existsSync(path.join(installed, 'dist', 'dev'))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
});
