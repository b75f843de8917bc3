/**
 * Faults that `npm run mutants` seeds into a throwaway copy of tfjs-layers, to prove that the gate
 * (`bn-suite run`) notices when tfjs's batch-normalization behaviour changes.
 *
 * Each fault is data: one exact snippet of the CommonJS bundle Node loads
 * (`@tensorflow/tfjs-layers/dist/tf-layers.node.js`, the package's "main") and its replacement.
 * A snippet must occur exactly once in the bundle; {@link applyFault} refuses anything else, so a
 * tfjs upgrade that moves the code makes the fault list fail loudly instead of silently patching
 * nothing.
 *
 * Two faults are "fixes" (tfjs starts honouring `trainable=false`; `center=false` stops crashing):
 * a fix is a behaviour change as well, and the gate must report it (as an unexpected pass).
 *
 * @packageDocumentation
 */

/** The bundle every fault patches, relative to the tfjs-layers package folder. */
export const LAYERS_BUNDLE = 'dist/tf-layers.node.js';

/** What part of tfjs's BN behaviour a fault touches; `npm run mutants` reports the score per kind. */
export type FaultKind = 'moving-stats' | 'forward' | 'gradient' | 'freeze-timing' | 'container' | 'bookkeeping' | 'serialization' | 'fix';

/** Every kind, with what it covers (a Record, so a new kind without a description fails the type check). */
export const FAULT_KINDS: Record<FaultKind, string> = {
  'moving-stats': 'how training mode updates moving_mean / moving_variance',
  forward: 'what the layer computes in inference or training mode',
  gradient: 'the backward pass (dx, dgamma, dbeta)',
  'freeze-timing': 'when a trainable change takes effect (compile, recompile, between fits)',
  container: 'Sequential / functional models, nesting and disposal',
  bookkeeping: 'which weights the layer and its containers list as trainable',
  serialization: 'what save / load keeps',
  fix: 'tfjs starting to behave as Keras does (the gate must report it)',
};

/** One seeded fault: replace the single occurrence of `find` in `file` with `replace`. */
export interface Fault {
  /** Short kebab-case name, unique in {@link FAULTS}. */
  id: string;
  kind: FaultKind;
  /** What the patched tfjs does differently, in words. */
  description: string;
  /** File to patch, relative to the tfjs-layers package folder. */
  file: typeof LAYERS_BUNDLE;
  /** Exact snippet; must occur exactly once in `file`. */
  find: string;
  /** What `find` becomes; must differ from it. */
  replace: string;
}

