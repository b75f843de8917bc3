/**
 * The services the in-process Node host gives the engine: backend switching through the backend
 * registry, a disk model store for round trips, and the file cache of pre-trained bases.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../engine/backends';
import type { HostServices, ModelCache, ModelStore, PretrainedModels } from '../../engine/host-services';
import { NsfwjsMissingError, nsfwjsArtifacts } from './nsfwjs-models';
import { memoryModelCache } from '../../engine/memory-model-cache';
import type { InvariantContext } from '../../engine/invariants/types';
import { activateBackend } from './backends';
import { DEFAULT_CACHE_DIR, fileModelCache } from './base-cache';
import { fileLoadHandler, fileSaveHandler } from './file-io';
import { bindNodeTfjs, tfjsFingerprint, tfjsVersions, tfl } from './tfjs';

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
  /** Told once, in one line, when the cache folder cannot be used and the run goes on without it. */
  onWarning?: (message: string) => void;
}

/** File-system error codes that make a cache folder unusable (not a fault of tfjs or of the run). */
const UNUSABLE_FOLDER = new Set(['EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EISDIR', 'ENOENT', 'EDQUOT']);

/**
 * The file cache, falling back to an in-memory cache (with one warning) when its folder cannot be
 * used: a broken cache is never a verdict and never stops a run. Errors of the build itself (tfjs
 * training the base) pass through untouched.
 */
export function resilientModelCache(primary: ModelCache, fallback: ModelCache, describe: string, onWarning: (message: string) => void = () => undefined): ModelCache {
  let broken = false;
  return {
    async ensure(request) {
      if (broken) return fallback.ensure(request);
      let buildFailed = false;
      const build = async () => {
        try {
          return await request.build();
        } catch (error) {
          buildFailed = true;
          throw error;
        }
      };
      try {
        return await primary.ensure({ ...request, build });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (buildFailed || typeof code !== 'string' || !UNUSABLE_FOLDER.has(code)) throw error;
        broken = true;
        onWarning(`the pre-trained-base cache ${describe} cannot be used (${code}): running without it`);
        return fallback.ensure(request);
      }
    },
  };
}

/** The Node host's services; binds the host project's tfjs into the engine first. */
export function nodeHostServices(options: NodeHostOptions = {}): HostServices {
  bindNodeTfjs();
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  return {
    activate: activateBackend,
    tfjs: tfjsVersions(),
    tfjsFingerprint: tfjsFingerprint(),
    modelStore: diskModelStore,
    modelCache: resilientModelCache(fileModelCache(cacheDir), memoryModelCache(), `'${cacheDir}'`, options.onWarning),
    pretrained: nodePretrainedModels,
  };
}

/** The pre-trained models of the Node host: nsfwjs's, read from the installed package; the reason when it is not installed. */
export const nodePretrainedModels: PretrainedModels = {
  artifacts(name, options) {
    try {
      return nsfwjsArtifacts(name.slice('nsfwjs/'.length), options);
    } catch (error) {
      if (error instanceof NsfwjsMissingError) return error.message;
      throw error;
    }
  },
};

/** The context a check gets in the Node host: its backend, the others it may compare with, and the services. */
export function nodeInvariantContext(backend: BackendName, otherBackends: readonly BackendName[], host: HostServices = nodeHostServices()): InvariantContext {
  return { backend, otherBackends: otherBackends.filter((b) => b !== backend), activate: host.activate, host };
}
