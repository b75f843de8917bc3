import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { errorOrigin, innermostFrame } from '../../../src/engine/run/error-origin';
import { HarnessFault, verdictFromError } from '../../../src/engine/run/verdict';
import { UsageError } from '../../../src/engine/errors';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('errorOrigin', () => {
  test('an error tfjs raises (a shape mismatch inside tf.tensor) is tfjs', () => {
    const error = thrownBy(() => tf.tensor([1, 2], [3]));
    // In jest the frame is source-mapped into tfjs-core's own sources.
    expect(innermostFrame(error)).toMatch(/@tensorflow[\\/]tfjs-core|tfjs-core[\\/]src/);
    expect(errorOrigin(error)).toBe('tfjs');
  });

  test('an error thrown by bn-suite code is bn-suite', () => {
    expect(errorOrigin(new Error('ours'))).toBe('bn-suite');
    // A TypeError from calling an API the tfjs in use lacks is raised in our frame.
    const missingApi = thrownBy(() => (tf.io as unknown as { NoSuchThing: { join(): void } }).NoSuchThing.join());
    expect(errorOrigin(missingApi)).toBe('bn-suite');
  });

  test('a throw without a stack is not blamed on tfjs', () => {
    expect(errorOrigin('a string')).toBe('bn-suite');
    expect(errorOrigin({ message: 'an object' })).toBe('bn-suite');
    const stackless = new Error('no stack');
    stackless.stack = undefined;
    expect(errorOrigin(stackless)).toBe('bn-suite');
  });

  test('frames of Node internals are skipped; a frame in a tfjs bundle or its wasm module is tfjs', () => {
    const at = (frames: string[]) => Object.assign(new Error('x'), { stack: ['Error: x', ...frames.map((f) => `    at ${f}`)].join('\n') });
    expect(errorOrigin(at(['process.processTicksAndRejections (node:internal/process/task_queues:95:5)', 'f (http://127.0.0.1:8080/tf-core.min.js:17:1)']))).toBe('tfjs');
    expect(errorOrigin(at(['wasm://wasm/00a1b2:wasm-function[12]:0x1f']))).toBe('tfjs');
    expect(errorOrigin(at(['g (/home/u/project/node_modules/bn-suite/dist/engine/run/case-run.js:3:1)', 'h (/x/node_modules/@tensorflow/tfjs-layers/dist/tf-layers.node.js:1:1)']))).toBe('bn-suite');
  });
});

describe('verdictFromError', () => {
  test('a tfjs throw is an error verdict; a kernel the backend lacks is unsupported', () => {
    expect(verdictFromError(thrownBy(() => tf.tensor([1, 2], [3]))).status).toBe('error');
    const kernel = Object.assign(new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), { stack: 'Error\n    at x (/n/node_modules/@tensorflow/tfjs-core/dist/x.js:1:1)' });
    expect(verdictFromError(kernel)).toMatchObject({ status: 'unsupported', evidence: { kernel: 'Conv2DBackpropFilter', backend: 'wasm' } });
  });

  // Seen in a child process on tfjs 2.8.6 wasm (conv training) and 1.7.4 wasm (any broadcasting Div).
  test("tfjs 2.x's missing-kernel message and a kernel's own 'not yet supported' are unsupported, naming the kernel", () => {
    const inTfjs = (message: string) => Object.assign(new Error(message), { stack: `Error: ${message}\n    at x (/v/node_modules/@tensorflow/tfjs-core/dist/engine.js:1:1)` });
    expect(verdictFromError(inTfjs('Error running Conv2DBackpropFilter: Neither modular kernel nor forward func passed'))).toMatchObject({
      status: 'unsupported',
      summary: expect.stringMatching(/^kernel Conv2DBackpropFilter is not available on /),
      evidence: { kernel: 'Conv2DBackpropFilter' },
    });
    expect(verdictFromError(inTfjs('Broadcasting along outer dims is not yet supported for Div.'))).toMatchObject({
      status: 'unsupported',
      summary: expect.stringMatching(/^kernel Div on .*: Broadcasting along outer dims is not supported$/),
      evidence: { kernel: 'Div' },
    });
    // The same words from bn-suite's own code are still bn-suite's fault.
    expect(() => verdictFromError(new Error('Broadcasting along outer dims is not yet supported for Div.'))).toThrow(HarnessFault);
  });

  test('an error verdict records the innermost frame it came from', () => {
    const verdict = verdictFromError(thrownBy(() => tf.tensor([1, 2], [3])));
    expect(verdict.status === 'error' && verdict.evidence.at).toMatch(/tfjs-core/);
  });

  test("bn-suite's own throw is a HarnessFault naming where it came from, never a verdict", () => {
    expect(() => verdictFromError(new TypeError('boom'))).toThrow(HarnessFault);
    expect(() => verdictFromError(new TypeError('boom'))).toThrow(/^bn-suite's own code failed, not tfjs: TypeError: boom \(at .*error-origin\.test\.ts/);
  });

  test('bad input stays a usage error', () => {
    expect(() => verdictFromError(new UsageError('bad scenario'))).toThrow(UsageError);
  });
});

describe('the preparation boundary', () => {
  test('tfjs throwing while bn-suite makes its tensors is a HarnessFault, not a verdict, even for a missing kernel', () => {
    const { preparing } = require('../../../src/engine/run/preparation') as typeof import('../../../src/engine/run/preparation');
    const shapeBug = thrownBy(() => preparing('the input tensor', () => tf.tensor([1, 2], [3])));
    expect(errorOrigin((shapeBug as { cause: unknown }).cause)).toBe('tfjs');
    expect(() => verdictFromError(shapeBug)).toThrow(HarnessFault);
    expect(() => verdictFromError(shapeBug)).toThrow(/^bn-suite's own code failed, not tfjs: CasePreparationError: preparing the input tensor failed: Error: Based on the provided shape, \[3\], the tensor should have 3 values but has 2/);
    const kernel = thrownBy(() => preparing('data.y', () => { throw Object.assign(new Error("Kernel 'Fill' not registered for backend 'wasm'"), { stack: 'Error\n    at x (/n/node_modules/@tensorflow/tfjs-core/dist/x.js:1:1)' }); }));
    expect(() => verdictFromError(kernel)).toThrow(HarnessFault);
  });
});