export const FAULTS: readonly Fault[] = [
  {
    id: 'momentum-flipped',
    kind: 'moving-stats',
    description: 'Moving-average update uses decay = momentum instead of 1 - momentum (PyTorch convention mixed into Keras momentum).',
    file: LAYERS_BUNDLE,
    find: 'var decay = 1 - momentum;',
    replace: 'var decay = momentum;',
  },
  {
    id: 'moving-variance-frozen',
    kind: 'moving-stats',
    description: 'The moving variance is never updated in training mode (the moving mean still is).',
    file: LAYERS_BUNDLE,
    find: 'doMovingAverage(_this.movingVariance, variance, _this.momentum);',
    replace: '/* mutant: moving variance never updated */',
  },
  {
    id: 'moving-mean-sign',
    kind: 'moving-stats',
    description: 'Sign error in the moving-mean update: the moving mean tracks -mean of the batch.',
    file: LAYERS_BUNDLE,
    find: 'doMovingAverage(_this.movingMean, mean, _this.momentum);',
    replace: 'doMovingAverage(_this.movingMean, tfc__namespace.neg(mean), _this.momentum);',
  },
  {
    id: 'bessel-moving-variance',
    kind: 'moving-stats',
    description: 'The moving variance accumulates the unbiased batch variance (x N/(N-1)), as fused tf.keras and PyTorch do, instead of the biased one.',
    file: LAYERS_BUNDLE,
    find: 'doMovingAverage(_this.movingVariance, variance, _this.momentum);',
    replace:
      'doMovingAverage(_this.movingVariance, tfc__namespace.mul(variance, (input.size / inputShape[axis]) / Math.max(input.size / inputShape[axis] - 1, 1)), _this.momentum);',
  },
  {
    id: 'epsilon-dropped-inference',
    kind: 'forward',
    description: 'Inference (channel axis last) normalizes with sqrt(moving variance) and no epsilon.',
    file: LAYERS_BUNDLE,
    find: '_this.gamma == null ? null : _this.gamma.read(), _this.epsilon);',
    replace: '_this.gamma == null ? null : _this.gamma.read(), 0);',
  },
  {
    id: 'inference-uses-batch-stats',
    kind: 'forward',
    description: 'training=false is ignored: inference normalizes with batch statistics and updates the moving statistics (predict is no longer pure).',
    file: LAYERS_BUNDLE,
    find: 'return normalizeInference();',
    replace: '/* mutant: fall through to the training path */',
  },
  {
    id: 'training-uses-moving-stats',
    kind: 'forward',
    description: 'Training mode updates the moving statistics but normalizes with them instead of the batch statistics.',
    file: LAYERS_BUNDLE,
    find: 'return normedTraining;',
    replace: 'return normalizeInference();',
  },
  {
    id: 'gamma-beta-swapped',
    kind: 'forward',
    description: 'Training mode passes beta as the scale and gamma as the offset.',
    file: LAYERS_BUNDLE,
    find: 'normalizeBatchInTraining(input, _this.gamma.read(), _this.beta.read(), reductionAxes, _this.epsilon)',
    replace: 'normalizeBatchInTraining(input, _this.beta.read(), _this.gamma.read(), reductionAxes, _this.epsilon)',
  },
  {
    id: 'fix-honour-trainable',
    kind: 'fix',
    description: 'Fix: a BN with trainable=false runs in inference mode (moving statistics, no updates), as in tf.keras and Keras 3.',
    file: LAYERS_BUNDLE,
    find: 'var normalizeInference = function () {',
    replace: 'if (!_this.trainable) {\n                training = false;\n            }\n            var normalizeInference = function () {',
  },
  {
    id: 'fix-center-scale-false',
    kind: 'fix',
    description: 'Fix for tfjs #2868: training mode with center=false or scale=false passes null instead of reading a missing beta/gamma.',
    file: LAYERS_BUNDLE,
    find: 'normalizeBatchInTraining(input, _this.gamma.read(), _this.beta.read(), reductionAxes, _this.epsilon)',
    replace:
      'normalizeBatchInTraining(input, _this.gamma == null ? null : _this.gamma.read(), _this.beta == null ? null : _this.beta.read(), reductionAxes, _this.epsilon)',
  },
  {
    id: 'frozen-weights-unlisted',
    kind: 'bookkeeping',
    description: 'A frozen layer lists its frozen gamma/beta in neither trainableWeights nor nonTrainableWeights (so they also drop out of layer.weights).',
    file: LAYERS_BUNDLE,
    find: `            else {
                return this._trainableWeights.concat(this._nonTrainableWeights);
            }`,
    replace: `            else {
                return this._nonTrainableWeights;
            }`,
  },
  {
    id: 'container-freeze-not-propagated',
    kind: 'bookkeeping',
    description: "Setting trainable = false on a nested model no longer freezes its layers' variables: the inner BN keeps listing gamma and beta as trainable.",
    file: LAYERS_BUNDLE,
    find: `            this.layers.forEach(function (layer) {
                // tslint:disable-next-line:no-any
                layer._trainableWeights
                    .forEach(function (w) { return w.trainable = trainable; });
            });`,
    replace: '/* mutant: container freeze not propagated */',
  },
  {
    id: 'batch-stats-no-gradient',
    kind: 'gradient',
    description: 'Training mode treats the batch mean and variance as constants in the backward pass (a stop-gradient on the moments): the forward pass is unchanged, but dx loses the two terms that come from μ and σ² depending on x.',
    file: LAYERS_BUNDLE,
    find: `        var variance = meanAndVariance.variance;
        var normed = batchNormalization$1(x, mean, variance, beta, gamma, epsilon);
        return [normed, mean, variance];`,
    replace: `        var variance = meanAndVariance.variance;
        var constant = tfc__namespace.customGrad(function (t) { return { value: tfc__namespace.clone(t), gradFunc: function (dy) { return tfc__namespace.zerosLike(dy); } }; });
        var normed = batchNormalization$1(x, constant(mean), constant(variance), beta, gamma, epsilon);
        return [normed, mean, variance];`,
  },
  {
    id: 'momentum-not-serialized',
    kind: 'serialization',
    description: "BatchNormalization.getConfig drops momentum, so a saved and reloaded BN falls back to the default 0.99.",
    file: LAYERS_BUNDLE,
    find: 'momentum: this.momentum,',
    replace: '/* mutant: momentum not serialized */',
  },
  {
    id: 'recompile-keeps-first-trainable',
    kind: 'freeze-timing',
    description: 'compile() keeps the trainable weights the first compile collected, so freezing and recompiling (or unfreezing and refreezing, or freezing between two fits) no longer stops fit from training gamma and beta.',
    file: LAYERS_BUNDLE,
    find: 'this.collectedTrainableWeights = this.trainableWeights;',
    replace: 'this.collectedTrainableWeights = this.collectedTrainableWeights != null ? this.collectedTrainableWeights : this.trainableWeights;',
  },
  {
    id: 'frozen-container-lists-weights',
    kind: 'container',
    description: "A frozen model nested in another still lists its layers' trainable weights (Container.trainableWeights ignores its own trainable flag): invisible one level down, where the freeze also flips the variables, but a frozen wrapper two levels above BN hands gamma and beta to fit again.",
    file: LAYERS_BUNDLE,
    find: `must remain an empty Array.');
            }
            if (!this.trainable) {
                return [];
            }`,
    replace: `must remain an empty Array.');
            }`,
  },
  {
    id: 'nested-dispose-skipped',
    kind: 'container',
    description: "Container.dispose() no longer disposes the models nested in it a second time, so their reference count never reaches zero and a functional model's nested base keeps its weights alive.",
    file: LAYERS_BUNDLE,
    find: 'result.numDisposedVariables += container.dispose().numDisposedVariables;',
    replace: '/* mutant: nested containers not disposed */',
  },
];

/** Non-overlapping occurrences of `needle` in `haystack`. */
export function countOccurrences(haystack: string, needle: string): number {
  if (needle.length === 0) throw new RangeError('countOccurrences: empty needle');
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * Returns `source` with the fault applied.
 * @throws Error naming the fault when `find` does not occur exactly once, or the replacement would change nothing.
 */
export function applyFault(source: string, fault: Fault): string {
  if (fault.find === fault.replace) throw new Error(`fault ${fault.id}: replacement equals the snippet, the patch would change nothing`);
  const count = countOccurrences(source, fault.find);
  if (count !== 1) throw new Error(`fault ${fault.id}: snippet ${JSON.stringify(fault.find)} occurs ${count} times in ${fault.file}; it must occur exactly once`);
  const at = source.indexOf(fault.find);
  return source.slice(0, at) + fault.replace + source.slice(at + fault.find.length);
}
