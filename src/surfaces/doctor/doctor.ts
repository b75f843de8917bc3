import { probeBackends, nodeRequireLoader } from '../../hosts/node/backends';
import { openHosts } from '../../hosts/open-hosts';
import { BROWSER_BACKENDS } from '../../engine/backends';
import type { BackendStatus, ModuleLoader } from '../../engine/backends';
import { tf, tfjsVersions } from '../../hosts/node/tfjs';
import { type TfjsVersions } from '../../engine/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import { BN_SUITE_VERSION } from '../../engine/version';
import { PACKAGE_ROOT } from '../paths';

/**
 * The tfjs-core versions bn-suite is proven on: its own peer range (package.json), which the
 * matrix in CI runs over. Read from the manifest so the two can never disagree.
 */
export function testedTfjsRange(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
  return manifest.peerDependencies?.['@tensorflow/tfjs-core'] ?? '*';
}

/** Problems with the tfjs installation that do not stop a run but make its verdicts doubtful. */
export function tfjsWarnings(versions: TfjsVersions, range: string = testedTfjsRange()): string[] {
  const warnings: string[] = [];
  const core = versions['@tensorflow/tfjs-core'];
  // Without includePrerelease: a release candidate (4.23.0-rc.0 < 4.23.0) is not a tested version.
  if (!semver.satisfies(core, range)) {
    warnings.push(`@tensorflow/tfjs-core ${core} is outside the versions bn-suite is tested on (${range}); verdicts may be about bn-suite rather than tfjs (compare with \`bn-suite matrix --tfjs installed,4.22.0\`)`);
  }
  for (const [name, version] of Object.entries(versions)) {
    // tfjs-node ships on its own schedule; every other package must match core exactly.
    if (name === '@tensorflow/tfjs-node' || version === undefined || version === core) continue;
    warnings.push(`${name} ${version} differs from @tensorflow/tfjs-core ${core}: tfjs packages must be the same version`);
  }
  return warnings;
}

/** Everything `bn-suite doctor` reports about the machine and the tfjs it will test. */
export interface DoctorReport {
  bnSuiteVersion: string;
  node: string;
  platform: string;
  arch: string;
  tfjs: TfjsVersions;
  backends: BackendStatus[];
  /** WebAssembly feature flags as tfjs-backend-wasm detects them; null when wasm is unavailable (or too old to say). */
  wasm: { simd: boolean; threads: boolean } | null;
  /** The tested tfjs-core range ({@link testedTfjsRange}). */
  testedTfjs: string;
  /** {@link tfjsWarnings} of this installation. */
  warnings: string[];
}

/** Starts Chromium (when there is one) and probes webgl and webgpu in it; closes it again. */
export async function probeBrowserBackends(): Promise<BackendStatus[]> {
  const hosts = await openHosts({ backends: BROWSER_BACKENDS });
  try {
    return hosts.statuses;
  } finally {
    await hosts.close();
  }
}

/** Collects the doctor report. Probing loads every installed backend into this process. */
export async function collectDoctorReport(loader: ModuleLoader = nodeRequireLoader, probeBrowser: () => Promise<BackendStatus[]> = probeBrowserBackends): Promise<DoctorReport> {
  const backends = [...(await probeBackends(loader)), ...(await probeBrowser())];
  const wasmAvailable = backends.some((b) => b.name === 'wasm' && b.available);
  const versions = tfjsVersions();
  const range = testedTfjsRange();
  return {
    bnSuiteVersion: BN_SUITE_VERSION,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    tfjs: versions,
    backends,
    // tf.env().getAsync came with tfjs 2.x; tfjs 1.x cannot report the wasm feature flags.
    wasm: wasmAvailable && typeof tf.env().getAsync === 'function'
      ? {
          // Both flags are registered by tfjs-backend-wasm and evaluated lazily (async feature tests).
          simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
          threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
        }
      : null,
    testedTfjs: range,
    warnings: tfjsWarnings(versions, range),
  };
}
