/**
 * The services the in-process Node host gives the engine: backend switching through the backend
 * registry, a disk model store for round trips, and the file cache of pre-trained bases.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../engine/backends';
import type { HostServices, ModelStore } from '../../engine/host-services';
import type { InvariantContext } from '../../engine/invariants/types';
import { activateBackend } from './backends';
import { DEFAULT_CACHE_DIR, fileModelCache } from './base-cache';
import { fileLoadHandler, fileSaveHandler } from './file-io';
import { bindNodeTfjs, tfjsVersions, tfl } from './tfjs';

/** Saves a model to a fresh temporary folder with {@link fileSaveHandler}, loads it back, and removes the folder. */
export async function reloadFromDisk(model: LayersModel): Promise<LayersModel> {
  const dir = await mkdtemp(join(tmpdir(), 'bn-suite-round-trip-'));
  try {
    await model.save(fileSaveHandler(dir));
    return await tfl.loadLayersModel(fileLoadHandler(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A round trip through `model.json` + `weights.bin` in a temporary folder. */
export const diskModelStore: ModelStore = { via: 'disk', roundTrip: reloadFromDisk };

/** Options of the Node host. */
export interface NodeHostOptions {
  /** Folder of the pre-trained-base cache (default `.bn-suite-cache` in the working directory). */
  cacheDir?: string;
}

/** The Node host's services; binds the host project's tfjs into the engine first. */
export function nodeHostServices(options: NodeHostOptions = {}): HostServices {
  bindNodeTfjs();
  return {
    activate: activateBackend,
    tfjs: tfjsVersions(),
    modelStore: diskModelStore,
    modelCache: fileModelCache(options.cacheDir ?? DEFAULT_CACHE_DIR),
  };
}

/** The context a check gets in the Node host: its backend, the others it may compare with, and the services. */
export function nodeInvariantContext(backend: BackendName, otherBackends: readonly BackendName[], host: HostServices = nodeHostServices()): InvariantContext {
  return { backend, otherBackends: otherBackends.filter((b) => b !== backend), activate: host.activate, host };
}
