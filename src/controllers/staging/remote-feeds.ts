/**
 * @module controllers/staging/remote-feeds — the Pipe-mode side of a job on a cluster engine
 * (docs/cluster.md, "Pipe mode on a cluster"): per job, the signal that closes the feed sessions
 * its hosts' node feeders read (staging-sessions.ts `feed`), and the first data error a feed
 * found. In memory, as the one-engine feeders are; a restarted Slipway cannot serve a running
 * job's feeders again and fails the job instead of leaving its reader waiting.
 */

/** How a host's Pipe inputs are served: until `signal` aborts (the job's end); a data error fails the job. */
export interface PipeFeeds {
  signal: AbortSignal;
  gzipMaxBytes: number;
  onDataError: (reason: string) => void;
}

/** Why a Pipe job on a cluster cannot go on after Slipway restarted: the node's feeders talk to sessions that lived in memory. */
export const FEEDS_LOST =
  'InternalServerError: The Pipe-mode input streams of this job were lost when Slipway restarted (on a cluster engine they live in memory; docs/cluster.md). Start the job again.';

export class RemoteFeeds {
  private readonly jobs = new Map<string, { abort: AbortController; hosts: Set<string>; dataError?: string }>();

  constructor(
    private readonly gzipMaxBytes: number,
    /** Reconciles the job soon (a data error fails it). */
    private readonly wake: (job: string) => void,
  ) {}

  /** What the staging plan of `job`'s `host` needs (one signal for all its hosts). */
  for(job: string, host: string): PipeFeeds {
    let entry = this.jobs.get(job);
    if (!entry) this.jobs.set(job, (entry = { abort: new AbortController(), hosts: new Set() }));
    entry.hosts.add(host);
    const e = entry;
    return {
      signal: e.abort.signal,
      gzipMaxBytes: this.gzipMaxBytes,
      onDataError: (reason) => {
        e.dataError ??= reason;
        this.wake(job);
      },
    };
  }

  /**
   * Why a running job with Pipe inputs (`hasPipe`) must fail: a feed's data error, or a host whose
   * feeds this process never opened (its container was made before a restart).
   */
  failure(hasPipe: boolean, job: string, hosts: readonly string[]): string | undefined {
    if (!hasPipe) return undefined;
    const e = this.jobs.get(job);
    if (!e || hosts.some((h) => !e.hosts.has(h))) return FEEDS_LOST;
    return e.dataError;
  }

  /** The job ended: its feed sessions close (their streams are cut). */
  end(job: string): void {
    this.jobs.get(job)?.abort.abort();
    this.jobs.delete(job);
  }
}
