/**
 * Per-version tfjs folders for the matrix: `npm install --prefix` of tfjs-core, -layers,
 * -backend-cpu (from 2.0; tfjs 1.x carries its cpu backend in core) and -backend-wasm at one exact
 * version, into a cache folder reused by later runs and verified before use.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import type { BrowserBackendName } from '../../engine/backends';

/** The packages a matrix version needs, at `version`. */
export function tfjsPackagesFor(version: string): string[] {
  const names = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm'];
  const parsed = semver.coerce(version);
  if (parsed === null || semver.gte(parsed, '2.0.0')) names.splice(2, 0, '@tensorflow/tfjs-backend-cpu');
  return names;
}

/** The npm package of each browser backend, and the first tfjs version it was published at alongside tfjs-core. */
const BROWSER_PACKAGES: Record<BrowserBackendName, { packageName: string; since: string }> = {
  // tfjs 1.x carries webgl inside tfjs-core; its bundle layout differs and is not served.
  webgl: { packageName: '@tensorflow/tfjs-backend-webgl', since: '2.0.0' },
  // Before 4.6.0 tfjs-backend-webgpu had only 0.0.1-alpha versions, not matching tfjs-core.
  webgpu: { packageName: '@tensorflow/tfjs-backend-webgpu', since: '4.6.0' },
};

/** An installed version folder, or why there is none. */
export type TfjsInstall =
  | { ok: true; version: string; folder: string; reused: boolean; durationMs: number }
  | { ok: false; version: string; reason: string; durationMs: number };

/** Runs npm; injectable so tests can simulate a registry that fails. */
export type NpmRunner = (args: readonly string[], cwd: string) => Promise<{ code: number; stderr: string }>;

/** The npm on PATH (npm.cmd on Windows). */
export const systemNpm: NpmRunner = (args, cwd) =>
  new Promise((resolve) => {
    execFile(process.platform === 'win32' ? 'npm.cmd' : 'npm', [...args], { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      // A failed exec carries npm's exit code, or a string code (ENOENT: no npm) that counts as 1.
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stderr: String(stderr) });
    });
  });

/** Reads back the version of every package in `folder`; null when one is missing or different. */
function verify(folder: string, version: string, names: readonly string[] = tfjsPackagesFor(version)): string | null {
  for (const name of names) {
    const manifest = path.join(folder, 'node_modules', ...name.split('/'), 'package.json');
    let found: string | undefined;
    try {
      found = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version;
    } catch {
      return `${name} is missing from ${folder}`;
    }
    if (found !== version) return `${name} in ${folder} is ${found ?? 'unversioned'}, not ${version}`;
  }
  return null;
}

/** The last meaningful line of npm's stderr: "npm error 404 No match found for version 9.9.9" and the like. */
function npmReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^npm (warn|notice)/i.test(l));
  const errors = lines.filter((l) => /^npm error/i.test(l) && !/A complete log|^npm error\s*$/i.test(l));
  return (errors.slice(0, 2).join(' / ') || lines[lines.length - 1] || 'npm failed without a message').slice(0, 300);
}

/**
 * Makes `version` available in `cacheRoot/tfjs-<version>/`: reused when it is there and verifies,
 * installed otherwise (into a temporary folder renamed into place, so a failed or interrupted
 * install never leaves a half folder that looks usable). Never throws for a version that cannot be
 * installed: that is a result with the reason.
 */
export async function ensureTfjsInstalled(version: string, cacheRoot: string, npm: NpmRunner = systemNpm): Promise<TfjsInstall> {
  return ensureFolder(version, cacheRoot, `tfjs-${version}`, tfjsPackagesFor(version), npm);
}

/**
 * Makes the UMD bundles of one browser backend at `version` available in
 * `cacheRoot/tfjs-<version>-<backend>/` (tfjs-core, -backend-cpu, the backend, -layers), for the
 * browser host of a matrix column. A folder of its own: a second npm install into the Node folder
 * would prune what the first installed, and a backend never published at `version` must not keep
 * the other one out. Never throws: a version without the backend is a result with the reason.
 */
export async function ensureBrowserBundles(version: string, backend: BrowserBackendName, cacheRoot: string, npm: NpmRunner = systemNpm): Promise<TfjsInstall> {
  const { packageName, since } = BROWSER_PACKAGES[backend];
  if (semver.valid(version) !== null && semver.lt(version, since)) {
    return { ok: false, version, reason: `${packageName} has no release matching tfjs ${version} (the browser bundles are served from ${since} on)`, durationMs: 0 };
  }
  return ensureFolder(version, cacheRoot, `tfjs-${version}-${backend}`, ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', packageName, '@tensorflow/tfjs-layers'], npm);
}

async function ensureFolder(version: string, cacheRoot: string, name: string, packages: readonly string[], npm: NpmRunner): Promise<TfjsInstall> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (semver.valid(version) === null) return { ok: false, version, reason: `'${version}' is not an exact version (such as 3.21.0)`, durationMs: elapsed() };
  // Absolute: npm runs in the staging folder and would read a relative --prefix from there.
  const root = path.resolve(cacheRoot);
  const folder = path.join(root, name);
  if (fs.existsSync(folder) && verify(folder, version, packages) === null) return { ok: true, version, folder, reused: true, durationMs: elapsed() };
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, `.${name}-`));
  try {
    // A package.json of its own keeps npm from walking up into the user's project.
    fs.writeFileSync(path.join(staging, 'package.json'), `${JSON.stringify({ name: `bn-suite-${name}`, private: true }, null, 2)}\n`);
    const specs = packages.map((packageName) => `${packageName}@${version}`);
    const result = await npm(['install', '--prefix', staging, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel', 'error', ...specs], staging);
    if (result.code !== 0) return { ok: false, version, reason: `npm install failed: ${npmReason(result.stderr)}`, durationMs: elapsed() };
    const problem = verify(staging, version, packages);
    if (problem !== null) return { ok: false, version, reason: `installed but not usable: ${problem}`, durationMs: elapsed() };
    fs.rmSync(folder, { recursive: true, force: true });
    fs.renameSync(staging, folder);
    // mkdtemp made it private (0700); a cache folder is shared like any installed package.
    fs.chmodSync(folder, 0o755);
    return { ok: true, version, folder, reused: false, durationMs: elapsed() };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
