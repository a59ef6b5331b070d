/**
 * @module dataplane/capture/data-capture — DataCaptureConfig: sampled requests and responses of an
 * endpoint written to S3 as SageMaker does, one JSON line per invocation:
 *
 *   {"captureData": {"endpointInput":  {"observedContentType", "mode": "INPUT",  "data", "encoding"},
 *                    "endpointOutput": {"observedContentType", "mode": "OUTPUT", "data", "encoding"}},
 *    "eventMetadata": {"eventId", "inferenceId"?, "inferenceTime"}, "eventVersion": "0"}
 *
 * under `<DestinationS3Uri>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<mm>-<ss>-<SSS>-<uuid>.jsonl`.
 * `encoding` is CSV or JSON (data as text) when the content type is listed in
 * CaptureContentTypeHeader, else BASE64 (also when the header config is absent, as in SageMaker).
 *
 * Lines are buffered per file and written as whole objects every few seconds (and when a buffer
 * passes 4 MiB, and on shutdown), so the invocation path never waits on storage. A write that fails
 * (the bucket was deleted, say) is reported in the endpoint's log group, stream `data-capture`.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { CaptureSettings } from '../../resources/data-capture.js';
import { endpointLogGroup } from '../../resources/endpoint.js';
import { logger } from '../../platform/logger.js';
import type { LogStore } from '../../storage/log-store.js';
import type { ObjectStore } from '../../storage/object-store.js';

const MAX_BUFFER_BYTES = 4 * 1024 * 1024;

export interface CapturedExchange {
  endpoint: string;
  variant: string;
  settings: CaptureSettings;
  inferenceId?: string;
  input?: { contentType: string | undefined; body: Buffer };
  output?: { contentType: string | undefined; body: Buffer };
  at: number;
}

interface FileBuffer {
  bucket: string;
  key: string;
  endpoint: string;
  lines: string[];
  bytes: number;
}

export function flushIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.SLIPWAY_DATA_CAPTURE_FLUSH_MS);
  return Number.isFinite(v) && v > 0 ? v : 5_000;
}

export class DataCaptureWriter {
  private buffers = new Map<string, FileBuffer>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly objects: ObjectStore,
    private readonly logs: LogStore | undefined,
    private readonly intervalMs = flushIntervalMs(),
  ) {}

  /** Whether this invocation is sampled (InitialSamplingPercentage). */
  static sampled(settings: CaptureSettings): boolean {
    return settings.samplingPercentage >= 100 || Math.random() * 100 < settings.samplingPercentage;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  record(x: CapturedExchange): void {
    const s = x.settings;
    const d = new Date(x.at);
    const hour = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
    const id = `${s.bucket}\u0000${s.prefix}\u0000${x.endpoint}\u0000${x.variant}\u0000${hour}`;
    let buf = this.buffers.get(id);
    if (!buf) {
      const file = `${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${String(d.getUTCMilliseconds()).padStart(3, '0')}-${randomUUID()}.jsonl`;
      const key = [s.prefix, x.endpoint, x.variant, hour, file].filter((p) => p !== '').join('/');
      buf = { bucket: s.bucket, key, endpoint: x.endpoint, lines: [], bytes: 0 };
      this.buffers.set(id, buf);
    }
    const line = JSON.stringify(captureLine(x));
    buf.lines.push(line);
    buf.bytes += line.length + 1;
    if (buf.bytes >= MAX_BUFFER_BYTES) {
      this.buffers.delete(id);
      this.enqueue([buf]);
    }
  }

  /** Writes every buffered file; resolves when they (and earlier writes) are stored. */
  flush(): Promise<void> {
    const ready = [...this.buffers.values()];
    this.buffers = new Map();
    if (ready.length > 0) this.enqueue(ready);
    return this.writing;
  }

  private enqueue(files: FileBuffer[]): void {
    this.writing = this.writing.then(async () => {
      for (const f of files) await this.write(f);
    });
  }

  private async write(f: FileBuffer): Promise<void> {
    const body = f.lines.join('\n') + '\n';
    try {
      await this.objects.putObject(f.bucket, f.key, Readable.from([Buffer.from(body)]), { contentType: 'application/jsonl' });
    } catch (err) {
      const message = `Data capture could not write s3://${f.bucket}/${f.key} (${f.lines.length} records): ${(err as Error).message}`;
      logger.warn({ err, endpoint: f.endpoint }, 'data capture write failed');
      try {
        const group = endpointLogGroup(f.endpoint);
        await this.logs?.ensureGroup(group);
        await this.logs?.ensureStream(group, 'data-capture');
        await this.logs?.append(group, 'data-capture', [{ timestamp: Date.now(), message }]);
      } catch {
        // The endpoint's log group may be gone with the endpoint; the server log has it.
      }
    }
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function captureLine(x: CapturedExchange): Record<string, unknown> {
  const captureData: Record<string, unknown> = {};
  if (x.input) captureData.endpointInput = encode(x.settings, x.input.contentType, x.input.body, 'INPUT');
  if (x.output) captureData.endpointOutput = encode(x.settings, x.output.contentType, x.output.body, 'OUTPUT');
  return {
    captureData,
    eventMetadata: { eventId: randomUUID(), ...(x.inferenceId ? { inferenceId: x.inferenceId } : {}), inferenceTime: new Date(x.at).toISOString() },
    eventVersion: '0',
  };
}

function encode(s: CaptureSettings, contentType: string | undefined, body: Buffer, mode: 'INPUT' | 'OUTPUT') {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding = s.csvTypes.has(media) ? 'CSV' : s.jsonTypes.has(media) ? 'JSON' : 'BASE64';
  return {
    observedContentType: contentType ?? '',
    mode,
    data: encoding === 'BASE64' ? body.toString('base64') : body.toString('utf8'),
    encoding,
  };
}
