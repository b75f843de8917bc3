/**
 * An on-disk cache of pre-trained models, so that a scenario pre-trains its base once per
 * (tfjs version, backend, seed, spec, profile) and later runs only fine-tune.
 *
 * One entry is one folder `<cache folder>/<key>/` holding `model.json` + `weights.bin` (written by
 * src/models/file-io.ts) and `checksum.json` (byte sizes and SHA-256 of both, the key's parts and
 * the caller's metadata). An entry is written in a temporary folder and renamed into place, so a
 * reader never sees half an entry. A corrupt entry (unreadable or malformed checksum.json, a
 * missing file, a wrong size, a checksum mismatch, a model that does not load) is deleted and
 * rebuilt, and the status says why.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { fileLoadHandler, fileSaveHandler, MODEL_JSON, WEIGHTS_BIN } from './file-io';
import { writeFileAtomic } from './atomic-write';
import { tfl } from './tfjs';
import type { BuildResult, CacheRequest, CacheStatus, CachedModel, ModelCache } from '../../engine/host-services';

/** The default cache folder, relative to the working directory. */
export const DEFAULT_CACHE_DIR = '.bn-suite-cache';

/** The checksum file of an entry. */
export const CHECKSUM_FILE = 'checksum.json';

/** Bumped when the entry layout changes; part of every key. */
export const CACHE_FORMAT = 1;


/** The files an entry's checksum covers. */
const COVERED_FILES = [MODEL_JSON, WEIGHTS_BIN] as const;

interface FileChecksum {
  bytes: number;
  sha256: string;
}

interface ChecksumFile {
  format: number;
  key: string;
  keyParts: unknown;
  files: Record<string, FileChecksum>;
  metadata: unknown;
}

/** JSON with object keys sorted at every level, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/**
 * The key of an entry: the first 32 hex digits of the SHA-256 of the canonical JSON of `parts`
 * (with the cache format). `parts` should name everything the cached model depends on.
 */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(canonicalJson({ format: CACHE_FORMAT, parts })).digest('hex').slice(0, 32);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Loads the model of a (valid) entry folder. */
export async function loadCachedModel(dir: string): Promise<LayersModel> {
  return tfl.loadLayersModel(fileLoadHandler(dir));
}

type Verification = { ok: true; metadata: unknown } | { ok: false; missing: boolean; reason: string };

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Checks an entry folder without loading the model: checksum.json parses and has the right shape
 * and key, and every covered file has the recorded size and SHA-256, and model.json is JSON.
 */
