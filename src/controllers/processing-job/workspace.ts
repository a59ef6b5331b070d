/**
 * @module controllers/processing-job/workspace — one processing host's directories and mounts:
 *
 *   <workDir>/processing/<job>/algo-i/
 *     config/          → /opt/ml/config      (ro; processingjobconfig.json, resourceconfig.json)
 *     output/          → /opt/ml/output      (message → ExitMessage)
 *     processing/      → /opt/ml/processing  (rw; output dirs, Pipe FIFOs `<LocalPath>_<epoch>`)
 *     inputs/<name>/   → S3Input.LocalPath   (ro; File mode, hard links into the object store)
 *
 * File-mode inputs are hard links to immutable store blobs (as for training), hence read-only.
 */
import { TerminalFailure } from '../terminal-failure.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BindMount } from '../../runtime/container-runtime.js';
import type { LocalPaths } from '../../storage/local-paths.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { channelObjects, type SourceObject } from '../job-common/data-source.js';
import { mkfifo } from '../job-common/pipe-feeder.js';
import { mapLimit, placeObject } from '../training-job/workspace.js';
import { processingJobConfigJson, processingResourceConfigJson } from '../../resources/processing-config-files.js';
import { inputLocalPath, outputLocalPath, underProcessingRoot } from '../../resources/processing-job.js';
import type { ProcessingInputDoc, ProcessingJobDoc } from '../../resources/processing-job.js';

export function processingJobDir(workDir: string, job: string): string {
  return join(workDir, 'processing', job);
}

export class ProcessingWorkspace {
  constructor(readonly root: string) {}
  get config(): string {
    return join(this.root, 'config');
  }
  get output(): string {
    return join(this.root, 'output');
  }
  get messageFile(): string {
    return join(this.root, 'output', 'message');
  }
  get processing(): string {
    return join(this.root, 'processing');
  }
  input(name: string): string {
    return join(this.root, 'inputs', name);
  }
  /** Host path of a container path under /opt/ml/processing (validated at create). */
  hostPath(containerPath: string): string {
    const rel = underProcessingRoot(containerPath);
    if (!rel) throw TerminalFailure.client(`LocalPath ${containerPath} must be a directory under /opt/ml/processing/.`);
    return join(this.processing, ...rel.split('/'));
  }
}

export function processingWorkspace(workDir: string, job: string, host: string): ProcessingWorkspace {
  return new ProcessingWorkspace(join(processingJobDir(workDir, job), host));
}

const isPipe = (i: ProcessingInputDoc) => i.S3Input?.S3InputMode === 'Pipe';

export function processingMounts(ws: ProcessingWorkspace, doc: ProcessingJobDoc): BindMount[] {
  const binds: BindMount[] = [
    { hostPath: ws.config, containerPath: '/opt/ml/config', readOnly: true },
    { hostPath: ws.output, containerPath: '/opt/ml/output' },
    { hostPath: ws.processing, containerPath: '/opt/ml/processing' },
  ];
  for (const i of doc.ProcessingInputs ?? []) {
    if (!i.S3Input || isPipe(i)) continue;
    binds.push({ hostPath: ws.input(i.InputName), containerPath: inputLocalPath(i), readOnly: true });
  }
  return binds;
}

/** Where the Pipe feeder of an input writes: FIFOs `<LocalPath>_<epoch>` (the training convention). */
export function pipeLocation(ws: ProcessingWorkspace, input: ProcessingInputDoc): { dataDir: string; channel: string } {
  const host = ws.hostPath(inputLocalPath(input));
  return { dataDir: dirname(host), channel: basename(host) };
}

/** The objects of one input for host `hostIndex` of `hostCount`. */
export function inputObjects(objects: ObjectStore, input: ProcessingInputDoc, hostIndex: number, hostCount: number, paths: LocalPaths): Promise<SourceObject[]> {
  const s3 = input.S3Input!;
  return channelObjects(objects, { S3DataType: s3.S3DataType, S3Uri: s3.S3Uri, S3DataDistributionType: s3.S3DataDistributionType }, hostIndex, hostCount, paths);
}

/**
 * Fresh workspace (removing what a crashed attempt left): config files, output directories
 * (they exist before the entrypoint runs, §6), File inputs staged, Pipe FIFOs made.
 */
export async function prepareProcessingWorkspace(
  objects: ObjectStore,
  ws: ProcessingWorkspace,
  doc: ProcessingJobDoc,
  host: string,
  hostIndex: number,
  paths: LocalPaths,
): Promise<{ files: number; bytes: number }> {
  await rm(ws.root, { recursive: true, force: true });
  for (const d of [ws.config, ws.output, ws.processing]) await mkdir(d, { recursive: true });
  await writeFile(join(ws.config, 'processingjobconfig.json'), JSON.stringify(processingJobConfigJson(doc)));
  await writeFile(join(ws.config, 'resourceconfig.json'), JSON.stringify(processingResourceConfigJson(doc, host)));
  for (const o of doc.ProcessingOutputConfig?.Outputs ?? []) {
    if (o.S3Output) await mkdir(ws.hostPath(outputLocalPath(o)), { recursive: true });
  }
  const stats = { files: 0, bytes: 0 };
  const count = doc.ProcessingResources.ClusterConfig.InstanceCount;
  for (const input of doc.ProcessingInputs ?? []) {
    if (!input.S3Input) continue;
    if (isPipe(input)) {
      const { dataDir, channel } = pipeLocation(ws, input);
      await mkdir(dataDir, { recursive: true });
      await mkfifo(join(dataDir, `${channel}_0`));
      continue;
    }
    // The mount point inside the rw /opt/ml/processing mount, so Docker need not create it.
    await mkdir(ws.hostPath(inputLocalPath(input)), { recursive: true });
    const dir = ws.input(input.InputName);
    await mkdir(dir, { recursive: true });
    const list = await inputObjects(objects, input, hostIndex, count, paths);
    await mapLimit(list, 32, async (obj) => {
      await placeObject(obj, join(dir, ...obj.relPath.split('/')));
      stats.files++;
      stats.bytes += obj.size;
    });
  }
  return stats;
}

/** `/opt/ml/output/message` → ExitMessage: UTF-8 only (undefined = not UTF-8), first 1024 characters. */
export function decodeExitMessage(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
