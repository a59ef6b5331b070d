/**
 * @module controllers/processing-job/remote-staging — a processing host's /opt/ml for an engine that
 * stages on its nodes (`runtime.stagesData`, docs/cluster.md): the tree `workspace.ts` lays out on
 * this host (config files, output/, File inputs under /opt/ml/processing, output directories made
 * beforehand), described as a manifest the node's stager fetches, and the folders sent back after
 * exit (output/message and every S3Output's LocalPath) into the host's workspace folder here, so
 * finalize reads ExitMessage and uploads outputs as on one engine.
 *
 * On the node, inputs and outputs share one volume: nested inputs (the ScriptProcessor's code
 * inside data) land in one tree as SageMaker copies them; inputs are writable there (they are
 * read-only hard links on one engine). Pipe inputs get their epoch-0 FIFO `<LocalPath>_0` from the
 * stager and a feed session the node's feeder copies into `<LocalPath>_<epoch>`, as on one engine.
 */
import type { StagingPlan } from '../../runtime/container-runtime.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { processingJobConfigJson, processingResourceConfigJson } from '../../resources/processing-config-files.js';
import { inputLocalPath, outputLocalPath, underProcessingRoot, type ProcessingJobDoc, type ProcessingOutputDoc } from '../../resources/processing-job.js';
import type { StagedObject, StagingSessions } from '../staging/staging-sessions.js';
import type { PipeSource } from '../job-common/pipe-feeder.js';
import type { PipeFeeds } from '../staging/remote-feeds.js';
import { TerminalFailure } from '../terminal-failure.js';
import { inputObjects } from './workspace.js';

const ML_ROOT = '/opt/ml';

/** `/opt/ml/processing/<rel>` → `processing/<rel>` (relative to the mount); validated at create. */
function mountRelative(containerPath: string): string {
  const rel = underProcessingRoot(containerPath);
  if (!rel) throw TerminalFailure.client(`LocalPath ${containerPath} must be a directory under /opt/ml/processing/.`);
  return `processing/${rel}`;
}

/** `a/b/c` → `a`, `a/b`, `a/b/c`: every level is made world-writable, as on one engine. */
function withAncestors(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

export const hasPipeInputs = (doc: ProcessingJobDoc): boolean => (doc.ProcessingInputs ?? []).some((i) => i.S3Input?.S3InputMode === 'Pipe');

/** The staging plan of host `hostIndex` (`host` = algo-N): config, output dirs, this host's share of every File input. */
export async function processingStagingPlan(
  sessions: StagingSessions,
  objects: ObjectStore,
  paths: LocalPaths,
  doc: ProcessingJobDoc,
  host: string,
  hostIndex: number,
  feeds: PipeFeeds,
): Promise<StagingPlan> {
  const dirs = new Set(['config', 'output', 'processing']);
  for (const o of doc.ProcessingOutputConfig?.Outputs ?? []) {
    if (o.S3Output) for (const d of withAncestors(mountRelative(outputLocalPath(o)))) dirs.add(d);
  }
  const inline = [
    { path: 'config/processingjobconfig.json', content: JSON.stringify(processingJobConfigJson(doc)) },
    { path: 'config/resourceconfig.json', content: JSON.stringify(processingResourceConfigJson(doc, host)) },
  ];
  const staged: StagedObject[] = [];
  const count = doc.ProcessingResources.ClusterConfig.InstanceCount;
  const pipes: PipeSource[] = [];
  const fifos: string[] = [];
  for (const input of doc.ProcessingInputs ?? []) {
    if (!input.S3Input) continue;
    const base = mountRelative(inputLocalPath(input));
    if (input.S3Input.S3InputMode === 'Pipe') {
      // FIFOs `<LocalPath>_<epoch>` beside the LocalPath, as workspace.ts pipeLocation on one engine.
      for (const d of withAncestors(base).slice(0, -1)) dirs.add(d);
      fifos.push(base);
      pipes.push({
        channel: base.slice(base.lastIndexOf('/') + 1),
        label: `ProcessingInput ${input.InputName}`,
        list: () => inputObjects(objects, input, hostIndex, count, paths),
        gzip: input.S3Input.S3CompressionType === 'Gzip',
        gzipMaxBytes: feeds.gzipMaxBytes,
        recordIO: false,
        onDataError: feeds.onDataError,
      });
      continue;
    }
    for (const d of withAncestors(base)) dirs.add(d);
    // ShardedByS3Key: this host's share only (data-source.ts shard), as on one engine.
    for (const obj of await inputObjects(objects, input, hostIndex, count, paths)) {
      staged.push({ path: `${base}/${obj.relPath}`, size: obj.size, open: () => obj.open() });
    }
  }
  const session = sessions.download({ dirs: [...dirs], inline, objects: staged, fifos: fifos.map((f) => `${f}_0`) });
  const feed = pipes.length ? { url: sessions.feed(pipes, feeds.signal).url, fifos } : undefined;
  return { mountPath: ML_ROOT, url: session.url, outcome: session.outcome, ...(feed ? { feed } : {}) };
}

/** The folders (relative to /opt/ml) sent back after exit: output/ (the message file) and every S3Output's LocalPath. */
export function processingCollectPaths(doc: ProcessingJobDoc): string[] {
  return ['output', ...outputFolders(doc, () => true)];
}

/**
 * The folders (relative to /opt/ml) pulled from the nodes while the job runs: the LocalPath of
 * every Continuous output, so the single-engine scan uploads them from the workspace here.
 */
export function processingContinuousPaths(doc: ProcessingJobDoc): string[] {
  return outputFolders(doc, (o) => o.S3Output?.S3UploadMode === 'Continuous');
}

function outputFolders(doc: ProcessingJobDoc, which: (o: ProcessingOutputDoc) => boolean): string[] {
  const outs = [...new Set((doc.ProcessingOutputConfig?.Outputs ?? []).filter((o) => o.S3Output && which(o)).map((o) => mountRelative(outputLocalPath(o))))];
  // An output inside another one is sent with it, once.
  return outs.filter((p) => !outs.some((q) => p.startsWith(`${q}/`)));
}
