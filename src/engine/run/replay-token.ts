import type { BackendName } from '../backends';
import { BACKEND_NAMES } from '../backends';
import { UsageError } from '../errors';

/** Everything needed to replay one failing property case exactly. */
export interface ReplayToken {
  scenario: string;
  backend: BackendName;
  /** fast-check seed of the property run. */
  seed: number;
  /** fast-check path of the (shrunk) counterexample; absent for a passing run. */
  path?: string;
  /** tfjs-core version the result came from. */
  tfjs: string;
}

/**
 * One pasteable line, e.g. `bn-suite:frozen-moving-stats/fit@wasm?seed=42&path=3:0&tfjs=4.22.0`.
 * The scenario id is percent-encoded, so any id survives the round trip.
 */
export function formatReplayToken(token: ReplayToken): string {
  const query = new URLSearchParams({ seed: String(token.seed), ...(token.path !== undefined ? { path: token.path } : {}), tfjs: token.tfjs });
  return `bn-suite:${encodeURIComponent(token.scenario).replace(/%2F/g, '/')}@${token.backend}?${query.toString()}`;
}

/** Parses {@link formatReplayToken}'s output; a malformed token is a usage error saying what is expected. */
export function parseReplayToken(text: string): ReplayToken {
  const match = /^bn-suite:([^@?]+)@([a-z]+)\?(.*)$/.exec(text.trim());
  const expected = 'expected bn-suite:<scenario>@<backend>?seed=<n>&path=<p>&tfjs=<version>';
  if (match === null) throw new UsageError(`malformed replay token '${text}'; ${expected}`);
  const [, scenario, backend, query] = match;
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new UsageError(`replay token names unknown backend '${backend}'; allowed: ${BACKEND_NAMES.join(', ')}`);
  }
  const params = new URLSearchParams(query);
  // Number(null) and Number('') are 0: insist on a written integer.
  const seedText = params.get('seed');
  const seed = seedText !== null && /^-?\d+$/.test(seedText) ? Number(seedText) : Number.NaN;
  const tfjs = params.get('tfjs');
  if (!Number.isSafeInteger(seed) || tfjs === null) throw new UsageError(`replay token '${text}' lacks seed or tfjs; ${expected}`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(scenario);
  } catch {
    throw new UsageError(`replay token '${text}': scenario '${scenario}' is not valid percent-encoding; ${expected}`);
  }
  const path = params.get('path') ?? undefined;
  return { scenario: decoded, backend: backend as BackendName, seed, tfjs, ...(path !== undefined ? { path } : {}) };
}
