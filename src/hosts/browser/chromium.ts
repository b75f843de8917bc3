/**
 * Finding and starting the Chromium that runs the browser backends. bn-suite downloads no browser:
 * it uses one installed on the machine (Debian's `chromium` package, a Chrome), or the one the
 * environment variable {@link CHROMIUM_ENV} points at.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The environment variable that points bn-suite at a Chromium or Chrome executable. */
export const CHROMIUM_ENV = 'BN_SUITE_CHROMIUM';

/** Where Chromium is looked for when {@link CHROMIUM_ENV} is not set, in order. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** How to get a Chromium, said wherever one is missing. */
export const CHROMIUM_HINT = `install one (Debian/Ubuntu: apt-get install -y chromium) or set ${CHROMIUM_ENV} to a Chromium or Chrome executable`;

/** The executable to use, or why there is none. */
export type ChromiumLocation = { found: true; executable: string } | { found: false; reason: string };

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds Chromium: {@link CHROMIUM_ENV} when set (and then only there: a wrong path is said, not
 * silently replaced by another browser), else the first of {@link CHROMIUM_CANDIDATES} that is an
 * executable file. `exists` is injected for tests.
 */
export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env, exists: (file: string) => boolean = isExecutable): ChromiumLocation {
  const configured = env[CHROMIUM_ENV];
  if (configured !== undefined && configured !== '') {
    const executable = path.resolve(configured);
    if (exists(executable)) return { found: true, executable };
    return { found: false, reason: `${CHROMIUM_ENV}=${configured} is not an executable file` };
  }
  const executable = CHROMIUM_CANDIDATES.find((candidate) => exists(candidate));
  if (executable !== undefined) return { found: true, executable };
  return { found: false, reason: `no Chromium found (looked in ${CHROMIUM_CANDIDATES.slice(0, 4).join(', ')}): ${CHROMIUM_HINT}` };
}

/**
 * Flags Chromium gets besides playwright's own (which add `--no-sandbox` as root and
 * `--enable-unsafe-swiftshader`): WebGPU is behind `--enable-unsafe-webgpu` on Linux, where without
 * it `requestAdapter()` finds nothing and tfjs would fall back to cpu.
 */
export const CHROMIUM_ARGS: readonly string[] = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--disable-gpu-watchdog', '--no-first-run', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'];
