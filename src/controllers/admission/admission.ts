/**
 * @module controllers/admission/admission — admits jobs and endpoints by the host's capacity.
 *
 *   controller ──request(asking, grant)──▶ Admission ──claims()──▶ every controller's records
 *                                              │ capacity = engine CPUs × SLIPWAY_CPU_OVERCOMMIT,
 *                                              │            memory × SLIPWAY_MEMORY_OVERCOMMIT, SLIPWAY_GPUS
 *                                              ▼
 *                                  ledger.decide → grant() writes the record at once
 *
 * Nothing is kept in memory: what each resource holds or waits for is read from its stored record
 * (the controllers' claim sources), so a restart changes nothing — a waiting job still waits and
 * running work keeps its share. Decisions are taken one at a time and `grant` completes inside
 * the decision, so two resources asking at the same moment can never both take the last capacity. Records hold their full
 * demand (not capped), so a resource larger than the host leaves room for nothing else.
 */
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import type { AdmissionSettings } from '../../platform/config.js';
import { logger } from '../../platform/logger.js';
import type { Demand } from '../../resources/demand.js';
import { decide, type Asking, type Claim, type Decision } from './ledger.js';

export type ClaimSource = () => Promise<Claim[]>;

/** How often a waiting resource asks again. */
export const ADMISSION_POLL_MS = 1_000;

/** How long the engine's CPU and memory figures are reused. */
const CAPACITY_TTL_MS = 30_000;
/**
 * How long one reading of every record's claim serves later decisions. Many waiters polling at
 * once would otherwise each read (and parse) every record: with a thousand jobs queued, a million
 * parses a second. A grant drops the reading, so no decision ever counts on a stale share.
 */
const CLAIMS_TTL_MS = 500;

export class Admission {
  private readonly sources: ClaimSource[] = [];
  private cached?: { at: number; capacity: Demand };
  private reading?: { at: number; claims: Claim[] };
  /** Keys whose wait has been logged (one line per wait, not per poll). */
  private readonly waitLogged = new Set<string>();
  /** The decision in progress: the next one starts when it has granted (or not). */
  private deciding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runtime: Pick<ContainerRuntime, 'info'>,
    private readonly settings: AdmissionSettings,
  ) {}

  /** Each controller registers how to read its records' claims. */
  register(source: ClaimSource): void {
    this.sources.push(source);
  }

  /**
   * Decides for `asking`; on admission awaits `grant` before the next decision starts, which
   * records the claim as held. Turned off, everything is admitted.
   */
  request(asking: Asking, grant: () => Promise<unknown>): Promise<Decision> {
    const turn = this.deciding.then(() => this.decide(asking, grant));
    this.deciding = turn.catch(() => undefined);
    return turn;
  }

  private async decide(asking: Asking, grant: () => Promise<unknown>): Promise<Decision> {
    if (!this.settings.enabled) {
      await grant();
      return { admit: true, demand: asking.demand };
    }
    const capacity = await this.capacity();
    const decision = decide(capacity, await this.claims(asking.key), asking);
    if (decision.admit) {
      await grant();
      this.reading = undefined;
      if (this.waitLogged.delete(asking.key)) logger.info({ key: asking.key }, 'admitted after waiting for capacity');
    } else if (!this.waitLogged.has(asking.key)) {
      this.waitLogged.add(asking.key);
      logger.info({ key: asking.key, wait: decision.wait }, decision.message);
    }
    return decision;
  }

  /**
   * Every record's claim, read again when the last reading is older than CLAIMS_TTL_MS or does not
   * know `asking` yet (so whatever was created before it is in the reading, in its place in line).
   */
  private async claims(asking: string): Promise<Claim[]> {
    const r = this.reading;
    if (r && Date.now() - r.at < CLAIMS_TTL_MS && r.claims.some((c) => c.key === asking)) return r.claims;
    const claims = (await Promise.all(this.sources.map((s) => s()))).flat();
    this.reading = { at: Date.now(), claims };
    return claims;
  }

  /** What the host admits at once. */
  async capacity(): Promise<Demand> {
    if (this.cached && Date.now() - this.cached.at < CAPACITY_TTL_MS) return this.cached.capacity;
    const info = await this.runtime.info();
    const capacity: Demand = {
      cpus: (info.cpus || 1) * this.settings.cpuOvercommit,
      memoryBytes: (info.memoryBytes || 1024 ** 3) * this.settings.memoryOvercommit,
      gpus: this.settings.gpus,
    };
    this.cached = { at: Date.now(), capacity };
    return capacity;
  }
}
