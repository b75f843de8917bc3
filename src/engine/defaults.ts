/** Default fast-check seed: fixed, so that two runs of the gate on one tfjs see the same cases. */
export const DEFAULT_SEED = 20261127;

/** Default generated cases per (property scenario, backend) of `bn-suite run`. */
export const DEFAULT_RUNS = 10;
