import * as path from 'node:path';
import { CHROMIUM_CANDIDATES, CHROMIUM_ENV, findChromium } from '../../../src/hosts/browser/chromium';

describe('findChromium', () => {
  test('takes the first candidate that exists', () => {
    const second = CHROMIUM_CANDIDATES[1];
    expect(findChromium({}, (file) => file === second)).toEqual({ found: true, executable: second });
  });

  test('the environment variable wins, and a wrong one is said rather than replaced by another browser', () => {
    const everything = () => true;
    expect(findChromium({ [CHROMIUM_ENV]: '/opt/chrome/chrome' }, everything)).toEqual({ found: true, executable: path.resolve('/opt/chrome/chrome') });
    const missing = findChromium({ [CHROMIUM_ENV]: '/nope/chromium' }, (file) => file !== path.resolve('/nope/chromium'));
    expect(missing).toEqual({ found: false, reason: `${CHROMIUM_ENV}=/nope/chromium is not an executable file` });
  });

  test('none found: the reason says how to install one and which variable points at one', () => {
    const result = findChromium({}, () => false);
    expect(result.found).toBe(false);
    if (!result.found) {
      expect(result.reason).toContain('apt-get install -y chromium');
      expect(result.reason).toContain(CHROMIUM_ENV);
    }
  });
});
