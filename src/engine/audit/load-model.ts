/**
 * Builds a LayersModel from artifacts read from disk (or given in memory), on the bound tfjs.
 * A model tfjs cannot build from them is the user's input problem (exit 2), named by file and
 * field where it can be: a weight whose shape the model does not take, a weight the model lacks.
 *
 * @packageDocumentation
 */
import type { ModelArtifacts } from '@tensorflow/tfjs-core/dist/io/types';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UsageError } from '../errors';
import { tf, tfl } from '../tfjs';

/**
 * Loads the model. `label` names the source in errors (the model.json path).
 *
 * @throws UsageError when tfjs cannot build the model from the artifacts
 */
export async function loadModelFromArtifacts(artifacts: ModelArtifacts, label: string): Promise<LayersModel> {
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const detail = await describeMisfit(artifacts);
    throw new UsageError(`${label}: tfjs cannot build the model${detail === null ? '' : `: ${detail}`}: ${message}`);
  }
}

/** Compares the manifest's weights with the weights the topology declares, by name and shape. */
async function describeMisfit(artifacts: ModelArtifacts): Promise<string | null> {
  let model: LayersModel;
  try {
    model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology }));
  } catch {
    return null;
  }
  try {
    const declared = new Map(model.weights.map((w) => [w.originalName, w.shape]));
    const specs = artifacts.weightSpecs ?? [];
    for (const [index, spec] of specs.entries()) {
      const shape = declared.get(spec.name);
      if (shape === undefined) continue;
      if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
        return `weight '${spec.name}' (manifest entry ${index}) has shape [${spec.shape.join(',')}], the model's layer takes [${shape.join(',')}]`;
      }
    }
    const given = new Set(specs.map((s) => s.name));
    const missing = [...declared.keys()].filter((name) => !given.has(name));
    if (missing.length > 0) return `the manifest lacks weight${missing.length > 1 ? 's' : ''} ${missing.slice(0, 3).map((m) => `'${m}'`).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`;
    return null;
  } finally {
    model.dispose();
  }
}
