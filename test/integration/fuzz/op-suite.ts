/**
 * @module test/integration/fuzz/op-suite — fuzzes one operation of a document protocol: prepare
 * what the seed refers to, prove the seed is accepted, then send its mutations and malformed
 * bodies, with the surface's state checks after each Create*.
 *
 *   prepare() ─► seed (2xx, or the fixture's documented code) ─► cases ─► finish() (e.g. Docker labels)
 */
import type { AwsModel } from './aws-model.js';
import { documentCases, hasToken, replaceToken, tokenFor, type DocWire } from './doc-cases.js';
import { errorCode, type Protocol } from './error-format.js';
import { httpEdgeCases } from './http-edges.js';
import { Prng } from './prng.js';
import { restMemberMutations, restRequest } from './rest-cases.js';
import { runCase, type CaseHooks, type FuzzCase, type FuzzSession } from './runner.js';
import type { Doc } from './seed-values.js';

export interface OpFixture {
  /** The valid seed; TOKEN (./doc-cases.ts) marks where each case puts its unique resource name. */
  seed(): Doc | Promise<Doc>;
  /** Creates what the seed refers to; runs before the seed is sent. */
  prepare?(): Promise<void>;
  /** A typed error the seed may answer instead of 2xx (a semantic precondition), and why. */
  seedMayFail?: { readonly code: string; readonly why: string };
  /** State checks and clean-up for operations that create something. */
  hooks?: CaseHooks;
  /** After the cases: further problems (containers started for refused cases, ...). */
  finish?(): Promise<string[]>;
  /** Most mutations for this operation (default: the suite's cap). */
  cap?: number;
  /**
   * Send the seed after the mutations (it consumes what they need: an upload, a bucket); prepare()
   * and seed() run again first, since a valid mutation may have consumed it already.
   */
  seedLast?: boolean;
}

export interface OpRun {
  readonly session: FuzzSession;
  readonly base: string;
  readonly wire: DocWire;
  readonly model: AwsModel;
  readonly op: string;
  readonly fixture: OpFixture;
  /** Position of the operation in the file (keeps unique names apart). */
  readonly index: number;
  /** Operations left in this file, this one included (for the time budget). */
  readonly opsLeft: number;
  readonly cap: number;
  readonly malformed?: boolean;
  readonly huge?: { bytes: number };
  /** Add the HTTP-level edge cases (./http-edges.ts) on the seed's request (once per surface). */
  readonly edges?: boolean;
}

/** Sends the seed: it must succeed (or answer the fixture's documented code) in a well-formed way. */
async function checkSeed(r: { base: string; op: string; fixture: OpFixture }, seed: FuzzCase, protocol: Protocol): Promise<string[]> {
  const o = await runCase(r.base, protocol, seed, r.fixture.hooks);
  const res = o.res;
  const ok = res !== undefined && res.status >= 200 && res.status < 300;
  const allowed = res !== undefined && r.fixture.seedMayFail !== undefined && errorCode(protocol, res) === r.fixture.seedMayFail.code;
  if (!ok && !allowed) {
    const why = res ? `${res.status} ${res.body.toString('utf8').slice(0, 300)}` : o.problems.join('; ');
    return [`${r.op} seed was not accepted (fix the fixture or the server): ${why}`];
  }
  return o.problems.length > 0 && !allowed ? [`${r.op} seed: ${o.problems.join('; ')}`] : [];
}

/** Runs one operation's cases; returns its failure lines ([] = all good). */
export async function fuzzOperation(r: OpRun): Promise<string[]> {
  await r.fixture.prepare?.();
  // After prepare: waiting for a fixture (an endpoint coming up) does not eat the cases' time.
  const deadline = r.session.opDeadline(r.opsLeft);
  const prng = Prng.forLabel(r.session.seed, `${r.session.surface}/${r.op}`);
  const { seed, cases } = documentCases({
    model: r.model,
    op: r.op,
    seed: await r.fixture.seed(),
    wire: r.wire,
    prng,
    cap: r.fixture.cap ?? r.cap,
    tokenBase: r.index * 10_000,
    ...(r.malformed ? { malformed: true } : {}),
    ...(r.huge ? { huge: r.huge } : {}),
  });
  const failures: string[] = [];
  if (!r.fixture.seedLast) failures.push(...(await checkSeed(r, seed, r.wire.protocol)));
  if (r.edges) cases.push(...httpEdgeCases(r.op, seed.request));
  failures.push(...(await r.session.run(r.base, cases, deadline, r.fixture.hooks, r.wire.protocol)));
  if (r.fixture.seedLast) {
    await r.fixture.prepare?.();
    failures.push(...(await checkSeed(r, { ...seed, request: r.wire.request(r.op, r.wire.encode(r.op, await r.fixture.seed())) }, r.wire.protocol)));
  }
  failures.push(...((await r.fixture.finish?.()) ?? []));
  return failures;
}

export interface RestOpRun extends Omit<OpRun, 'wire' | 'malformed' | 'huge'> {
  readonly protocol: 'rest-json' | 'rest-xml';
  /** Extra cases for this operation (odd methods, paths, bodies), sent after the mutations; `mk` builds one from a document. */
  readonly extra?: (seed: Doc, mk: (kind: string, where: string, detail: string, expect: 'reject' | 'any', doc: Doc) => FuzzCase) => FuzzCase[];
}

/** One REST operation: the seed (must succeed), its member mutations, extra cases, edge cases. */
export async function fuzzRestOperation(r: RestOpRun): Promise<string[]> {
  await r.fixture.prepare?.();
  const deadline = r.session.opDeadline(r.opsLeft);
  const prng = Prng.forLabel(r.session.seed, `${r.session.surface}/${r.op}`);
  const seedDoc = await r.fixture.seed();
  const tokenized = hasToken(seedDoc);
  let n = r.index * 10_000;
  const mk = (kind: string, where: string, detail: string, expect: 'reject' | 'any', doc: Doc): FuzzCase => {
    const token = tokenized ? tokenFor(n++) : undefined;
    return {
      op: r.op,
      kind,
      where,
      detail,
      expect,
      request: restRequest(r.model, r.op, token ? replaceToken(doc, token) : doc),
      ...(r.op.startsWith('Head') ? { head: true } : {}),
      ...(token ? { token } : {}),
    };
  };
  const seed = mk('seed', '', 'the valid seed', 'any', seedDoc);
  const failures: string[] = [];
  if (!r.fixture.seedLast) failures.push(...(await checkSeed(r, seed, r.protocol)));
  const cases = restMemberMutations(r.model, r.op, seedDoc, prng, { dropChangesOperation: r.protocol === 'rest-xml' })
    .slice(0, r.fixture.cap ?? r.cap)
    .map((m) => mk(m.kind, m.where, m.detail, m.expect, m.doc));
  cases.push(...(r.extra?.(seedDoc, mk) ?? []));
  if (r.edges) cases.push(...httpEdgeCases(r.op, seed.request));
  failures.push(...(await r.session.run(r.base, cases, deadline, r.fixture.hooks, r.protocol)));
  if (r.fixture.seedLast) {
    await r.fixture.prepare?.();
    failures.push(...(await checkSeed(r, mk('seed', '', 'the valid seed', 'any', await r.fixture.seed()), r.protocol)));
  }
  failures.push(...((await r.fixture.finish?.()) ?? []));
  return failures;
}
