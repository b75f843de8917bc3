import { classifyLoadError } from '../../../src/hosts/node/classify-load-error';

describe('classifyLoadError', () => {
  test('MODULE_NOT_FOUND for the package itself means the package is missing', () => {
    const error = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
    expect(classifyLoadError('@tensorflow/tfjs-node', error)).toEqual({
      kind: 'module-missing',
      reason: '@tensorflow/tfjs-node is not installed (npm i @tensorflow/tfjs-node)',
    });
  });

  test('an Error without code naming tfjs_binding.node means the native addon is missing', () => {
    const error = new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node.');
    const verdict = classifyLoadError('@tensorflow/tfjs-node', error);
    expect(verdict.kind).toBe('native-addon-missing');
    expect(verdict.reason).toContain('tfjs_binding.node');
  });

  test('MODULE_NOT_FOUND for a dependency of the package is an init failure, not a missing package', () => {
    const error = Object.assign(new Error("Cannot find module '@mapbox/node-pre-gyp'"), { code: 'MODULE_NOT_FOUND' });
    expect(classifyLoadError('@tensorflow/tfjs-node', error).kind).toBe('init-failed');
  });

  test('anything else is an init failure carrying the first line of the message', () => {
    expect(classifyLoadError('p', 'boom\nstack')).toEqual({ kind: 'init-failed', reason: 'p failed to load: boom' });
  });
});
