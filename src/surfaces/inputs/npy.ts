/**
 * numpy's .npy format through npyjs. npyjs ships its types for ESM only; its CommonJS build (what
 * bn-suite's CommonJS output requires) is the same API, so the types are borrowed from the ESM side.
 *
 * @packageDocumentation
 */
type Npyjs = typeof import('npyjs', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const npyjs = require('npyjs') as Npyjs;

/** Parses the bytes of a .npy file. */
export const parseNpy: Npyjs['parse'] = npyjs.parse;
/** Writes an array as the bytes of a .npy file. */
export const dumpNpy: Npyjs['dump'] = npyjs.dump;
