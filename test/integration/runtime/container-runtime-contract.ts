/**
 * @module test/integration/runtime/container-runtime-contract — the one test body every
 * `ContainerRuntime` implementation must pass (style guide pattern 7). Real engine, real
 * containers, real HTTP over ports published on 127.0.0.1; everything is labelled with a random
 * test id and removed in afterEach.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerStartError,
  RuntimeError,
  RuntimeNotFoundError,
  type ContainerRuntime,
  type ContainerSpec,
  type LogLine,
} from '../../../src/runtime/container-runtime.js';

/** Image-side helpers the suite needs; engine-specific, so the caller provides them. */
export interface ContractFixtures {
  /** An image with sh, coreutils, getent and python3. */
  baseImage: string;
  tagImage(source: string, target: string): void;
  buildImage(dockerfile: string, tag: string): string;
  removeImage(ref: string): void;
}

const TEST_LABEL = 'slipway.test';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function collect(iter: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of iter) out.push(line);
  return out;
}

const text = (lines: LogLine[], stream?: LogLine['stream']) =>
  lines.filter((l) => !stream || l.stream === stream).map((l) => l.message);

/**
 * `notApplicable`: titles of cases an implementation cannot pass by design, each with the reason
 * (they are reported as skipped; the implementation's own tests cover what it does instead).
 */
