/**
 * @module controllers/orphan-sweeper — every few seconds, removes the containers and networks of a
 * controller's kind that nothing of Slipway's owns any more, and nudges the controller when the
 * engine answers again after it could not be reached.
 *
 * Why: removal is attempted where work ends (instance retired, job cleaned up), but an engine that
 * cannot be reached at that moment — or a container that dies while it cannot — leaves containers
 * behind that no later step would look at. Level-triggered clean-up (compare what runs with what
 * should, remove the difference) catches them whatever the cause, once the engine is back.
 *
 *   tick ──list containers/networks of this kind and home──▶ remove those `owned` rejects
 *        └─ engine unreachable: remember ─▶ next successful tick: onReconnect() (reconcile all)
 */
import { LABELS, RuntimeNotFoundError, RuntimeUnavailableError, type ContainerInfo, type ContainerRuntime } from '../runtime/container-runtime.js';
import { logger } from '../platform/logger.js';

/** How often the sweep runs. */
export const SWEEP_INTERVAL_MS = 5_000;

export interface SweepOptions {
  runtime: ContainerRuntime;
  /** `slipway.kind` of the containers and networks swept. */
  kind: string;
  home: string;
  /** Whether a container still belongs to something live (checked when the sweep sees it). */
  ownsContainer: (c: ContainerInfo) => Promise<boolean>;
  /** Whether a network (by name) still belongs to something live. */
  ownsNetwork: (name: string) => Promise<boolean>;
  /** Called once the engine answers again after a tick found it unreachable. */
  onReconnect: () => Promise<void>;
  intervalMs?: number;
}

export class OrphanSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private engineDown = false;

  constructor(private readonly o: SweepOptions) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.o.intervalMs ?? SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep; never throws. */
  async tick(): Promise<void> {
    const rt = this.o.runtime;
    const labels = { [LABELS.managed]: 'true', [LABELS.kind]: this.o.kind, [LABELS.home]: this.o.home };
    let containers: ContainerInfo[];
    let networks: { name: string }[];
    try {
      containers = await rt.listContainers(labels, { all: true });
      networks = await rt.listNetworks(labels);
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) this.engineDown = true;
      else logger.warn({ err, kind: this.o.kind }, 'orphan sweep could not list containers');
      return;
    }
    for (const c of containers) {
      if (await this.o.ownsContainer(c)) continue;
      try {
        await rt.removeContainer(c.id, { force: true });
        logger.info({ container: c.name, kind: this.o.kind, state: c.state }, 'removed a container nothing owned any more');
      } catch (err) {
        // Gone already (its owner removed it between the listing and now) is what was wanted.
        if (!(err instanceof RuntimeNotFoundError)) logger.warn({ err, container: c.name }, 'could not remove an orphaned container');
      }
    }
    // A network goes once its containers have (removal fails while any is still attached).
    for (const n of networks) if (!(await this.o.ownsNetwork(n.name))) await rt.removeNetwork(n.name).catch(() => undefined);
    if (this.engineDown) {
      this.engineDown = false;
      logger.info({ kind: this.o.kind }, 'the Docker engine answers again; reconciling');
      await this.o.onReconnect().catch((err: unknown) => logger.warn({ err, kind: this.o.kind }, 'reconciling after the engine came back failed'));
    }
  }
}
