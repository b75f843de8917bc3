import type { UnavailableKind } from '../../engine/backends';

/**
 * Turns the error thrown while requiring a backend package into an availability verdict.
 *
 * Node reports a missing package as code MODULE_NOT_FOUND. tfjs-node whose install script did
 * not download libtensorflow throws a plain Error without a code that mentions the binding file,
 * so the message is the only signal there.
 */
export function classifyLoadError(packageName: string, error: unknown): { kind: UnavailableKind; reason: string } {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0];
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
    return { kind: 'module-missing', reason: `${packageName} is not installed (npm i ${packageName})` };
  }
  if (/tfjs_binding\.node|native addon|libtensorflow/i.test(message)) {
    return { kind: 'native-addon-missing', reason: `${packageName} is installed but its native library is missing: ${firstLine}` };
  }
  return { kind: 'init-failed', reason: `${packageName} failed to load: ${firstLine}` };
}
