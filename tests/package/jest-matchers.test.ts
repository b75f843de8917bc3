/**
 * The README's "Audit your model" and "In your jest tests" examples, run as a user runs them: in a
 * fresh project that installs the packed tarball, tfjs 4.22 and jest. The examples are read from
 * README.md (the code block after a `<!-- run by tests/package/jest-matchers.test.ts as FILE`
 * comment), so the README cannot drift from what works.
 */
import '../helpers/bind-tfjs';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { activateBackend, probeBackend } from '../../src/hosts/node/backends';
import { saveModelToFolder, smallBnModel } from '../helpers/saved-model';
import { packedProject, ROOT } from '../helpers/packed-project';

const run = promisify(execFile);
const TFJS = '4.22.0';
const JEST = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.jest;

/** The README code blocks marked for this test, by file name. */
function readmeExamples(): Map<string, string> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const examples = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- run by tests\/package\/jest-matchers\.test\.ts as ([\w.-]+)[^>]*-->\n```\w*\n([\s\S]*?)\n```/g)) examples.set(match[1], `${match[2]}\n`);
  return examples;
}

let project: string;

beforeAll(async () => {
  project = await packedProject('jest', [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-layers@${TFJS}`, `@tensorflow/tfjs-backend-cpu@${TFJS}`, `jest@${JEST}`]);
  for (const [file, source] of readmeExamples()) fs.writeFileSync(path.join(project, file), source);
  if (!(await probeBackend('cpu')).available) throw new Error('cpu backend unavailable');
  await activateBackend('cpu');
  const model = smallBnModel();
  await saveModelToFolder(model, path.join(project, 'my-model'));
  model.dispose();
}, 400_000);

afterAll(() => {
  if (project !== undefined) fs.rmSync(project, { recursive: true, force: true });
});

test('the README marks both examples', () => {
  expect([...readmeExamples().keys()].sort()).toEqual(['audit-example.mjs', 'bn.test.js']);
});

test('the "Audit your model" example: every BN layer listed, drift on tfjs 4.22, none with the remedy', async () => {
  const { stdout } = await run(process.execPath, ['audit-example.mjs'], { cwd: project });
  const lines = stdout.trim().split('\n');
  expect(lines.slice(0, 2).map((l) => l.split(' ')[0])).toEqual(['bn1', 'inner/bn2']);
  expect(lines.slice(-2)).toEqual(['false', 'true']);
}, 120_000);

test('the "In your jest tests" example passes under jest in the fresh project', async () => {
  const { stdout, stderr } = await run(process.execPath, [path.join('node_modules', 'jest', 'bin', 'jest.js'), '--ci', 'bn.test.js'], { cwd: project });
  expect(`${stdout}${stderr}`).toMatch(/Tests:\s+2 passed, 2 total/);
}, 180_000);

test('the matchers are typed: calls type-check against jest\'s expect, a wrong call does not', async () => {
  fs.writeFileSync(
    path.join(project, 'types.ts'),
    [
      "import 'bn-suite/jest';",
      "import { expect } from '@jest/globals';",
      "import type { LayersModel } from '@tensorflow/tfjs-layers';",
      "import type { Tensor } from '@tensorflow/tfjs-core';",
      'export async function check(model: LayersModel, x: Tensor): Promise<void> {',
      '  await expect(model).toKeepFrozenBatchNormStatistics(x, [0, 1], { steps: 2 });',
      '  await expect(model).not.toGiveTheSameOutputInBothModes(x);',
      '  await expect(model).toBeInferencePure(x);',
      '  // @ts-expect-error: the samples are required',
      '  await expect(model).toBeInferencePure();',
      '}',
      '',
    ].join('\n'),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', 'types.ts'], { cwd: project }).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
  expect(result).not.toHaveProperty('failed');
}, 120_000);
