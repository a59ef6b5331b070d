/**
 * @module controllers/training-job/remote-staging — a training host's /opt/ml for an engine that
 * stages on its nodes (`runtime.stagesData`, docs/cluster.md): the same tree `workspace.ts` lays
 * out on this host, described as a manifest the node's stager fetches, and the way back (model,
 * output and the failure file land in the host's workspace folder here, so finalize reads them as
 * on one engine). Pipe channels get their epoch-0 FIFOs from the stager and a feed session the
 * node's feeder copies into them; Slipway reads, gunzips and RecordIO-wraps as on one engine.
 */
import { mkdir } from 'node:fs/promises';
import type { ContainerRuntime, StagingPlan } from '../../runtime/container-runtime.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { channelInputMode, hyperparametersJson, inputDataConfigJson, resourceConfigJson } from '../../resources/training-config-files.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import { channelObjects } from '../job-common/data-source.js';
import type { StagedObject, StagingSessions } from '../staging/staging-sessions.js';
import type { PipeSource } from '../job-common/pipe-feeder.js';
import type { PipeFeeds } from '../staging/remote-feeds.js';
import { collectStagedHosts } from '../staging/collect-staged.js';
import { TerminalFailure } from '../terminal-failure.js';
import { checkpointObjects, DEFAULT_CHECKPOINT_PATH, DEFAULT_TENSORBOARD_PATH, type HostWorkspace } from './workspace.js';
import { cleanContainerDir } from '../../resources/container-dir.js';

export const ML_ROOT = '/opt/ml';

export const hasPipeChannels = (doc: TrainingJobDoc): boolean => (doc.InputDataConfig ?? []).some((ch) => channelInputMode(doc, ch) === 'Pipe');

/** The staging plan of host `hostIndex` (`host` = algo-N). */
export async function trainingStagingPlan(
  sessions: StagingSessions,
  objects: ObjectStore,
  paths: LocalPaths,
  doc: TrainingJobDoc,
  host: string,
  hostIndex: number,
  feeds: PipeFeeds,
): Promise<StagingPlan> {
  const dirs = ['input/config', 'input/data', 'model', 'output', 'output/data', 'checkpoints', ...(doc.TensorBoardOutputConfig ? ['tensorboard'] : [])];
  const inline = [
    { path: 'input/config/hyperparameters.json', content: JSON.stringify(hyperparametersJson(doc)) },
    { path: 'input/config/inputdataconfig.json', content: JSON.stringify(inputDataConfigJson(doc)) },
    { path: 'input/config/resourceconfig.json', content: JSON.stringify(resourceConfigJson(doc, host)) },
  ];
  if (doc.CheckpointConfig) {
    inline.push({ path: 'input/config/checkpointconfig.json', content: JSON.stringify({ LocalPath: doc.CheckpointConfig.LocalPath ?? DEFAULT_CHECKPOINT_PATH, S3Uri: doc.CheckpointConfig.S3Uri }) });
  }
  if (doc.AlgorithmSpecification.MetricDefinitions?.length) {
    inline.push({ path: 'input/config/metric-definition-regex.json', content: JSON.stringify(doc.AlgorithmSpecification.MetricDefinitions) });
  }
  const staged: StagedObject[] = [];
  const pipes: PipeSource[] = [];
  const fifos: string[] = [];
  for (const ch of doc.InputDataConfig ?? []) {
    const src = ch.DataSource.S3DataSource;
    if (!src) throw TerminalFailure.client(`Channel ${ch.ChannelName}: only S3DataSource is supported by Slipway.`);
    if (channelInputMode(doc, ch) === 'Pipe') {
      // As controller.ts feeds on one engine: the share is listed again at every epoch.
      fifos.push(`input/data/${ch.ChannelName}`);
      pipes.push({
        channel: ch.ChannelName,
        list: () => channelObjects(objects, src, hostIndex, doc.ResourceConfig.InstanceCount, paths),
        gzip: ch.CompressionType === 'Gzip',
        gzipMaxBytes: feeds.gzipMaxBytes,
        recordIO: ch.RecordWrapperType === 'RecordIO',
        onDataError: feeds.onDataError,
      });
      continue;
    }
    dirs.push(`input/data/${ch.ChannelName}`);
    for (const obj of await channelObjects(objects, src, hostIndex, doc.ResourceConfig.InstanceCount, paths)) {
      staged.push({ path: `input/data/${ch.ChannelName}/${obj.relPath}`, size: obj.size, open: () => obj.open() });
    }
  }
  // The checkpoints a restarted job resumes from (CheckpointConfig.S3Uri), as on one engine.
  for (const obj of await checkpointObjects(objects, doc, paths)) {
    staged.push({ path: `checkpoints/${obj.relPath}`, size: obj.size, open: () => obj.open() });
  }
  const session = sessions.download({ dirs, inline, objects: staged, fifos: fifos.map((f) => `${f}_0`) });
  const feed = pipes.length ? { url: sessions.feed(pipes, feeds.signal).url, fifos } : undefined;
  return { mountPath: ML_ROOT, elsewhere: relocatedFolders(doc), url: session.url, outcome: session.outcome, ...(feed ? { feed } : {}) };
}

