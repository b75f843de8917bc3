/**
 * tfjs with a fault patched into tfjs-layers, as `npm run mutants` makes it (src/dev/mutants), for
 * tests of the path a repro takes when tfjs misbehaves where tfjs 4.22 behaves: a node_modules
 * folder to run a generated script against, and bn-suite's CLI run on the same patched tfjs (through
 * the mutants' preload module), so a test can see both judge the same case.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyFault, LAYERS_BUNDLE, type Fault } from '../../src/dev/mutants/faults';
import type { BackendName } from '../../src/engine/backends';
import type { InvariantId } from '../../src/engine/invariants/types';
import { nodeInvariantContext } from '../../src/hosts/node/services';
import { tfjsVersions } from '../../src/hosts/node/tfjs';
import type { ResultRecord, SuiteResult } from '../../src/results/schema';
import { captureCase, renderScript, type CaseCapture } from '../../src/surfaces/repro/render-script';
import { tfjsNodeModules, verifyReproFiles, type Verification } from '../../src/surfaces/repro/verify';
import { reproPackageJson } from '../../src/surfaces/repro/write-repro';

const SUITE_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(SUITE_ROOT, 'dist', 'cli.js');
const REDIRECT = path.join(SUITE_ROOT, 'dist', 'dev', 'mutants', 'redirect.js');

/** A node_modules folder whose tfjs-layers is patched; every other package links to the real one. */
export interface PatchedTfjs {
  /** Pass as `nodeModules` to verifyReproFiles: the script then loads the patched tfjs-layers. */
  nodeModules: string;
  /** The patched tfjs-layers package folder (what the mutants' preload module redirects to). */
  layersDir: string;
}

/**
 * Writes `root/node_modules`: a link to every package of the real node_modules, except
 * tfjs-layers, which is a copy of its package.json and its patched Node bundle (the package's
 * "main"). Loading follows the links to the real files, so tfjs-core stays the one instance the
 * backends register into.
 */
export function patchedTfjs(root: string, fault: Fault): PatchedTfjs {
  const real = tfjsNodeModules();
  const nodeModules = path.join(root, 'node_modules');
  const scope = path.join(nodeModules, '@tensorflow');
  fs.mkdirSync(scope, { recursive: true });
  for (const entry of fs.readdirSync(real)) if (entry !== '@tensorflow' && entry !== '.bin') fs.symlinkSync(path.join(real, entry), path.join(nodeModules, entry));
  for (const entry of fs.readdirSync(path.join(real, '@tensorflow'))) if (entry !== 'tfjs-layers') fs.symlinkSync(path.join(real, '@tensorflow', entry), path.join(scope, entry));
  const layersDir = path.join(scope, 'tfjs-layers');
  const source = path.join(real, '@tensorflow', 'tfjs-layers');
  fs.mkdirSync(path.join(layersDir, path.dirname(LAYERS_BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(source, 'package.json'), path.join(layersDir, 'package.json'));
  fs.writeFileSync(path.join(layersDir, LAYERS_BUNDLE), applyFault(fs.readFileSync(path.join(source, LAYERS_BUNDLE), 'utf8'), fault));
  return { nodeModules, layersDir };
}

/** A fault of the tests' own (not one `npm run mutants` scores): tfjs-layers' code, replaced once. */
export function testFault(id: string, description: string, find: string, replace: string): Fault {
  return { id, kind: 'moving-stats', description, file: LAYERS_BUNDLE, find, replace };
}

/**
 * Runs the built CLI (`dist/cli.js`, so `npm run build` first) on the patched tfjs-layers, through
 * the mutants' preload module, and returns its exit code and output.
 */
export function runCliUnder(patched: PatchedTfjs, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, BN_MUTANT_LAYERS_DIR: patched.layersDir };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-r', REDIRECT, CLI, ...args], { cwd: SUITE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What {@link faultedCase} found: bn-suite's failing result under the fault, and the case's script run on both tfjs. */
export interface FaultedCase {
  /** bn-suite's result on the patched tfjs (a failure, with its counterexample). */
  result: ResultRecord;
  /** The counterexample captured on the installed tfjs: its observation is bn-suite's verdict there. */
  capture: CaseCapture;
  script: string;
  /** The script run against the installed tfjs. */
  installed: Verification;
  /** The same script run against the patched tfjs. */
  patched: Verification;
}

/**
 * A template's exit-1 path on an invariant tfjs 4.22 keeps: `bn-suite run` on tfjs patched with
 * `fault` finds `scenario` failing on `backend`; its counterexample is captured on the installed
 * tfjs (where bn-suite's check holds) and rendered; the script then runs against both. Comparing
 * the two runs with bn-suite's two verdicts shows the script exits 1 exactly where the check fails.
 * Needs the built CLI (`npm run build`) and the backend active in this process.
 */
export async function faultedCase(options: { root: string; fault: Fault; scenario: string; invariant: InvariantId; backend?: BackendName; otherBackends?: BackendName[] }): Promise<FaultedCase> {
  const backend = options.backend ?? 'cpu';
  const others = options.otherBackends ?? [];
  const patched = patchedTfjs(options.root, options.fault);
  const run = await runCliUnder(patched, ['run', '--scenario', options.scenario, '--backend', [backend, ...others].join(','), '--runs', '5', '--json', '--out', path.join(options.root, 'run')]);
  if (run.stdout.trim() === '') throw new Error(`bn-suite run on the patched tfjs printed no results (exit ${run.code}): ${run.stderr.slice(-2000)}`);
  const result = (JSON.parse(run.stdout) as SuiteResult).results.find((r) => r.scenario === options.scenario && r.backend === backend);
  if (result === undefined || result.status !== 'fail' || result.counterexample === null) {
    throw new Error(`bn-suite did not fail ${options.scenario} @ ${backend} on the patched tfjs (${options.fault.id}): ${result?.status} ${result?.summary}`);
  }
  const scenario = { id: options.scenario, description: `${options.scenario} (fault ${options.fault.id})`, invariant: options.invariant };
  const capture = await captureCase(options.invariant, result.counterexample, { context: nodeInvariantContext(backend, others) });
  const script = renderScript({ scenario, backend, spec: result.counterexample, capture, bnSuiteVersion: 'test' });
  const packageJson = reproPackageJson(backend, tfjsVersions(), others);
  return { result, capture, script, installed: await verifyReproFiles(script, packageJson), patched: await verifyReproFiles(script, packageJson, { nodeModules: patched.nodeModules }) };
}
