/**
 * @module controllers/serving/model-staging — a `serve` container's model data for an engine that
 * stages on its nodes (`runtime.stagesData`, docs/cluster.md). The model data is extracted here,
 * by the same model cache one engine mounts (serving/model-cache.ts: budgets, unsafe entries,
 * missing data and their FailureReasons are the one-engine ones), and the stager on the chosen
 * node copies the extracted files into /opt/ml/model. Each instance stages its own copy:
 * instances may land on different nodes.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { StagingPlan } from '../../runtime/container-runtime.js';
import type { StagedObject, StagingSessions } from '../staging/staging-sessions.js';
import { TerminalFailure } from '../terminal-failure.js';

/** A plan that recreates `modelDir` (from serve-container.ts `modelDirFor`) at /opt/ml/model on the node, read-only as one engine binds it. */
export async function modelStagingPlan(sessions: StagingSessions | undefined, modelDir: string): Promise<StagingPlan> {
  if (!sessions) throw TerminalFailure.client('SLIPWAY_ADVERTISE_URL must be set with SLIPWAY_RUNTIME=swarm: nodes fetch model data from Slipway there.');
  const dirs: string[] = [];
  const objects: StagedObject[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(modelDir, path);
      // The cache keeps only links that stay inside the model directory: copy what they name.
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : await lstat(path);
      if (info?.isDirectory()) {
        dirs.push(rel);
        if (!entry.isSymbolicLink()) await walk(path);
      } else if (info?.isFile()) {
        objects.push({ path: rel, size: info.size, mode: info.mode, open: () => Promise.resolve(createReadStream(path)) });
      }
    }
  };
  await walk(modelDir);
  const session = sessions.download({ dirs, inline: [], objects });
  return { mountPath: '/opt/ml/model', url: session.url, outcome: session.outcome, readOnly: true };
}
