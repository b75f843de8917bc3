/**
 * What the engine asks of the place it runs in, besides tfjs: switching backends, a persistent
 * model store for the round-trip checks, and a cache for pre-trained bases. Node provides files;
 * a browser page can provide IndexedDB or nothing. Passed to every check in its context, never
 * imported: the engine stays free of Node.
 *
 * @packageDocumentation
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { ModelArtifacts } from '@tensorflow/tfjs-core/dist/io/types';
import type { BackendName } from './backends';
import type { TfjsVersions } from './tfjs';

/** A store that makes a model take a real trip through its persistent form and back. */
export interface ModelStore {
  /** How the trip is named in evidence (`disk` in Node). */
  readonly via: 'disk' | 'indexeddb';
  /** Saves `model`, loads it back as a new model, and removes what it saved. */
  roundTrip(model: LayersModel): Promise<LayersModel>;
}

/** What happened to a cache entry: found and valid, absent, found corrupt and rebuilt, or no cache. */
export type CacheStatus = 'hit' | 'miss' | 'uncached' | `rebuilt (${string})`;

/** What a build makes: the model to cache, metadata to keep next to it, and how to free both. */
export interface BuildResult<M> {
  model: LayersModel;
  metadata: M;
  /** Frees everything the build made, `model` included; called once the entry is stored. */
  dispose(): void;
}

/** A cached model: a fresh copy, its metadata, and a way to load more copies of the same bytes. */
export interface CachedModel<M> {
  model: LayersModel;
  metadata: M;
  status: CacheStatus;
  /** Loads another copy of the cached model. */
  reload(): Promise<LayersModel>;
}

/** Request to a {@link ModelCache}. */
export interface CacheRequest<M> {
  /** Everything the model depends on; the cache derives its key from it. */
  keyParts: unknown;
  /** Makes the model on a miss or after finding a corrupt entry. */
  build(): Promise<BuildResult<M>>;
  /** Checks recorded metadata; an entry whose metadata fails is treated as corrupt. */
  isMetadata(value: unknown): value is M;
}

/** A cache of models keyed by what they depend on (pre-trained transfer bases). */
export interface ModelCache {
  ensure<M>(request: CacheRequest<M>): Promise<CachedModel<M>>;
}

/** The services a host gives the engine. */
/**
 * Pre-trained models a host can hand the engine (the Node host reads them from the nsfwjs package).
 * `artifacts` returns what `tf.io.fromMemory` takes, or why the model cannot be had here.
 */
export interface PretrainedModels {
  artifacts(name: 'nsfwjs/mobilenet_v2', options: { inputSize: number; cutAt: string }): ModelArtifacts | string;
}

export interface HostServices {
  /** Makes a backend active; resolves once it is ready. */
  activate(backend: BackendName): Promise<void>;
  /** The tfjs package versions the engine runs on. */
  tfjs: TfjsVersions;
  /** A content hash of the tfjs code in use, or null where the host cannot read it; part of cache keys. */
  tfjsFingerprint: string | null;
  /** A persistent store for round trips, or null where the host has none. */
  modelStore: ModelStore | null;
  /** The pre-trained-base cache. */
  modelCache: ModelCache;
  /** Pre-trained models (null or absent: none on this host; the scenarios that need one report unsupported). */
  pretrained?: PretrainedModels | null;
}
