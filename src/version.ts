/** bn-suite's own version, read from its package.json (one level above both src/ and dist/). */
export const BN_SUITE_VERSION: string = (require('../package.json') as { version: string }).version;
