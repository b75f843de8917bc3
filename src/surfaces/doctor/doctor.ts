import { probeBackends, nodeRequireLoader } from '../../hosts/node/backends';
import type { BackendStatus, ModuleLoader } from '../../engine/backends';
import { tf, tfjsVersions } from '../../hosts/node/tfjs';
import { type TfjsVersions } from '../../engine/tfjs';
import { BN_SUITE_VERSION } from '../../engine/version';

/** Everything `bn-suite doctor` reports about the machine and the tfjs it will test. */
export interface DoctorReport {
  bnSuiteVersion: string;
  node: string;
  platform: string;
  arch: string;
  tfjs: TfjsVersions;
  backends: BackendStatus[];
  /** WebAssembly feature flags as tfjs-backend-wasm detects them; null when wasm is unavailable. */
  wasm: { simd: boolean; threads: boolean } | null;
}

/** Collects the doctor report. Probing loads every installed backend into this process. */
export async function collectDoctorReport(loader: ModuleLoader = nodeRequireLoader): Promise<DoctorReport> {
  const backends = await probeBackends(loader);
  const wasmAvailable = backends.some((b) => b.name === 'wasm' && b.available);
  return {
    bnSuiteVersion: BN_SUITE_VERSION,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    tfjs: tfjsVersions(),
    backends,
    wasm: wasmAvailable
      ? {
          // Both flags are registered by tfjs-backend-wasm and evaluated lazily (async feature tests).
          simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
          threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
        }
      : null,
  };
}
