import { runsToReach } from '../../../src/surfaces/repro/replay';

describe('runsToReach: how many cases a page replay generates to reach a token path', () => {
  test.each([
    [undefined, 10, 10],
    ['0:0:1', 10, 10],
    ['9', 10, 10],
    ['42:3:0', 10, 43],
    ['not-a-path', 5, 5],
  ] as const)('path %s, runs %d -> %d', (path, runs, expected) => {
    expect(runsToReach(path, runs)).toBe(expected);
  });
});
