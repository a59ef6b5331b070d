/**
 * @module controllers/training-job/workspace — a host's /opt/ml on disk and how it is mounted:
 *
 *   <workDir>/training/<job>/algo-i/
 *     input/            → /opt/ml/input            (rw; Pipe FIFOs appear in input/data/)
 *       config/*.json
 *       data/<channel>/ → /opt/ml/input/data/<ch>  (ro; hard links into the object store)
 *     model/            → /opt/ml/model
 *     output/           → /opt/ml/output           (output/data/, output/failure)
 *     checkpoints/      → CheckpointConfig.LocalPath (default /opt/ml/checkpoints)
 *     tensorboard/      → TensorBoardOutputConfig.LocalPath (default /opt/ml/output/tensorboard)
 *
 * Staged files are hard links to immutable store blobs (copies when linking fails, e.g. EXDEV),
 * so the channel mounts must stay read-only: a write through them would change the blob.
 */
import { TerminalFailure } from '../terminal-failure.js';
import { createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BindMount } from '../../runtime/container-runtime.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { channelInputMode, hyperparametersJson, inputDataConfigJson, resourceConfigJson } from '../../resources/training-config-files.js';
import { channelObjects, type SourceObject } from '../job-common/data-source.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';

import { DEFAULT_CHECKPOINT_PATH, DEFAULT_TENSORBOARD_PATH } from '../../resources/container-dir.js';
export { DEFAULT_CHECKPOINT_PATH, DEFAULT_TENSORBOARD_PATH };

export function jobDir(workDir: string, job: string): string {
  return join(workDir, 'training', job);
}

export class HostWorkspace {
  constructor(readonly root: string) {}
  get input(): string {
    return join(this.root, 'input');
  }
  get config(): string {
    return join(this.root, 'input', 'config');
  }
  get data(): string {
    return join(this.root, 'input', 'data');
  }
  get model(): string {
    return join(this.root, 'model');
  }
  get output(): string {
    return join(this.root, 'output');
  }
  get outputData(): string {
    return join(this.root, 'output', 'data');
  }
  get failureFile(): string {
    return join(this.root, 'output', 'failure');
  }
  get checkpoints(): string {
    return join(this.root, 'checkpoints');
  }
  get tensorboard(): string {
    return join(this.root, 'tensorboard');
  }
}

export function hostWorkspace(workDir: string, job: string, host: string): HostWorkspace {
  return new HostWorkspace(join(jobDir(workDir, job), host));
}

/** Bind mounts for one host's container. */
export function mountsFor(ws: HostWorkspace, doc: TrainingJobDoc): BindMount[] {
  const binds: BindMount[] = [
    { hostPath: ws.input, containerPath: '/opt/ml/input' },
    { hostPath: ws.model, containerPath: '/opt/ml/model' },
    { hostPath: ws.output, containerPath: '/opt/ml/output' },
    { hostPath: ws.checkpoints, containerPath: doc.CheckpointConfig?.LocalPath ?? DEFAULT_CHECKPOINT_PATH },
  ];
  if (doc.TensorBoardOutputConfig) binds.push({ hostPath: ws.tensorboard, containerPath: doc.TensorBoardOutputConfig.LocalPath ?? DEFAULT_TENSORBOARD_PATH });
  for (const ch of doc.InputDataConfig ?? []) {
    if (channelInputMode(doc, ch) === 'Pipe') continue;
    binds.push({ hostPath: join(ws.data, ch.ChannelName), containerPath: `/opt/ml/input/data/${ch.ChannelName}`, readOnly: true });
  }
  return binds;
}

