import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** How a generated repro was run and what it did. */
export interface Verification {
  /**
   * `linked`: repro.mjs run against the tfjs packages bn-suite itself resolves (a `node_modules`
   * symlink in a temporary folder); `installed`: after `npm install` from the repro's package.json;
   * `page`: index.html opened in headless Chromium, the CDN bundles replaced by the local ones of
   * the tfjs under test (verify-page.ts).
   */
  mode: 'linked' | 'installed' | 'page';
  /** The script's exit code, or the page's `BN_SUITE_REPRO.exitCode` (null when it was killed or gave none). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the repro exited 1 and printed `RESULT: reproduced`. */
  reproduces: boolean;
  /** What the script printed, or the lines the page printed into its `<pre>`. */
  stdout: string;
  /** The script's stderr, or the page's console errors and warnings and its uncaught errors. */
  stderr: string;
  /**
   * Set when the repro could not be run at all: `npm install` failed, or for a page no Chromium,
   * Chromium did not start, the tfjs bundles are missing or the page did not load.
   */
  setupError?: string;
  /** Set when a page that started gave no exit code: what happened (it crashed, or gave no result in time). */
  failure?: string;
  /** For a page: the Chromium version it ran in. */
  browser?: string;
  durationMs: number;
}

/** Options of {@link verifyRepro}. */
export interface VerifyOptions {
  /** Install the pinned packages with npm in a temp folder instead of linking bn-suite's (needs the registry). */
  install?: boolean;
  /** Kill the script after this long (default 120 s; npm install gets 10 min). */
  timeoutMs?: number;
  /** The node_modules folder to link (default: the one that holds the @tensorflow/tfjs-core bn-suite uses). */
  nodeModules?: string;
}

/** The node_modules folder that holds the tfjs packages this process uses. */
export function tfjsNodeModules(): string {
  const manifest = require.resolve('@tensorflow/tfjs-core/package.json');
  // .../node_modules/@tensorflow/tfjs-core/package.json -> .../node_modules
  return path.resolve(path.dirname(manifest), '..', '..');
}

interface ChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for the child: this one without what would change module resolution or inject code. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return env;
}

function runChild(command: string, args: string[], cwd: string, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}

/**
 * Runs a repro folder's `repro.mjs` with plain `node repro.mjs` in a fresh child process and says
 * whether it reproduces (exit 1 and `RESULT: reproduced`). The folder itself is never modified:
 * see {@link verifyReproFiles}. Never prints.
 */
export async function verifyRepro(dir: string, options: VerifyOptions = {}): Promise<Verification> {
  const script = path.join(dir, 'repro.mjs');
  if (!fs.existsSync(script)) throw new Error(`${script}: no repro script to verify`);
  const manifest = path.join(dir, 'package.json');
  return verifyReproFiles(fs.readFileSync(script, 'utf8'), fs.existsSync(manifest) ? fs.readFileSync(manifest, 'utf8') : undefined, options);
}

/**
 * Writes the script (and package.json) into a fresh temporary folder and runs `node repro.mjs`
 * there. Module resolution: a `node_modules` symlink to the packages bn-suite itself uses (default),
 * or a real `npm install` from the pinned package.json (`install`). The temporary folder, link
 * included, is removed afterwards. Never prints.
 */
export async function verifyReproFiles(script: string, packageJson: string | undefined, options: VerifyOptions = {}): Promise<Verification> {
  const started = performance.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-repro-verify-'));
  const link = path.join(work, 'node_modules');
  const mode = options.install ? 'installed' : 'linked';
  try {
    fs.writeFileSync(path.join(work, 'repro.mjs'), script);
    if (packageJson !== undefined) fs.writeFileSync(path.join(work, 'package.json'), packageJson);
    if (options.install) {
      if (packageJson === undefined) throw new Error('verifying with npm install needs the package.json');
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const installed = await runChild(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], work, 600_000);
      if (installed.exitCode !== 0) {
        return {
          mode,
          exitCode: null,
          signal: null,
          reproduces: false,
          stdout: '',
          stderr: installed.stderr,
          setupError: `npm install exited ${installed.exitCode ?? installed.signal}: ${installed.stderr.trim().split('\n').slice(-3).join(' ')}`,
          durationMs: Math.round(performance.now() - started),
        };
      }
    } else {
      fs.symlinkSync(options.nodeModules ?? tfjsNodeModules(), link, 'junction');
    }
    const result = await runChild(process.execPath, ['repro.mjs'], work, options.timeoutMs ?? 120_000);
    return {
      mode,
      ...result,
      reproduces: result.exitCode === 1 && /^RESULT: reproduced$/m.test(result.stdout),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    // Remove the link itself first, so nothing can follow it into the linked packages.
    if (!options.install && fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One line for people: "reproduces: exit 1", "not verified: <reason>" or why it did not reproduce. */
export function formatVerification(v: Verification): string {
  if (v.setupError !== undefined) return `not verified: ${v.setupError}`;
  if (v.reproduces) return 'reproduces: exit 1';
  const how = v.exitCode !== null ? `exit ${v.exitCode}` : (v.failure ?? `killed by ${v.signal ?? 'a signal'}`);
  return `did not reproduce (${how}${v.exitCode === 2 ? ', the script threw' : ''})`;
}

/** ISSUE.md's "What it printed" section: how the run ended and its stdout, fenced. */
export function printedLines(verification: Verification): string[] {
  return [`**What it printed** (${formatVerification(verification)}):`, '', '```', verification.stdout.trim(), '```'];
}
