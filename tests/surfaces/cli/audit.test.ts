import '../../helpers/bind-tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dumpNpy } from '../../../src/surfaces/inputs/npy';
import { readResultsFile } from '../../../src/results/read';
import { runCli } from '../../helpers/cli';
import { useCpuAndTempDir } from '../../helpers/cpu-temp-dir';
import { saveModelToFolder, smallBnModel } from '../../helpers/saved-model';

const ROOT = path.resolve(__dirname, '../../..');
const run = promisify(execFile);
const tempDir = useCpuAndTempDir('bn-suite-cli-audit-');
let counter = 0;
const fresh = (name: string) => path.join(tempDir(), `${name}-${++counter}`);

async function savedModel(shards = 1): Promise<string> {
  const dir = fresh('model');
  const model = smallBnModel();
  await saveModelToFolder(model, dir, shards);
  model.dispose();
  return dir;
}

describe('bn-suite audit', () => {
  it('on a model saved by tfjs: lists every BN layer, shows drift and gaps, exits 1 (a frozen BN drifts on this tfjs)', async () => {
    const model = await savedModel(2);
    const out = fresh('out');
    const result = await runCli(['audit', model, '--backend', 'cpu', '--steps', '3', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/\| bn1 \| -1 \| 0\.99 \| 0\.001 \| cs \| yes \| [\d.e-]+ ✗ /);
    expect(result.out).toMatch(/\| inner\/bn2 \|/);
    expect(result.out).toMatch(/fail: frozen-moving-stats @ cpu: fine-tuning moved the moving statistics of 2 of 2 frozen BN layers/);
    expect(result.out).toMatch(/Remedy: freeze the base with `freezeForFineTuning\(base\)`/);
    const suite = readResultsFile(path.join(out, 'results.json'));
    expect(new Set(suite.results.map((r) => r.scenario))).toEqual(new Set(['audit/user_model']));
    expect(suite.results.map((r) => [r.invariant, r.status])).toEqual([
      ['frozen-moving-stats', 'fail'],
      ['frozen-gamma-beta', 'pass'],
      ['mode-switch', 'fail'],
      ['inference-purity', 'pass'],
      ['round-trip', 'fail'],
      ['oracle-agreement', 'pass'],
      ['no-leaked-tensors', 'pass'],
    ]);
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/## BN layers of the audited model/);
  });

  it('--repro writes a standalone script that loads the model from its path and reproduces the drift (exit 1), with ISSUE.md', async () => {
    const model = await savedModel();
    const out = fresh('out');
    const result = await runCli(['audit', model, '--backend', 'cpu', '--steps', '3', '--repro', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/repro audit cpu: .*audit-user_model-cpu \(reproduces: exit 1\)/);
    const dir = path.join(out, 'repros', 'audit-user_model-cpu');
    expect(fs.readFileSync(path.join(dir, 'repro.mjs'), 'utf8')).toContain(JSON.stringify(path.join(model, 'model.json')));
    expect(fs.readFileSync(path.join(dir, 'ISSUE.md'), 'utf8')).toMatch(/inner\/bn2 \(frozen\) moving_(mean|variance)\[\d+\]: [-\d.e]+ -> [-\d.e]+\nRESULT: reproduced/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies).toEqual({ '@tensorflow/tfjs-core': '4.22.0', '@tensorflow/tfjs-layers': '4.22.0', '@tensorflow/tfjs-backend-cpu': '4.22.0' });
  }, 120_000);

  it('the same model with --remedy: every check holds, exit 0, no remedy suggested', async () => {
    const result = await runCli(['audit', await savedModel(), '--backend', 'cpu', '--steps', '3', '--remedy', '--out', fresh('out')]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/7 results, 7 cases in [\d.]+ s: 7 pass/);
    expect(result.out).not.toMatch(/Remedy:/);
  });

  it('fine-tunes on the user data and labels (.npy and .json) and reports the accuracy of each mode', async () => {
    const samples = 24;
    const x = Float32Array.from({ length: samples * 6 }, (_, i) => Math.cos(i) * 3);
    const dataFile = path.join(tempDir(), 'x.npy');
    fs.writeFileSync(dataFile, Buffer.from(dumpNpy(x, [samples, 6])));
    const labelsFile = path.join(tempDir(), 'y.json');
    fs.writeFileSync(labelsFile, JSON.stringify(Array.from({ length: samples }, (_, i) => i % 2)));
    const out = fresh('out');
    const result = await runCli(['audit', await savedModel(), '--backend', 'cpu', '--data', dataFile, '--labels', labelsFile, '--batch-size', '8', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/on 24 user samples with labels/);
    expect(result.out).toMatch(/accuracy [\d.]+% in training mode, [\d.]+% in inference mode/);
  });

  it('on nsfwjs\'s pre-trained MobileNetV2 (wasm): all 52 BN layers listed and drifting, exit 1; with --remedy exit 0', async () => {
    // As a child process of the built CLI: jest's sandbox makes tfjs's kernels several times slower.
    const cli = async (args: string[]) =>
      run(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'audit', 'nsfwjs:mobilenet_v2', '--backend', 'wasm', '--samples', '8', '--batch-size', '4', '--steps', '2', '--out', fresh('out'), ...args], { maxBuffer: 16 * 1024 * 1024 }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout, err: error.stderr }),
      );
    const trap = await cli([]);
    expect(trap.err).not.toMatch(/bn-suite: /);
    expect(trap.code).toBe(1);
    expect(trap.out).toMatch(/nsfwjs:mobilenet_v2: 52 BN layers; freeze base \(the tfjs way\)/);
    expect(trap.out.split('\n').filter((line) => /^\| \S+ \| -1 \| 0\.999 \| 0\.001 \|/.test(line))).toHaveLength(52);
    expect(trap.out).toMatch(/fail: frozen-moving-stats @ wasm: fine-tuning moved the moving statistics of 52 of 52 frozen BN layers/);
    const fixed = await cli(['--remedy']);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/7 results, 7 cases in [\d.]+ s: 7 pass/);
  }, 300_000);

  it.each([
    ['a weight path with ../', (dir: string) => edit(dir, (json) => (json.weightsManifest[0].paths = ['../weights.bin'])), /model\.json: weightsManifest\.0\.paths\.0: '\.\.\/weights\.bin' leads out of the model's folder/, []],
    ['an oversize shard', () => undefined, /weightsManifest\.0\.paths\.0 \('weights\.bin'\): \d+ bytes, over the limit of 64 bytes \(--max-shard-bytes\)/, ['--max-shard-bytes', '64']],
    ['a truncated shard', (dir: string) => fs.truncateSync(path.join(dir, 'weights.bin'), 100), /its weights need 560 bytes, its shards \(weights\.bin\) hold 100 \(truncated or missing data\)/, []],
    ['data of the wrong shape', () => undefined, /the data has shape \[2,3\]; model 'user_model' takes \[batch,6\]/, ['--data', 'DATA']],
    ['--steps 0', () => undefined, /--steps/, ['--steps', '0']],
    ['an unknown layer to freeze', () => undefined, /--freeze: model 'user_model' has no layer 'nope'/, ['--freeze', 'nope']],
    ['an nsfwjs model that does not exist', () => undefined, /nsfwjs:nope: unknown nsfwjs model; nsfwjs ships mobilenet_v2, mobilenet_v2_mid, inception_v3/, ['NSFWJS']],
  ])('a hostile or bad input (%s) exits 2, names the file or flag, and writes nothing', async (_name, spoil, message, extra) => {
    const model = await savedModel();
    spoil(model);
    const dataFile = path.join(tempDir(), `bad-${counter}.json`);
    fs.writeFileSync(dataFile, JSON.stringify([[1, 2, 3], [4, 5, 6]]));
    const out = fresh('out');
    const target = extra[0] === 'NSFWJS' ? 'nsfwjs:nope' : model;
    const result = await runCli(['audit', target, '--backend', 'cpu', '--out', out, ...extra.filter((a) => a !== 'NSFWJS').map((a) => (a === 'DATA' ? dataFile : a))]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^bn-suite: /m);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
    expect(fs.existsSync(path.join(out, 'results.json'))).toBe(false);
  });
});

function edit(dir: string, change: (json: Record<string, any>) => void): void {
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json));
}
