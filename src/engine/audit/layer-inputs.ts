/**
 * The actual input of a BN layer: what the layer receives when the model it sits in is called on
 * the user's data. The audit checks a layer on that input (its oracle agreement, its training- vs
 * inference-mode gap) rather than on synthetic data, because a layer's behaviour depends on the
 * scale and spread of what the layers before it produce.
 *
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { UsageError } from '../errors';
import { tf, tfl } from '../tfjs';
import type { BatchNormSite } from './bn-layers';

/**
 * The symbolic input of `layer` in `owner`'s graph. A model used as a layer has more than one node
 * (its own graph's, then one per call), and a shared layer one per call: the one that `owner`'s
 * inputs reach is the one that counts. Returns the probe model that computes it.
 */
function probeFor(owner: LayersModel, layer: Layer, what: string): { input: SymbolicTensor; probe: LayersModel | null } {
  if (owner.inputs.length !== 1) throw new UsageError(`model '${owner.name}' has ${owner.inputs.length} inputs; bn-suite audits models with one input`);
  let lastError: unknown = null;
  for (let node = 0; node < layer.inboundNodes.length; node++) {
    const found = layer.getInputAt(node);
    const inputs = Array.isArray(found) ? found : [found];
    if (inputs.length !== 1) throw new UsageError(`${what} '${layer.name}' takes ${inputs.length} inputs; bn-suite audits models and BN layers with one input`);
    if (inputs[0] === owner.inputs[0]) return { input: inputs[0], probe: null };
    try {
      // The probe shares the owner's layers and is never disposed (that would dispose them); it holds no tensors of its own.
      return { input: inputs[0], probe: tfl.model({ inputs: owner.inputs, outputs: inputs[0] }) };
    } catch (error) {
      lastError = error; // this node belongs to another graph
    }
  }
  throw new UsageError(`${what} '${layer.name}' is not reached from the inputs of model '${owner.name}': ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

/** What `owner` computes at `layer`'s input (a nested model's) when called in inference mode on `ownerInput`. */
function activationAt(owner: LayersModel, layer: Layer, what: string, ownerInput: Tensor, batchSize: number): Tensor {
  const { probe } = probeFor(owner, layer, what);
  return probe === null ? tf.clone(ownerInput) : (probe.predict(ownerInput, { batchSize }) as Tensor);
}

/**
 * The actual input of every BN layer in `sites`, keyed by path, when `root` runs in inference mode
 * on `x`. The caller owns (and disposes) the returned tensors.
 */
export function batchNormInputs(root: LayersModel, sites: readonly BatchNormSite[], x: Tensor, batchSize: number): Map<string, Tensor> {
  // The input each nested model receives, computed once per model.
  const modelInputs = new Map<LayersModel, Tensor>([[root, x]]);
  const inputOf = (chain: readonly LayersModel[]): Tensor => {
    const owner = chain[chain.length - 1];
    const known = modelInputs.get(owner);
    if (known !== undefined) return known;
    const parentInput = inputOf(chain.slice(0, -1));
    const value = activationAt(chain[chain.length - 2], owner, 'nested model', parentInput, batchSize);
    modelInputs.set(owner, value);
    return value;
  };
  const inputs = new Map<string, Tensor>();
  try {
    // One multi-output probe per owner model: one forward pass gives every BN layer's input in it.
    const owners = new Map<LayersModel, BatchNormSite[]>();
    for (const site of sites) {
      const owner = site.chain[site.chain.length - 1];
      owners.set(owner, [...(owners.get(owner) ?? []), site]);
    }
    for (const [owner, owned] of owners) {
      const ownerInput = inputOf(owned[0].chain);
      const symbolic = owned.map((site) => probeFor(owner, site.layer, 'BN layer').input);
      const inner = [...new Set(symbolic.filter((t) => t !== owner.inputs[0]))];
      const values = inner.length === 0 ? [] : ([] as Tensor[]).concat(tfl.model({ inputs: owner.inputs, outputs: inner }).predict(ownerInput, { batchSize }) as Tensor | Tensor[]);
      owned.forEach((site, i) => {
        const at = inner.indexOf(symbolic[i]);
        // A tensor that feeds two BN layers is cloned for the second, so each entry is disposed once.
        const value = at === -1 ? tf.clone(ownerInput) : values[at];
        inputs.set(site.path, [...inputs.values()].includes(value) ? tf.clone(value) : value);
      });
    }
  } catch (error) {
    tf.dispose([...inputs.values()]);
    throw error;
  } finally {
    for (const [model, tensor] of modelInputs) if (model !== root) tensor.dispose();
  }
  return inputs;
}

/** How many BN inputs are held at once: a MobileNetV2 at 224x224 holds ~50 MB per BN input of a 16-image batch. */
const SITES_PER_PASS = 8;

/**
 * Calls `fn` with the actual input of each BN layer in `sites`, in order, a few layers per forward
 * pass so that a large model's activations are never all held at once. Each input is disposed after
 * `fn` returns. `fn` must leave the model's weights as it found them (later inputs are computed
 * with them).
 */
export async function forEachBatchNormInput(root: LayersModel, sites: readonly BatchNormSite[], x: Tensor, batchSize: number, fn: (site: BatchNormSite, input: Tensor) => Promise<void>): Promise<void> {
  for (let start = 0; start < sites.length; start += SITES_PER_PASS) {
    const chunk = sites.slice(start, start + SITES_PER_PASS);
    const inputs = batchNormInputs(root, chunk, x, batchSize);
    try {
      for (const site of chunk) await fn(site, inputs.get(site.path)!);
    } finally {
      tf.dispose([...inputs.values()]);
    }
  }
}