/** Makes a fresh workspace (removing what a crashed attempt left) and writes the config files. */
export async function prepareWorkspace(ws: HostWorkspace, doc: TrainingJobDoc, host: string): Promise<void> {
  await rm(ws.root, { recursive: true, force: true });
  for (const d of [ws.config, ws.data, ws.model, ws.outputData, ws.checkpoints, ws.tensorboard]) await mkdir(d, { recursive: true });
  await writeFile(join(ws.config, 'hyperparameters.json'), JSON.stringify(hyperparametersJson(doc)));
  await writeFile(join(ws.config, 'inputdataconfig.json'), JSON.stringify(inputDataConfigJson(doc)));
  await writeFile(join(ws.config, 'resourceconfig.json'), JSON.stringify(resourceConfigJson(doc, host)));
  if (doc.CheckpointConfig) {
    await writeFile(
      join(ws.config, 'checkpointconfig.json'),
      JSON.stringify({ LocalPath: doc.CheckpointConfig.LocalPath ?? DEFAULT_CHECKPOINT_PATH, S3Uri: doc.CheckpointConfig.S3Uri }),
    );
  }
  if (doc.AlgorithmSpecification.MetricDefinitions?.length) {
    await writeFile(join(ws.config, 'metric-definition-regex.json'), JSON.stringify(doc.AlgorithmSpecification.MetricDefinitions));
  }
}

/** Puts `obj` at `dest`: a hard link when possible, else a streamed copy. */
export async function placeObject(obj: SourceObject, dest: string, allowLink = true): Promise<'link' | 'copy'> {
  await mkdir(dirname(dest), { recursive: true });
  if (allowLink && obj.linkPath) {
    try {
      await link(obj.linkPath, dest);
      return 'link';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        await rm(dest, { force: true });
        return placeObject(obj, dest, allowLink);
      }
      // EXDEV (other file system), EPERM/EACCES (protected_hardlinks), EMLINK: copy instead.
      try {
        await copyFile(obj.linkPath, dest);
        return 'copy';
      } catch {
        // the path may be gone (object overwritten meanwhile); stream through the store
      }
    }
  }
  await pipeline(await obj.open(), createWriteStream(dest));
  return 'copy';
}

export async function mapLimit<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface StagingStats {
  files: number;
  bytes: number;
  linked: number;
}

/** Stages every File/FastFile channel of one host (Pipe channels are fed later, per epoch). */
export async function stageInputs(
  objects: ObjectStore,
  ws: HostWorkspace,
  doc: TrainingJobDoc,
  hostIndex: number,
  paths: LocalPaths,
): Promise<StagingStats> {
  const stats: StagingStats = { files: 0, bytes: 0, linked: 0 };
  for (const ch of doc.InputDataConfig ?? []) {
    const dir = join(ws.data, ch.ChannelName);
    await mkdir(dir, { recursive: true });
    const src = ch.DataSource.S3DataSource;
    if (!src) throw TerminalFailure.client(`Channel ${ch.ChannelName}: only S3DataSource is supported by Slipway.`);
    if (channelInputMode(doc, ch) === 'Pipe') continue;
    const list = await channelObjects(objects, src, hostIndex, doc.ResourceConfig.InstanceCount, paths);
    await mapLimit(list, 32, async (obj) => {
      const how = await placeObject(obj, join(dir, ...obj.relPath.split('/')));
      stats.files++;
      stats.bytes += obj.size;
      if (how === 'link') stats.linked++;
    });
  }
  return stats;
}

/** The checkpoints a job starts from: every object under CheckpointConfig.S3Uri (none on a first run). */
export async function checkpointObjects(objects: ObjectStore, doc: TrainingJobDoc, paths: LocalPaths): Promise<SourceObject[]> {
  const uri = doc.CheckpointConfig?.S3Uri;
  if (!uri) return [];
  try {
    return await channelObjects(objects, { S3DataType: 'S3Prefix', S3Uri: uri }, 0, 1, paths);
  } catch (err) {
    if (err instanceof TerminalFailure && /No S3 objects found/.test(err.message)) return []; // first run: nothing to restore
    throw err;
  }
}

/** Pre-fills the checkpoint directory from CheckpointConfig.S3Uri (copies: the job writes there). */
export async function restoreCheckpoints(objects: ObjectStore, ws: HostWorkspace, doc: TrainingJobDoc, paths: LocalPaths): Promise<number> {
  const list = await checkpointObjects(objects, doc, paths);
  await mapLimit(list, 16, async (obj) => {
    await placeObject(obj, join(ws.checkpoints, ...obj.relPath.split('/')), false);
  });
  return list.length;
}
