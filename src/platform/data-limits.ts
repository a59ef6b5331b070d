/**
 * @module platform/data-limits — budgets for decompressing user data (model archives, Gzip inputs),
 * read from the environment with their documented defaults. A malformed value stops the server
 * from starting: a budget silently replaced by its default is not a budget.
 */

export interface DataLimits {
  /** Decompressed bytes of one model.tar.gz, everything its gzip layer yields (SLIPWAY_MODEL_DATA_MAX_BYTES). */
  modelDataMaxBytes: number;
  /** Entries in one model.tar.gz (SLIPWAY_MODEL_DATA_MAX_ENTRIES). */
  modelDataMaxEntries: number;
  /** Decompressed bytes of one Gzip input object: Pipe channels, processing inputs, transform inputs (SLIPWAY_GZIP_INPUT_MAX_BYTES). */
  gzipInputMaxBytes: number;
}

export const DEFAULT_DATA_LIMITS: Readonly<DataLimits> = {
  modelDataMaxBytes: 20 * 1024 ** 3,
  modelDataMaxEntries: 1_000_000,
  gzipInputMaxBytes: 64 * 1024 ** 3,
};

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number (got "${raw}")`);
  return n;
}

export function dataLimitsFromEnv(env: NodeJS.ProcessEnv): DataLimits {
  return {
    modelDataMaxBytes: positiveInt(env, 'SLIPWAY_MODEL_DATA_MAX_BYTES', DEFAULT_DATA_LIMITS.modelDataMaxBytes),
    modelDataMaxEntries: positiveInt(env, 'SLIPWAY_MODEL_DATA_MAX_ENTRIES', DEFAULT_DATA_LIMITS.modelDataMaxEntries),
    gzipInputMaxBytes: positiveInt(env, 'SLIPWAY_GZIP_INPUT_MAX_BYTES', DEFAULT_DATA_LIMITS.gzipInputMaxBytes),
  };
}
