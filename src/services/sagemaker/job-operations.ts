/**
 * @module services/sagemaker/job-operations — what the training, processing and transform job
 * operations share: data URI checks, the new record (taken name → ResourceInUse), Describe*, and
 * Stop* (InProgress → Stopping, then the controller's turn).
 */
import { ValidationException } from '../../protocol/errors.js';
import { JobStatus } from '../../resources/job.js';
import { jobStatusOf, setJobStatus, type JobKind } from '../../resources/job-kinds.js';
import { resourceKey, type DocOf, type InternalOf, type ResourceRecord } from '../../resources/kinds.js';
import { parseDataUri } from '../../resources/s3-uri.js';
import type { Tag } from '../../resources/tag.js';
import { wireTime } from '../../resources/wire-time.js';
import { ResourceExistsError } from '../../storage/resource-store.js';
import type { SageMakerDeps } from './deps.js';
import { requestedResourceNotFound, ResourceInUse } from './errors.js';

/** Checks an s3:// URI (or a `file://` one the validator let through). */
export function checkDataUri(uri: string | undefined, what: string): void {
  if (uri === undefined) return;
  const loc = parseDataUri(uri);
  if (!loc || (loc.scheme === 's3' && loc.bucket === '')) throw new ValidationException(`${what} ${uri} is not a valid S3 URI (s3://bucket/prefix).`);
}

/** Stores a new job record InProgress (a taken name → ResourceInUse), its tags, and enqueues it. */
export async function createJobRecord<K extends JobKind>(
  deps: SageMakerDeps,
  kind: K,
  what: string,
  name: string,
  arn: string,
  t: number,
  doc: DocOf<K>,
  internal: InternalOf<K>,
  tags: Tag[],
): Promise<void> {
  try {
    await deps.resources.create<K>({ kind, name, arn, status: JobStatus.InProgress, creationTime: t, lastModifiedTime: t, doc, internal });
  } catch (err) {
    if (err instanceof ResourceExistsError) throw new ResourceInUse(`${what} names must be unique within an AWS account and region, and a ${what.toLowerCase()} with this name already exists (${arn})`);
    throw err;
  }
  if (tags.length) await deps.tags.put(arn, tags);
  deps.queue.enqueue(resourceKey(kind, name));
}

/** Describe*: the stored document with the record's LastModifiedTime. */
export async function describeJob<K extends JobKind>(deps: SageMakerDeps, kind: K, name: string): Promise<DocOf<K>> {
  const rec = await deps.resources.get(kind, name);
  if (!rec) throw requestedResourceNotFound();
  return { ...rec.doc, LastModifiedTime: wireTime(rec.lastModifiedTime) };
}

/**
 * Stop*: InProgress → Stopping, then the controller's turn. `mark` adds kind-specific changes
 * (training's SecondaryStatus) in the same write.
 */
export async function requestJobStop<K extends JobKind>(deps: SageMakerDeps, kind: K, name: string, what: string, now: number, mark?: (rec: ResourceRecord<K>) => void): Promise<void> {
  const existing = await deps.resources.get(kind, name);
  if (!existing) throw requestedResourceNotFound();
  if (jobStatusOf(kind, existing.doc) === JobStatus.Stopping) return;
  let state = '';
  await deps.resources.update(
    kind,
    name,
    (r) => {
      state = jobStatusOf(kind, r.doc);
      if (state !== JobStatus.InProgress) return;
      setJobStatus(r, JobStatus.Stopping);
      r.internal.stopReason = 'Stopped';
      mark?.(r);
      r.doc.LastModifiedTime = wireTime(now);
    },
    { now },
  );
  if (state === JobStatus.Stopping) return;
  // Stopping a finished job: unconfirmed on the real service (contract §2.2); answer ValidationException.
  if (state !== JobStatus.InProgress) throw new ValidationException(`The job status is ${state}. Only InProgress ${what} can be stopped.`);
  deps.queue.enqueue(resourceKey(kind, name));
}
