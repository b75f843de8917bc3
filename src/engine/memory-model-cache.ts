import type { io } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { CacheRequest, CachedModel, ModelCache } from './host-services';
import { tf, tfl } from './tfjs';

async function artifactsOf(model: LayersModel): Promise<io.ModelArtifacts> {
  let saved: io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === undefined) throw new Error('model.save did not hand its artifacts to the save handler');
  return saved;
}

/**
 * A {@link ModelCache} that lives as long as the process (or page): for hosts without a persistent
 * cache, and for the Node host when its cache folder is unusable. Every copy is loaded from the
 * saved artifacts, as a persistent cache would, so callers see the same bytes either way.
 */
export function memoryModelCache(): ModelCache {
  const entries = new Map<string, { artifacts: io.ModelArtifacts; metadata: unknown }>();
  return {
    async ensure<M>(request: CacheRequest<M>): Promise<CachedModel<M>> {
      const key = JSON.stringify(request.keyParts);
      let entry = entries.get(key);
      const status = entry === undefined ? 'uncached' : 'hit';
      if (entry === undefined || !request.isMetadata(entry.metadata)) {
        const built = await request.build();
        try {
          entry = { artifacts: await artifactsOf(built.model), metadata: built.metadata };
        } finally {
          built.dispose();
        }
        entries.set(key, entry);
      }
      const { artifacts, metadata } = entry;
      const reload = () => tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      return { model: await reload(), metadata: metadata as M, status, reload };
    },
  };
}
