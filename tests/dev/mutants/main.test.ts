import { describe, expect, test } from '@jest/globals';
import { scoreByKind } from '../../../src/dev/mutants/main';

describe('scoreByKind', () => {
  test('counts caught of observable per kind, every kind listed, not-observable faults left out', () => {
    const line = scoreByKind([
      { kind: 'container', observable: true, caught: true },
      { kind: 'container', observable: true, caught: false },
      { kind: 'gradient', observable: false, caught: false },
      { kind: 'freeze-timing', observable: true, caught: true },
    ]);
    expect(line).toContain('container 1/2');
    expect(line).toContain('gradient 0/0');
    expect(line).toContain('freeze-timing 1/1');
    expect(line).toContain('bookkeeping 0/0');
  });
});