export async function verifyEntry(dir: string, key: string): Promise<Verification> {
  if (!(await exists(dir))) return { ok: false, missing: true, reason: 'no entry' };
  const bad = (reason: string): Verification => ({ ok: false, missing: false, reason });
  let text: string;
  try {
    text = await readFile(join(dir, CHECKSUM_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return bad(`no ${CHECKSUM_FILE}`);
    throw error;
  }
  let checksum: ChecksumFile;
  try {
    checksum = JSON.parse(text) as ChecksumFile;
  } catch {
    return bad(`${CHECKSUM_FILE} is not valid JSON`);
  }
  if (checksum === null || typeof checksum !== 'object' || typeof checksum.files !== 'object' || checksum.files === null) {
    return bad(`${CHECKSUM_FILE} has no files section`);
  }
  if (checksum.format !== CACHE_FORMAT) return bad(`${CHECKSUM_FILE} has format ${String(checksum.format)}, expected ${CACHE_FORMAT}`);
  if (checksum.key !== key) return bad(`${CHECKSUM_FILE} is for key ${String(checksum.key)}`);
  for (const name of COVERED_FILES) {
    const expected = checksum.files[name];
    if (expected === undefined || typeof expected.bytes !== 'number' || typeof expected.sha256 !== 'string') return bad(`${CHECKSUM_FILE} does not cover ${name}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return bad(`${name} is missing`);
      throw error;
    }
    if (bytes.byteLength !== expected.bytes) return bad(`${name} has ${bytes.byteLength} bytes, expected ${expected.bytes}`);
    if (sha256(bytes) !== expected.sha256) return bad(`checksum mismatch in ${name}`);
    if (name === MODEL_JSON) {
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch {
        return bad(`${MODEL_JSON} is not valid JSON`);
      }
    }
  }
  return { ok: true, metadata: checksum.metadata };
}


/** The outcome of {@link ensureCachedModel}: a fresh copy of the cached model, loaded from disk. */
export interface CachedEntry<M> {
  model: LayersModel;
  metadata: M;
  status: CacheStatus;
  key: string;
  /** The entry folder; {@link loadCachedModel} loads more copies from it. */
  dir: string;
}

export interface EnsureOptions<M> {
  /** The cache folder (created when missing). */
  folder: string;
  /** Everything the model depends on; hashed into the key and recorded in checksum.json. */
  keyParts: unknown;
  /** Makes the model on a miss or after finding a corrupt entry. */
  build(): Promise<BuildResult<M>>;
  /** Checks recorded metadata; an entry whose metadata fails is treated as corrupt. */
  isMetadata(value: unknown): value is M;
}

async function writeEntry<M>(folder: string, dir: string, key: string, keyParts: unknown, built: BuildResult<M>): Promise<void> {
  const temporary = join(folder, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temporary, { recursive: true });
  try {
    await built.model.save(fileSaveHandler(temporary));
    const files: Record<string, FileChecksum> = {};
    for (const name of COVERED_FILES) {
      const bytes = await readFile(join(temporary, name));
      files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
    }
    const checksum: ChecksumFile = { format: CACHE_FORMAT, key, keyParts, files, metadata: built.metadata };
    writeFileAtomic(join(temporary, CHECKSUM_FILE), `${JSON.stringify(checksum, null, 2)}\n`);
    try {
      await rename(temporary, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another process wrote the same entry first; the caller verifies and uses theirs.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/**
 * Returns the cached model for `keyParts`, building and caching it when absent or corrupt. The
 * returned model is always loaded from the entry on disk (also right after a build), so every
 * caller gets the same bytes whatever the cache status.
 *
 * @throws whatever `build` throws (a missing kernel, for one); a corrupt entry never throws
 */
export async function ensureCachedModel<M>(options: EnsureOptions<M>): Promise<CachedEntry<M>> {
  const key = cacheKey(options.keyParts);
  const dir = join(options.folder, key);
  await mkdir(options.folder, { recursive: true });

  const tryEntry = async (): Promise<{ ok: true; model: LayersModel; metadata: M } | { ok: false; missing: boolean; reason: string }> => {
    const verified = await verifyEntry(dir, key);
    if (!verified.ok) return verified;
    if (!options.isMetadata(verified.metadata)) return { ok: false, missing: false, reason: `${CHECKSUM_FILE} metadata is malformed` };
    let model: LayersModel;
    try {
      model = await loadCachedModel(dir);
    } catch (error) {
      return { ok: false, missing: false, reason: `the model does not load: ${(error as Error).message.split('\n')[0]}` };
    }
    return { ok: true, model, metadata: verified.metadata };
  };

  const first = await tryEntry();
  if (first.ok) return { model: first.model, metadata: first.metadata, status: 'hit', key, dir };
  if (!first.missing) await rm(dir, { recursive: true, force: true });
  const status: CacheStatus = first.missing ? 'miss' : `rebuilt (${first.reason})`;

  const built = await options.build();
  try {
    await writeEntry(options.folder, dir, key, options.keyParts, built);
  } finally {
    built.dispose();
  }
  const second = await tryEntry();
  if (!second.ok) throw new Error(`ensureCachedModel: the entry just written to '${dir}' is unusable: ${second.reason}`);
  return { model: second.model, metadata: second.metadata, status, key, dir };
}

/**
 * The engine's {@link ModelCache} over a cache folder: entries as described in this module's notes,
 * copies loaded from the entry on disk.
 */
export function fileModelCache(folder: string = DEFAULT_CACHE_DIR): ModelCache {
  return {
    async ensure<M>(request: CacheRequest<M>): Promise<CachedModel<M>> {
      const entry = await ensureCachedModel({ folder, ...request });
      return { model: entry.model, metadata: entry.metadata, status: entry.status, reload: () => loadCachedModel(entry.dir) };
    },
  };
}