/**
 * Workspace folders the container sees at another path, as `workspace.ts` binds them on one
 * engine: TensorBoard data always (its LocalPath, by default /opt/ml/output/tensorboard, is a
 * mount of its own, so it stays out of output/), checkpoints when their LocalPath is not the
 * default /opt/ml/checkpoints. Paths were checked at create (resources/container-dir.ts).
 */
export function relocatedFolders(doc: TrainingJobDoc): { folder: string; containerPath: string }[] {
  const out: { folder: string; containerPath: string }[] = [];
  const ckpt = cleanContainerDir(doc.CheckpointConfig?.LocalPath ?? DEFAULT_CHECKPOINT_PATH);
  if (ckpt !== DEFAULT_CHECKPOINT_PATH) out.push({ folder: 'checkpoints', containerPath: ckpt });
  if (doc.TensorBoardOutputConfig) out.push({ folder: 'tensorboard', containerPath: cleanContainerDir(doc.TensorBoardOutputConfig.LocalPath ?? DEFAULT_TENSORBOARD_PATH) });
  return out;
}

/** The folders synced to S3 while the job runs: checkpoints/ and tensorboard/ when configured. */
export function syncedPaths(doc: TrainingJobDoc): string[] {
  return [...(doc.CheckpointConfig ? ['checkpoints'] : []), ...(doc.TensorBoardOutputConfig ? ['tensorboard'] : [])];
}

/**
 * Brings every host's model/ and output/ (failure file included), and checkpoints/ and
 * tensorboard/ when configured, back into its workspace folder; the first failure's words, if any.
 */
export async function collectHosts(runtime: ContainerRuntime, sessions: StagingSessions, doc: TrainingJobDoc, hosts: { id: string; ws: HostWorkspace }[]): Promise<string | undefined> {
  // finalize merges output/data of every host, present or not.
  for (const { ws } of hosts) await mkdir(ws.outputData, { recursive: true });
  const paths = ['model', 'output', ...syncedPaths(doc)];
  return collectStagedHosts(runtime, sessions, hosts.map(({ id, ws }) => ({ id, root: ws.root, paths })));
}

/**
 * While the job runs: each host's checkpoints/ and tensorboard/ from its node into its workspace
 * folder, files unchanged since the last pull skipped (kept mtimes), so the single-engine sync
 * uploads only what changed. Throws with the first failure's words.
 */
export async function pullSyncedFolders(runtime: ContainerRuntime, sessions: StagingSessions, doc: TrainingJobDoc, hosts: { id: string; ws: HostWorkspace }[]): Promise<void> {
  const paths = syncedPaths(doc);
  if (paths.length === 0) return;
  const lost = await collectStagedHosts(runtime, sessions, hosts.map(({ id, ws }) => ({ id, root: ws.root, paths })));
  if (lost) throw new Error(`pulling ${paths.join(' and ')} from the nodes failed: ${lost}`);
}
