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
import { checkpointObjects, DEFAULT_CHECKPOINT_PATH, type HostWorkspace } from './workspace.js';

export const ML_ROOT = '/opt/ml';

/** What a cluster engine cannot do for a training job yet; refused before anything runs. */
export function unsupportedOnCluster(doc: TrainingJobDoc): string | undefined {
  // Checkpoints live in the staged volume: only under /opt/ml, where it is mounted.
  const ckpt = doc.CheckpointConfig?.LocalPath?.replace(/\/+$/, '');
  if (ckpt !== undefined && ckpt !== DEFAULT_CHECKPOINT_PATH) {
    return `CheckpointConfig.LocalPath ${doc.CheckpointConfig!.LocalPath} is not supported with SLIPWAY_RUNTIME=swarm yet; leave it unset (${DEFAULT_CHECKPOINT_PATH}) (docs/cluster.md).`;
  }
  if (doc.TensorBoardOutputConfig) return 'TensorBoardOutputConfig is not supported with SLIPWAY_RUNTIME=swarm yet (docs/cluster.md).';
  const local = [...(doc.InputDataConfig ?? []).map((c) => c.DataSource.S3DataSource?.S3Uri ?? ''), doc.OutputDataConfig.S3OutputPath].find((u) => u.startsWith('file:'));
  if (local) return `file:// locations (${local}) cannot be used with SLIPWAY_RUNTIME=swarm: containers run on other machines.`;
  return undefined;
}

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
  const dirs = ['input/config', 'input/data', 'model', 'output', 'output/data', 'checkpoints'];
  const inline = [
    { path: 'input/config/hyperparameters.json', content: JSON.stringify(hyperparametersJson(doc)) },
    { path: 'input/config/inputdataconfig.json', content: JSON.stringify(inputDataConfigJson(doc)) },
    { path: 'input/config/resourceconfig.json', content: JSON.stringify(resourceConfigJson(doc, host)) },
  ];
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
  return { mountPath: ML_ROOT, url: session.url, outcome: session.outcome, ...(feed ? { feed } : {}) };
}

/**
 * Brings every host's model/ and output/ (failure file included), and checkpoints/ when the job
 * has CheckpointConfig, back into its workspace folder; the first failure's words, if any.
 */
export async function collectHosts(runtime: ContainerRuntime, sessions: StagingSessions, doc: TrainingJobDoc, hosts: { id: string; ws: HostWorkspace }[]): Promise<string | undefined> {
  // finalize merges output/data of every host, present or not.
  for (const { ws } of hosts) await mkdir(ws.outputData, { recursive: true });
  const paths = ['model', 'output', ...(doc.CheckpointConfig ? ['checkpoints'] : [])];
  return collectStagedHosts(runtime, sessions, hosts.map(({ id, ws }) => ({ id, root: ws.root, paths })));
}

/**
 * While the job runs: each host's checkpoints/ from its node into its workspace folder, files
 * unchanged since the last pull skipped (kept mtimes), so the single-engine sync uploads only
 * what changed. Throws with the first failure's words.
 */
export async function pullCheckpoints(runtime: ContainerRuntime, sessions: StagingSessions, hosts: { id: string; ws: HostWorkspace }[]): Promise<void> {
  const lost = await collectStagedHosts(runtime, sessions, hosts.map(({ id, ws }) => ({ id, root: ws.root, paths: ['checkpoints'] })));
  if (lost) throw new Error(`pulling checkpoints from the nodes failed: ${lost}`);
}
