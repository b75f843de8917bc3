/** bn-suite's own version, read from its package.json (two levels above src/engine/ and dist/engine/). */
export const BN_SUITE_VERSION: string = (require('../../package.json') as { version: string }).version;