export function containerRuntimeContract(
  implementation: string,
  factory: () => ContainerRuntime | Promise<ContainerRuntime>,
  fixtures: () => ContractFixtures,
  notApplicable: Record<string, string> = {},
): void {
  describe(`ContainerRuntime contract: ${implementation}`, () => {
    let rt: ContainerRuntime;
    let fx: ContractFixtures;
    let testId: string;
    let seq = 0;
    let images: string[] = [];
    let dirs: string[] = [];

    beforeAll(async () => {
      rt = await factory();
      fx = fixtures();
    });

    afterEach(async () => {
      const labels = { [TEST_LABEL]: testId };
      for (const c of await rt.listContainers(labels, { all: true })) {
        await rt.removeContainer(c.id, { force: true }).catch(() => undefined);
      }
      for (const n of await rt.listNetworks(labels)) await rt.removeNetwork(n.name);
      for (const img of images) fx.removeImage(img);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      images = [];
      dirs = [];
    });

    // Each test gets a fresh id; names derive from it so parallel runs never collide.
    const newTestId = () => {
      testId = randomBytes(5).toString('hex');
      seq = 0;
    };
    const name = (hint: string) => `slipway-test-${testId}-${hint}-${++seq}`;
    const spec = (hint: string, s: Partial<ContainerSpec>): ContainerSpec => ({
      name: name(hint),
      image: fx.baseImage,
      ...s,
      labels: { [TEST_LABEL]: testId, ...(s.labels ?? {}) },
    });
    const shell = (script: string) => ({ entrypoint: ['/bin/sh', '-c', script], cmd: [] as string[] });
    const tempDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'slipway-rt-'));
      dirs.push(d);
      return d;
    };

    async function run(s: ContainerSpec): Promise<string> {
      const id = await rt.createContainer(s);
      await rt.startContainer(id);
      return id;
    }

    async function runToExit(s: ContainerSpec): Promise<{ id: string; exitCode: number; lines: LogLine[] }> {
      const id = await run(s);
      const { exitCode } = await rt.waitContainer(id);
      return { id, exitCode, lines: await collect(rt.followLogs(id)) };
    }

    /** Polls the container's logs until a line equals `message`. */
    async function waitForLine(id: string, message: string, timeoutMs = 30_000): Promise<void> {
      await until(
        `line "${message}" from ${id}`,
        async () => text(await collect(rt.followLogs(id, { signal: AbortSignal.timeout(500) }))).includes(message),
        timeoutMs,
      );
    }

    const it_ = (title: string, fn: () => Promise<void>) =>
      (notApplicable[title] ? it.skip : it)(notApplicable[title] ? `${title} (n/a: ${notApplicable[title]})` : title, async () => {
        newTestId();
        await fn();
      });

    it_('answers ping and reports engine info', async () => {
      expect(await rt.ping()).toBe(true);
      const info = await rt.info();
      expect(info.cpus).toBeGreaterThan(0);
      expect(info.memoryBytes).toBeGreaterThan(0);
      expect(info.serverVersion).not.toBe('');
    });

    it_('captures stdout and stderr lines with engine timestamps, including a final partial line', async () => {
      const before = Date.now();
      const id = await rt.createContainer(spec('logs', shell('echo out-1; echo err-1 >&2; echo out-2; printf "no-newline"')));
      // Attach before start: followLogs must wait for the start and still see every line.
      const following = collect(rt.followLogs(id));
      await rt.startContainer(id);
      const lines = await following;
      const after = Date.now();
      expect(text(lines, 'stdout')).toEqual(['out-1', 'out-2', 'no-newline']);
      expect(text(lines, 'stderr')).toEqual(['err-1']);
      for (const l of lines) {
        expect(l.timestamp).toBeGreaterThanOrEqual(before - 2_000);
        expect(l.timestamp).toBeLessThanOrEqual(after + 2_000);
      }
      // After exit, a new follow replays from the start and ends by itself.
      expect(text(await collect(rt.followLogs(id))).sort()).toEqual(['err-1', 'no-newline', 'out-1', 'out-2']);
    });

    it_('follows logs only from sinceMs', async () => {
      const { id, lines } = await runToExit(spec('since', shell('echo early; sleep 1.2; echo late')));
      const late = lines.find((l) => l.message === 'late')!;
      expect(late).toBeDefined();
      const since = await collect(rt.followLogs(id, { sinceMs: late.timestamp }));
      expect(text(since)).toEqual(['late']);
      expect(await collect(rt.followLogs(id, { sinceMs: Date.now() + 60_000 }))).toEqual([]);
    });

    it_('stops following logs when the signal aborts', async () => {
      const id = await run(spec('follow-abort', shell('i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done')));
      const ac = new AbortController();
      const seen: string[] = [];
      const started = Date.now();
      for await (const line of rt.followLogs(id, { signal: ac.signal })) {
        seen.push(line.message);
        if (seen.length === 2) ac.abort();
      }
      expect(seen.slice(0, 2)).toEqual(['tick-1', 'tick-2']);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await rt.inspectContainer(id))?.running).toBe(true);
    });

    it_('reports exit codes from wait and inspect', async () => {
      const ok = await runToExit(spec('exit0', shell('exit 0')));
      expect(ok.exitCode).toBe(0);
      const failed = await runToExit(spec('exit3', shell('exit 3')));
      expect(failed.exitCode).toBe(3);
      const info = await rt.inspectContainer(failed.id);
      expect(info).toMatchObject({ state: 'exited', running: false, exitCode: 3, oomKilled: false });
      expect(info!.startedAt).toBeInstanceOf(Date);
      // The engine sets the two times from different processes; for a container that exits at
      // once, FinishedAt has been seen a millisecond before StartedAt.
      expect(info!.finishedAt!.getTime()).toBeGreaterThanOrEqual(info!.startedAt!.getTime() - 10);
      // Waiting on an exited container returns at once with the same code.
      expect(await rt.waitContainer(failed.id)).toEqual({ exitCode: 3 });
    });

    it_('aborts a wait when the signal fires', async () => {
      const id = await run(spec('wait-abort', shell('sleep 1000')));
      const ac = new AbortController();
      const waiting = rt.waitContainer(id, ac.signal);
      ac.abort();
      await expect(waiting).rejects.toThrow();
    });

    it_('kills a container ignoring SIGTERM after the grace period, with exit code 137', async () => {
      const id = await run(spec('stubborn', shell("trap '' TERM; echo ready; sleep 1000 & wait")));
      await waitForLine(id, 'ready');
      const started = Date.now();
      await rt.stopContainer(id, 2);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(1_800);
      expect(elapsed).toBeLessThan(6_000);
      expect(await rt.inspectContainer(id)).toMatchObject({ running: false, state: 'exited', exitCode: 137 });
      // Stopping again, or killing, an exited container succeeds.
      await rt.stopContainer(id, 2);
      await rt.killContainer(id);
    });

    it_('sends SIGTERM first so a well-behaved container exits cleanly', async () => {
      const id = await run(spec('graceful', shell("trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done")));
      await waitForLine(id, 'ready');
      const started = Date.now();
      await rt.stopContainer(id, 30);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await rt.inspectContainer(id))?.exitCode).toBe(0);
      expect(text(await collect(rt.followLogs(id)))).toContain('got-term');
    });

    it_('kills with the given signal', async () => {
      const id = await run(spec('kill', shell('sleep 1000 & wait')));
      await rt.killContainer(id, 'SIGKILL');
      expect(await rt.waitContainer(id)).toEqual({ exitCode: 137 });
    });

    it_('publishes a container port on 127.0.0.1 and serves HTTP on it', async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'hello.txt'), 'hello from the host\n');
      const id = await run(
        spec('http', {
          ...shell('exec python3 -m http.server 8080 --bind 0.0.0.0 --directory /srv'),
          publishPorts: [8080],
          binds: [{ hostPath: dir, containerPath: '/srv', readOnly: true }],
        }),
      );
      const info = await rt.inspectContainer(id);
      const hostPort = info!.ports[8080];
      expect(hostPort).toBeGreaterThan(0);
      const body = await until('http answer', async () => {
        const res = await fetch(`http://127.0.0.1:${hostPort}/hello.txt`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? res.text() : undefined;
      });
      expect(body).toBe('hello from the host\n');
    });

    it_('lists containers by label, including exited ones only when asked', async () => {
      const running = await run(spec('list-a', { ...shell('sleep 1000'), labels: { role: 'a' } }));
      const exited = await runToExit(spec('list-b', { ...shell('exit 0'), labels: { role: 'b' } }));
      const idsOf = (xs: { id: string }[]) => xs.map((x) => x.id).sort();
      expect(idsOf(await rt.listContainers({ [TEST_LABEL]: testId }))).toEqual([running]);
      expect(idsOf(await rt.listContainers({ [TEST_LABEL]: testId }, { all: true }))).toEqual([running, exited.id].sort());
      const onlyB = await rt.listContainers({ [TEST_LABEL]: testId, role: 'b' }, { all: true });
      expect(onlyB).toHaveLength(1);
      expect(onlyB[0]).toMatchObject({ id: exited.id, state: 'exited', exitCode: 0, labels: { role: 'b', [TEST_LABEL]: testId } });
      expect(onlyB[0]!.name).toMatch(/^slipway-test-/);
      expect(await rt.listContainers({ [TEST_LABEL]: 'no-such-test' }, { all: true })).toEqual([]);
    });

    it_('accepts names as ids everywhere', async () => {
      const s = spec('byname', shell('exit 5'));
      await rt.createContainer(s);
      await rt.startContainer(s.name);
      expect(await rt.waitContainer(s.name)).toEqual({ exitCode: 5 });
      expect((await rt.inspectContainer(s.name))?.name).toBe(s.name);
      await rt.removeContainer(s.name);
      expect(await rt.inspectContainer(s.name)).toBeUndefined();
    });

    it_('connects containers on a user-defined network that resolve each other by alias', async () => {
      const net = `slipway-test-${testId}-net`;
      const labels = { [TEST_LABEL]: testId };
      const netId = await rt.createNetwork(net, labels);
      // Creating again (a retry) finds the same network.
      expect(await rt.createNetwork(net, labels)).toBe(netId);
      expect(await rt.listNetworks(labels)).toEqual([{ id: netId, name: net }]);
      // Each resolves the other, then stays up: a container that exits takes its alias with it.
      const lookFor = (peer: string) =>
        shell(`until getent hosts ${peer}; do sleep 0.1; done; echo "found ${peer}"; sleep 1000`);
      const a = await run(spec('algo-1', { ...lookFor('algo-2'), network: { name: net, aliases: ['algo-1'] }, hostname: 'algo-1' }));
      const b = await run(spec('algo-2', { ...lookFor('algo-1'), network: { name: net, aliases: ['algo-2'] }, hostname: 'algo-2' }));
      await waitForLine(a, 'found algo-2');
      await waitForLine(b, 'found algo-1');
      await rt.removeContainer(a, { force: true });
      await rt.removeContainer(b, { force: true });
      await rt.removeNetwork(net);
      expect(await rt.listNetworks(labels)).toEqual([]);
      await rt.removeNetwork(net); // already gone is fine
    });

    it_('creates an internal network', async () => {
      const net = `slipway-test-${testId}-internal`;
      await rt.createNetwork(net, { [TEST_LABEL]: testId }, { internal: true });
      const r = await runToExit(spec('internal', { ...shell('getent hosts internal-peer; echo up'), network: { name: net, aliases: ['internal-peer'] } }));
      expect(r.exitCode).toBe(0);
      expect(text(r.lines, 'stdout').join('\n')).toMatch(/internal-peer/);
    });

    it_('publishes ports from a network without outbound or inter-container traffic', async () => {
      const labels = { [TEST_LABEL]: testId };
      const closed = `slipway-test-${testId}-closed`;
      const open = `slipway-test-${testId}-open`;
      await rt.createNetwork(closed, labels, { outbound: false, interContainer: false });
      await rt.createNetwork(open, labels);
      const serve = shell('exec python3 -m http.server 8080');
      const server = await run(spec('srv', { ...serve, network: { name: closed, aliases: ['srv'] }, publishPorts: [8080] }));
      const openServer = await run(spec('open-srv', { ...serve, network: { name: open, aliases: ['open-srv'] } }));
      const port = (await rt.inspectContainer(server))?.ports[8080];
      expect(port).toBeGreaterThan(0);
      // The published port still answers from 127.0.0.1.
      await until('published port answers', async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.status === 200, 30_000);
      // A TCP connect to a peer by alias: "open" / "closed" (3 s timeout) on stdout.
      const tryConnect = (peer: string) =>
        shell(
          `exec python3 -c "import socket,sys\ntry:\n socket.create_connection(('${peer}',8080),3); print('open')\nexcept OSError as e:\n print('closed', e)"`,
        );
      const onClosed = await runToExit(spec('peer', { ...tryConnect('srv'), network: { name: closed } }));
      expect(text(onClosed.lines, 'stdout').join('\n')).toMatch(/^closed/);
      // The same probe on an ordinary network connects, so the check above can fail.
      const onOpen = await runToExit(spec('open-peer', { ...tryConnect('open-srv'), network: { name: open } }));
      expect(text(onOpen.lines, 'stdout')).toEqual(['open']);
      await rt.removeContainer(server, { force: true });
      await rt.removeContainer(openServer, { force: true });
    });

    it_('runs without any network when networkDisabled', async () => {
      const r = await runToExit(spec('nonet', { ...shell('ls /sys/class/net'), networkDisabled: true }));
      expect(r.exitCode).toBe(0);
      expect(text(r.lines, 'stdout')).toEqual(['lo']);
    });

    it_('applies env, hostname, working directory and labels', async () => {
      const r = await runToExit(
        spec('env', {
          ...shell('echo "$FOO|$EMPTY|$SPACED"; hostname; pwd'),
          env: { FOO: 'bar', EMPTY: '', SPACED: 'a b=c' },
          hostname: 'algo-7',
          workingDir: '/opt/ml',
          labels: { 'slipway.kind': 'test' },
        }),
      );
      expect(text(r.lines, 'stdout')).toEqual(['bar||a b=c', 'algo-7', '/opt/ml']);
      expect((await rt.inspectContainer(r.id))?.labels['slipway.kind']).toBe('test');
    });

    it_('applies CPU and memory limits', async () => {
      const r = await runToExit(
        spec('limits', {
          ...shell(
            'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ' +
              'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"',
          ),
          limits: { nanoCpus: 500_000_000, memoryBytes: 64 * 1024 * 1024 },
        }),
      );
      expect(text(r.lines, 'stdout')).toEqual([String(64 * 1024 * 1024), '50000 100000']);
    });

    it_('reports stats of a running container, none for a missing one', async () => {
      const id = await run(spec('stats', { ...shell('sleep 1000'), limits: { memoryBytes: 64 * 1024 * 1024 } }));
      const st = await rt.stats(id);
      expect(st).toBeDefined();
      expect(st!.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(st!.memoryBytes).toBeGreaterThan(0);
      expect(st!.memoryLimitBytes).toBe(64 * 1024 * 1024);
      expect(await rt.stats(`slipway-test-${testId}-missing`)).toBeUndefined();
    });

    it_('mounts binds read-only or writable', async () => {
      const ro = tempDir();
      const rw = tempDir();
      writeFileSync(join(ro, 'in.txt'), 'input\n');
      const r = await runToExit(
        spec('binds', {
          ...shell('cat /in/in.txt; echo out > /out/out.txt; echo x > /in/new.txt'),
          binds: [
            { hostPath: ro, containerPath: '/in', readOnly: true },
            { hostPath: rw, containerPath: '/out' },
          ],
        }),
      );
      expect(r.exitCode).not.toBe(0);
      expect(text(r.lines, 'stdout')).toEqual(['input']);
      expect(text(r.lines, 'stderr').join('\n')).toMatch(/read-only file system/i);
      expect(existsSync(join(ro, 'new.txt'))).toBe(false);
      expect(readFileSync(join(rw, 'out.txt'), 'utf8')).toBe('out\n');
    });

    it_('overrides ENTRYPOINT and CMD like docker run, and [] clears the image ENTRYPOINT', async () => {
      const tag = `slipway-test-ep-${testId}:v1`;
      images.push(tag);
      fx.buildImage(`FROM ${fx.baseImage}\nENTRYPOINT ["/bin/echo", "image-entrypoint"]\nCMD ["image-cmd"]\n`, tag);
      const out = async (s: Partial<ContainerSpec>) => text((await runToExit(spec('ep', { image: tag, ...s }))).lines, 'stdout');
      expect(await out({})).toEqual(['image-entrypoint image-cmd']);
      expect(await out({ cmd: ['my-cmd'] })).toEqual(['image-entrypoint my-cmd']);
      expect(await out({ entrypoint: ['/bin/echo', 'my-entrypoint'] })).toEqual(['my-entrypoint']);
      expect(await out({ entrypoint: [], cmd: ['/bin/echo', 'cleared'] })).toEqual(['cleared']);
      const img = await rt.inspectImage(tag);
      expect(img).toMatchObject({ entrypoint: ['/bin/echo', 'image-entrypoint'], cmd: ['image-cmd'] });
      expect(img!.repoTags).toContain(tag);
    });

    it_('resolves an ECR-style image name to a local tag', async () => {
      const repo = `slipway-test-ecr-${testId}`;
      images.push(`${repo}:v1`, `${repo}:latest`);
      fx.tagImage(fx.baseImage, `${repo}:v1`);
      const base = await rt.inspectImage(fx.baseImage);
      const ecr = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}:v1`;
      const resolved = await rt.resolveImage(ecr);
      expect(resolved).toMatchObject({ specified: ecr, local: `${repo}:v1` });
      expect(resolved!.image.id).toBe(base!.id);
      // Untagged references mean :latest.
      expect(await rt.resolveImage(`123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}`)).toBeUndefined();
      fx.tagImage(fx.baseImage, `${repo}:latest`);
      const latest = await rt.resolveImage(`123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}`);
      // The engine reads `repo` as `repo:latest`; either spelling is a correct answer.
      expect([repo, `${repo}:latest`]).toContain(latest?.local);
      expect(latest?.image.id).toBe(base!.id);
      expect(await rt.resolveImage(`123456789012.dkr.ecr.us-east-1.amazonaws.com/${repo}:missing`)).toBeUndefined();
      // A container can be created from the resolved local name.
      const r = await runToExit(spec('ecr', { image: resolved!.local, ...shell('echo resolved') }));
      expect(text(r.lines)).toEqual(['resolved']);
    });

    it_('refuses to start a program the image lacks with a ContainerStartError in the image’s terms', async () => {
      const id = await rt.createContainer(spec('noprog', { entrypoint: ['no-such-program'], cmd: [] }));
      const err = await rt.startContainer(id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ContainerStartError);
      expect(err).toMatchObject({ permanent: true, reason: expect.stringMatching(/^the program "no-such-program" is not on the image's PATH/) });
      expect((err as Error).message).not.toMatch(/runc|OCI|shim/);
    });

    it_('gives undefined for missing things on inspect and typed errors on operations', async () => {
      const missing = `slipway-test-${testId}-missing`;
      expect(await rt.inspectContainer(missing)).toBeUndefined();
      expect(await rt.inspectImage(`slipway-test-missing-${testId}:v1`)).toBeUndefined();
      expect(await rt.inspectImage('NOT a valid reference')).toBeUndefined();
      await expect(rt.startContainer(missing)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(rt.stopContainer(missing, 1)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(rt.killContainer(missing)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(rt.removeContainer(missing)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(rt.waitContainer(missing)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(collect(rt.followLogs(missing))).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(rt.createContainer(spec('noimage', { image: `slipway-test-missing-${testId}:v1` }))).rejects.toBeInstanceOf(
        RuntimeNotFoundError,
      );
    });

    it_('refuses a second container with the same name as a RuntimeError', async () => {
      const s = spec('dup', shell('exit 0'));
      await rt.createContainer(s);
      const err = await rt.createContainer(s).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err).not.toBeInstanceOf(RuntimeNotFoundError);
      expect((err as Error).message).toMatch(/already in use|conflict/i);
    });

    it_('removes a running container only with force', async () => {
      const id = await run(spec('rm', shell('sleep 1000')));
      await expect(rt.removeContainer(id)).rejects.toBeInstanceOf(RuntimeError);
      await rt.removeContainer(id, { force: true });
      expect(await rt.inspectContainer(id)).toBeUndefined();
    });
  });
}
