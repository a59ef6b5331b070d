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
 * An input inside another File input's LocalPath (the ScriptProcessor's code at
 * /opt/ml/processing/input/code under data at /opt/ml/processing/input) is staged into that
 * input's directory instead of mounted: SageMaker copies inputs in, so both land in one tree, and
 * no mount point has to be made inside a read-only mount. An output or Pipe input there gets its
 * mount point or FIFO made in that directory beforehand; outputs are mounted over it read-write.
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
import { enclosingInput, inputLocalPath, outputLocalPath, underProcessingRoot } from '../../resources/processing-job.js';
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

/** The host path a container path under /opt/ml/processing is seen at: inside an enclosing File input's staged directory, else the rw tree. */
function placedAt(ws: ProcessingWorkspace, doc: ProcessingJobDoc, containerPath: string): string {
  const outer = enclosingInput(doc, containerPath);
  return outer ? join(ws.input(outer.input.InputName), ...outer.rel.split('/')) : ws.hostPath(containerPath);
}

export function processingMounts(ws: ProcessingWorkspace, doc: ProcessingJobDoc): BindMount[] {
  const binds: BindMount[] = [
    { hostPath: ws.config, containerPath: '/opt/ml/config', readOnly: true },
    { hostPath: ws.output, containerPath: '/opt/ml/output' },
    { hostPath: ws.processing, containerPath: '/opt/ml/processing' },
  ];
  for (const i of doc.ProcessingInputs ?? []) {
    if (!i.S3Input || isPipe(i) || enclosingInput(doc, inputLocalPath(i))) continue;
    binds.push({ hostPath: ws.input(i.InputName), containerPath: inputLocalPath(i), readOnly: true });
  }
  // An output inside a (read-only) input is mounted over it; Docker mounts the shallower path first.
  for (const o of doc.ProcessingOutputConfig?.Outputs ?? []) {
    if (o.S3Output && enclosingInput(doc, outputLocalPath(o))) binds.push({ hostPath: ws.hostPath(outputLocalPath(o)), containerPath: outputLocalPath(o) });
  }
  return binds;
}

/** Where the Pipe feeder of an input writes: FIFOs `<LocalPath>_<epoch>` (the training convention). */
export function pipeLocation(ws: ProcessingWorkspace, doc: ProcessingJobDoc, input: ProcessingInputDoc): { dataDir: string; channel: string } {
  const host = placedAt(ws, doc, inputLocalPath(input));
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
    if (!o.S3Output) continue;
    await mkdir(ws.hostPath(outputLocalPath(o)), { recursive: true });
    // Its mount point, when it lies inside an input's (read-only) directory.
    if (enclosingInput(doc, outputLocalPath(o))) await mkdir(placedAt(ws, doc, outputLocalPath(o)), { recursive: true });
  }
  const stats = { files: 0, bytes: 0 };
  const count = doc.ProcessingResources.ClusterConfig.InstanceCount;
  // Shallower paths first: an enclosing input is staged before what lands inside it, so a clash
  // between the two always shows up while staging the nested one.
  const byDepth = [...(doc.ProcessingInputs ?? [])].sort((a, b) => inputLocalPath(a).split('/').length - inputLocalPath(b).split('/').length);
  for (const input of byDepth) {
    if (!input.S3Input) continue;
    if (isPipe(input)) {
      const { dataDir, channel } = pipeLocation(ws, doc, input);
      await mkdir(dataDir, { recursive: true });
      await mkfifo(join(dataDir, `${channel}_0`));
      continue;
    }
    const outer = enclosingInput(doc, inputLocalPath(input));
    // A mounted input's mount point is made inside the rw /opt/ml/processing mount, so Docker need not create it.
    if (!outer) await mkdir(ws.hostPath(inputLocalPath(input)), { recursive: true });
    // A mounted input's own directory; an enclosed one's place in its enclosing input's directory.
    const dir = outer ? placedAt(ws, doc, inputLocalPath(input)) : ws.input(input.InputName);
    const list = await inputObjects(objects, input, hostIndex, count, paths);
    try {
      await mkdir(dir, { recursive: true });
      await mapLimit(list, 32, async (obj) => {
        await placeObject(obj, join(dir, ...obj.relPath.split('/')));
        stats.files++;
        stats.bytes += obj.size;
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Two inputs sharing one tree: a name that is a file in one and a directory in the other.
      if (!outer || !['ENOTDIR', 'EISDIR', 'EEXIST', 'ERR_FS_EISDIR'].includes(code ?? '')) throw err;
      throw TerminalFailure.client(`ProcessingInput ${input.InputName} at ${inputLocalPath(input)} lies inside input ${outer.input.InputName}, and one of its paths is a file in one input and a directory in the other.`);
    }
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
