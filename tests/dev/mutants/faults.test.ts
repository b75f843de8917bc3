import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { applyFault, countOccurrences, FAULT_KINDS, FAULTS, LAYERS_BUNDLE } from '../../../src/dev/mutants/faults';

/** The installed tfjs-layers package folder (the one bn-suite resolves). */
const layersDir = path.dirname(require.resolve('@tensorflow/tfjs-layers/package.json'));
const manifest = JSON.parse(fs.readFileSync(path.join(layersDir, 'package.json'), 'utf8')) as { main: string };
const bundle = fs.readFileSync(path.join(layersDir, LAYERS_BUNDLE), 'utf8');

describe('the fault list', () => {
  test('patches the file Node loads for tfjs-layers (package.json "main")', () => {
    expect(path.posix.normalize(manifest.main)).toBe(LAYERS_BUNDLE);
  });

  test('has at least 8 faults with unique ids and distinct patches', () => {
    expect(FAULTS.length).toBeGreaterThanOrEqual(8);
    expect(new Set(FAULTS.map((f) => f.id)).size).toBe(FAULTS.length);
    expect(new Set(FAULTS.map((f) => `${f.find}\u0000${f.replace}`)).size).toBe(FAULTS.length);
  });

  test('has a fault of every kind', () => {
    for (const kind of Object.keys(FAULT_KINDS)) expect(FAULTS.filter((f) => f.kind === kind).map((f) => f.id)).not.toEqual([]);
  });

  test.each(FAULTS.map((f) => [f.id, f] as const))('%s: the snippet occurs exactly once and the replacement differs', (_id, fault) => {
    expect(fault.file).toBe(LAYERS_BUNDLE);
    expect(countOccurrences(bundle, fault.find)).toBe(1);
    expect(fault.replace).not.toBe(fault.find);
    const patched = applyFault(bundle, fault);
    expect(patched).not.toBe(bundle);
    expect(countOccurrences(patched, fault.find)).toBe(fault.replace.includes(fault.find) ? 1 : 0);
  });
});

describe('applyFault', () => {
  const fault = { id: 'demo', kind: 'forward', description: 'demo', file: LAYERS_BUNDLE, find: 'b', replace: 'B' } as const;
  test('replaces the single occurrence', () => {
    expect(applyFault('abc', fault)).toBe('aBc');
  });
  test('refuses a snippet that is missing or occurs more than once', () => {
    expect(() => applyFault('acd', fault)).toThrow(/occurs 0 times/);
    expect(() => applyFault('abcb', fault)).toThrow(/occurs 2 times/);
  });
  test('refuses a replacement equal to the snippet', () => {
    expect(() => applyFault('abc', { ...fault, replace: 'b' })).toThrow(/change nothing/);
  });
});
