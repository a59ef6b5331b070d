/**
 * @module test/integration/fuzz/state — the world as clients see it, for the "nothing half-created"
 * checks: JSON calls against the server, and the containers Docker holds for a server's home.
 */
import { until } from '../../helpers/poll.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { LABELS } from '../../../src/runtime/container-runtime.js';

export interface JsonAnswer {
  status: number;
  code?: string;
  body: Record<string, unknown>;
}

/** One JSON 1.x call (`target` = `SageMaker.DescribeModel`), answered as status + parsed body. */
export async function jsonCall(base: string, target: string, body: unknown, version: '1.0' | '1.1' = '1.1'): Promise<JsonAnswer> {
  const res = await fetch(base, {
    method: 'POST',
    headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const code = typeof parsed.__type === 'string' ? parsed.__type : undefined;
  return { status: res.status, ...(code ? { code } : {}), body: parsed };
}

/** Like jsonCall, but throws unless the call succeeded (fixture set-up). */
export async function mustCall(base: string, target: string, body: unknown, version: '1.0' | '1.1' = '1.1'): Promise<Record<string, unknown>> {
  const a = await jsonCall(base, target, body, version);
  if (a.status !== 200) throw new Error(`${target} failed in fixture set-up: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

const docker = new DockerRuntime();

/** Containers of the server at `home` whose resource name label is one of `names`. */
export async function containersNamed(home: string, names: ReadonlySet<string>): Promise<string[]> {
  if (names.size === 0) return [];
  const all = await docker.listContainers({ [LABELS.home]: home }, { all: true });
  return all.filter((c) => names.has(c.labels[LABELS.name] ?? '')).map((c) => `${c.labels[LABELS.kind]} ${c.labels[LABELS.name]} (${c.name})`);
}

/** Polls `check` until it returns true or `ms` pass. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 90_000): Promise<void> {
  await until(what, check, { timeoutMs: ms, everyMs: 200 });
}
