/**
 * @module controllers/serving/model-staging — a `serve` container's model data for an engine that
 * stages on its nodes (`runtime.stagesData`, docs/cluster.md): ModelDataUrl's `.tar.gz` is
 * unpacked into /opt/ml/model on the chosen node by the stager, under the same budgets as the
 * model cache here (SLIPWAY_MODEL_DATA_MAX_BYTES, SLIPWAY_MODEL_DATA_MAX_ENTRIES, nothing outside
 * the folder). Each instance stages its own copy: instances may land on different nodes.
 */
import type { StagingPlan } from '../../runtime/container-runtime.js';
import type { DataLimits } from '../../platform/data-limits.js';
import { parseDataUri } from '../../resources/s3-uri.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { StagedObject, StagingSessions } from '../staging/staging-sessions.js';
import { TerminalFailure } from '../terminal-failure.js';

export async function modelStagingPlan(
  sessions: StagingSessions | undefined,
  objects: ObjectStore,
  limits: DataLimits,
  modelDataUrl: string | undefined,
): Promise<StagingPlan> {
  if (!sessions) throw TerminalFailure.client('SLIPWAY_ADVERTISE_URL must be set with SLIPWAY_RUNTIME=swarm: nodes fetch model data from Slipway there.');
  const staged: StagedObject[] = [];
  if (modelDataUrl) {
    const loc = parseDataUri(modelDataUrl);
    if (loc?.scheme !== 's3') throw TerminalFailure.client(`Model data at ${modelDataUrl} cannot be used with SLIPWAY_RUNTIME=swarm: only s3:// locations reach other machines.`);
    const meta = await objects.headObject(loc.bucket, loc.key);
    if (!meta) throw TerminalFailure.client(`Could not find model data at ${modelDataUrl}.`);
    staged.push({
      path: 'model',
      size: meta.size,
      open: async () => (await objects.getObject(loc.bucket, loc.key)).body,
      extract: { maxBytes: limits.modelDataMaxBytes, maxEntries: limits.modelDataMaxEntries },
    });
  }
  const session = sessions.download({ dirs: ['model'], inline: [], objects: staged });
  return { mountPath: '/opt/ml', url: session.url, outcome: session.outcome };
}
